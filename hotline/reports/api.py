"""Reports of a month over HTTP: list, download (XLSX or PDF), regenerate, mark submitted (上报):
the monthly report (``/monthly``) and the analysis of citizens' criticism (``/criticism``, with the
measures taken written by a leader); and the assessment's workbook."""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path
from fastapi.responses import Response
from pydantic import BaseModel, Field

from hotline.assessment.service import Assessor
from hotline.auth.deps import require
from hotline.auth.permissions import Permission
from hotline.auth.service import Actor
from hotline.errors import NotFoundError
from hotline.kernel.deps import SessionDep, SharedDep, part
from hotline.reports.assessment import assessment_workbook
from hotline.reports.service import (
    FORMATS,
    MEASURES_MAX,
    MEDIA_TYPES,
    CriticismShelf,
    ReportShelf,
    ReportState,
    check_month,
)

router = APIRouter(prefix="/api/v1/reports", tags=["reports"])

ShelfDep = Annotated[ReportShelf, part(ReportShelf)]
CriticismShelfDep = Annotated[CriticismShelf, part(CriticismShelf)]
CriticismReader = Annotated[Actor, Depends(require(Permission.view_criticism_report))]
MeasuresWriter = Annotated[Actor, Depends(require(Permission.handle_criticism))]
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


class CriticismReportOut(ReportOut):
    # The measures taken (整改措施), as the leader wrote them, who and when (None: not yet).
    measures: str | None
    measures_by: str | None
    measures_at: datetime | None


class MeasuresIn(BaseModel):
    text: str = Field(max_length=MEASURES_MAX, description="整改措施, a paragraph a line")


def _out(state: ReportState, kind: str = "monthly") -> ReportOut:
    return ReportOut(
        month=state.month,
        available=state.available,
        generated_at=state.generated_at,
        generated_by=state.generated_by,
        last_attempt_at=state.last_attempt_at,
        last_error=state.last_error,
        submitted_by=state.submitted_by,
        submitted_at=state.submitted_at,
        downloads={fmt: f"/api/v1/reports/{kind}/{state.month}.{fmt}" for fmt in FORMATS}
        if state.available
        else {},
    )


def _criticism_out(state: ReportState) -> CriticismReportOut:
    return CriticismReportOut(
        **_out(state, "criticism").model_dump(),
        measures=state.measures,
        measures_by=state.measures_by,
        measures_at=state.measures_at,
    )


def _download(shelf: ReportShelf, name: str) -> Response:
    month, fmt = name.split(".")
    if fmt not in FORMATS:  # the pattern allows only these; kept for the type checker
        raise NotFoundError("report-not-found", f"No report format {fmt!r}: ask for .xlsx or .pdf.")
    content = shelf.file(month, fmt)
    filename = f"{shelf.kind.file_prefix}-{month}.{fmt}"
    return Response(
        content,
        media_type=MEDIA_TYPES[fmt],
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


FileName = Annotated[str, Path(pattern=r"^\d{4}-\d{2}\.(xlsx|pdf)$", examples=["2026-11.pdf"])]
DOWNLOAD: dict[int | str, dict[str, Any]] = {200: {"content": {media: {} for media in MEDIA_TYPES.values()}}}


@router.get("")
def list_reports(shelf: ShelfDep, _actor: Reader) -> list[ReportOut]:
    return [_out(state) for state in shelf.listing()]


@router.get("/monthly/{name}", response_class=Response, responses=DOWNLOAD)
def download_report(shelf: ShelfDep, _actor: Reader, name: FileName) -> Response:
    return _download(shelf, name)


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


@router.get("/criticism")
def list_criticism_reports(shelf: CriticismShelfDep, _actor: CriticismReader) -> list[CriticismReportOut]:
    """The analysis of citizens' criticism (群众批评意见分析报告), month by month, newest first."""
    return [_criticism_out(state) for state in shelf.listing()]


@router.get("/criticism/{name}", response_class=Response, responses=DOWNLOAD)
def download_criticism_report(shelf: CriticismShelfDep, _actor: CriticismReader, name: FileName) -> Response:
    return _download(shelf, name)


@router.post("/criticism/{month}/generate")
async def regenerate_criticism_report(
    shelf: CriticismShelfDep, actor: CriticismReader, month: Month
) -> CriticismReportOut:
    """Generate (again) the month's criticism report, with the measures as they are written."""
    return _criticism_out(await asyncio.to_thread(shelf.generate, check_month(month), actor.username))


@router.put("/criticism/{month}/measures")
async def write_measures(
    shelf: CriticismShelfDep, actor: MeasuresWriter, month: Month, body: MeasuresIn
) -> CriticismReportOut:
    """The measures taken this month (整改措施), written by a duty leader (or a supervisor) before
    the report is published; the report is generated again with them."""
    state = await asyncio.to_thread(shelf.write_measures, check_month(month), body.text, actor.username)
    return _criticism_out(state)


@router.post("/criticism/{month}/submit")
def submit_criticism_report(shelf: CriticismShelfDep, actor: Submitter, month: Month) -> CriticismReportOut:
    """Publish the month's criticism report (上报): it needs the measures, and a report generated
    since they were last written."""
    return _criticism_out(shelf.submit(month, actor.username))
