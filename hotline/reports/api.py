"""Monthly reports over HTTP: list, download (XLSX or PDF), regenerate, mark submitted (上报)."""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Path
from fastapi.responses import Response
from pydantic import BaseModel

from hotline.assessment.service import Assessor
from hotline.auth.deps import require
from hotline.auth.permissions import Permission
from hotline.auth.service import Actor
from hotline.errors import NotFoundError
from hotline.kernel.deps import SessionDep, SharedDep, part
from hotline.reports.assessment import assessment_workbook
from hotline.reports.service import FORMATS, MEDIA_TYPES, ReportShelf, ReportState, check_month

router = APIRouter(prefix="/api/v1/reports", tags=["reports"])

ShelfDep = Annotated[ReportShelf, part(ReportShelf)]
Reader = Annotated[Actor, Depends(require(Permission.view_reports))]
Submitter = Annotated[Actor, Depends(require(Permission.submit_reports))]
AssessmentReader = Annotated[Actor, Depends(require(Permission.view_assessment))]
AssessorDep = Annotated[Assessor, part(Assessor)]
Month = Annotated[str, Path(pattern=r"^\d{4}-\d{2}$", description="YYYY-MM", examples=["2026-11"])]


class ReportOut(BaseModel):
    month: str
    available: bool  # a generated version is stored
    generated_at: datetime | None
    generated_by: str | None
    last_attempt_at: datetime | None
    # Why the last generation failed (the stored version, if any, is the one before it).
    last_error: str | None
    submitted_by: str | None
    submitted_at: datetime | None
    downloads: dict[str, str]


def _out(state: ReportState) -> ReportOut:
    return ReportOut(
        month=state.month,
        available=state.available,
        generated_at=state.generated_at,
        generated_by=state.generated_by,
        last_attempt_at=state.last_attempt_at,
        last_error=state.last_error,
        submitted_by=state.submitted_by,
        submitted_at=state.submitted_at,
        downloads={fmt: f"/api/v1/reports/monthly/{state.month}.{fmt}" for fmt in FORMATS}
        if state.available
        else {},
    )


@router.get("")
def list_reports(shelf: ShelfDep, _actor: Reader) -> list[ReportOut]:
    return [_out(state) for state in shelf.listing()]


@router.get(
    "/monthly/{name}",
    response_class=Response,
    responses={200: {"content": {media: {} for media in MEDIA_TYPES.values()}}},
)
def download_report(
    shelf: ShelfDep,
    _actor: Reader,
    name: Annotated[str, Path(pattern=r"^\d{4}-\d{2}\.(xlsx|pdf)$", examples=["2026-11.pdf"])],
) -> Response:
    month, fmt = name.split(".")
    if fmt not in FORMATS:  # the pattern allows only these; kept for the type checker
        raise NotFoundError("report-not-found", f"No report format {fmt!r}: ask for .xlsx or .pdf.")
    content = shelf.file(month, fmt)
    filename = f"12348-monthly-{month}.{fmt}"
    return Response(
        content,
        media_type=MEDIA_TYPES[fmt],
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


@router.get(
    "/assessment/{month}.xlsx",
    response_class=Response,
    responses={200: {"content": {MEDIA_TYPES["xlsx"]: {}}}},
)
def download_assessment(
    session: SessionDep, shared: SharedDep, assessor: AssessorDep, _actor: AssessmentReader, month: Month
) -> Response:
    """The month's assessment (published, or as it stands), the firms' table and the lawyers' duty
    hours (for the subsidy settlement) as one workbook."""
    content = assessment_workbook(
        session,
        assessor,
        check_month(month),
        bureau=shared.settings.stats.bureau,
        target_hours=shared.settings.assessment.public_interest_hours,
        now=shared.clock(),
    )
    return Response(
        content,
        media_type=MEDIA_TYPES["xlsx"],
        headers={"Content-Disposition": f'attachment; filename="12348-assessment-{month}.xlsx"'},
    )


@router.post("/monthly/{month}/generate")
async def regenerate_report(shelf: ShelfDep, actor: Reader, month: Month) -> ReportOut:
    """Generate (again) the month's report; the stored one is replaced only by a good one."""
    return _out(await asyncio.to_thread(shelf.generate, check_month(month), actor.username))


@router.post("/monthly/{month}/submit")
def submit_report(shelf: ShelfDep, actor: Submitter, month: Month) -> ReportOut:
    """Mark the month's report submitted to the higher authority (上报): who and when."""
    return _out(shelf.submit(month, actor.username))
