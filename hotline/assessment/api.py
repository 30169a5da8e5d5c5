"""The monthly assessment over HTTP: a month as it stands or as published, publishing it, a
lawyer's own results and trend."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path
from pydantic import BaseModel

from hotline.api_types import Count
from hotline.assessment import service
from hotline.assessment.models import AssessmentResult
from hotline.assessment.service import Assessor
from hotline.auth.deps import require
from hotline.auth.permissions import Permission
from hotline.auth.service import Actor
from hotline.errors import NotFoundError
from hotline.kernel.deps import SessionDep, SharedDep, part

router = APIRouter(prefix="/api/v1/assessment", tags=["assessment"])

Viewer = Annotated[Actor, Depends(require(Permission.view_assessment))]
Publisher = Annotated[Actor, Depends(require(Permission.publish_assessment))]
Own = Annotated[Actor, Depends(require(Permission.read_own_assessment))]
AssessorDep = Annotated[Assessor, part(Assessor)]
Month = Annotated[str, Path(pattern=r"^20[0-9]{2}-(0[1-9]|1[0-2])$", description="YYYY-MM (local)")]


class ResultOut(BaseModel):
    extension: str
    name: str
    firm: str | None
    total: float
    grade: str
    rank: Count
    firm_rank: Count | None
    figures: dict[str, float | None]
    items: list[dict[str, Any]]


class MonthOut(BaseModel):
    month: str
    # None: as it stands now (not published); else the published version shown.
    version: Count | None
    published_at: datetime | None
    published_by: str | None
    scheme: str
    results: list[ResultOut]


def _result(result: AssessmentResult) -> ResultOut:
    return ResultOut(
        extension=result.extension,
        name=result.name,
        firm=result.firm,
        total=result.total,
        grade=result.grade,
        rank=result.rank,
        firm_rank=result.firm_rank,
        figures=result.figures,
        items=result.items,
    )


@router.get("/{month}")
def read_month(
    month: Month, session: SessionDep, assessor: AssessorDep, actor: Viewer, live: bool = False
) -> MonthOut:
    """The month as published (its latest version), or as it stands now (``live``, or not published)."""
    run = None if live else service.published(session, month)
    if run is not None:
        return MonthOut(
            month=month,
            version=run.version,
            published_at=run.published_at,
            published_by=run.published_by,
            scheme=str(run.scheme.get("name", "")),
            results=[_result(result) for result in run.results],
        )
    results = [_result(service.result_of(r)) for r in assessor.compute(session, month)]
    return MonthOut(
        month=month,
        version=None,
        published_at=None,
        published_by=None,
        scheme=assessor.scheme.name,
        results=results,
    )


@router.post("/{month}/publish")
def publish(
    month: Month, session: SessionDep, shared: SharedDep, assessor: AssessorDep, actor: Publisher
) -> MonthOut:
    """Freeze the month as it stands now, as a new version; earlier versions stay as they were."""
    run = assessor.publish(session, month, actor.username, shared.clock())
    return MonthOut(
        month=month,
        version=run.version,
        published_at=run.published_at,
        published_by=run.published_by,
        scheme=assessor.scheme.name,
        results=[_result(result) for result in run.results],
    )


class TrendPoint(BaseModel):
    month: str
    total: float
    grade: str
    rank: Count


class MineOut(BaseModel):
    latest: ResultOut | None
    trend: list[TrendPoint]


@router.get("/mine/{month}")
def mine(month: Month, session: SessionDep, actor: Own) -> MineOut:
    """The signed-in lawyer's published results up to ``month``: the last one in full, 12 months' trend."""
    if actor.lawyer_extension is None:
        raise NotFoundError(
            "assessment-not-found", "Your account has no lawyer's extension: nothing is assessed."
        )
    trend = service.history(session, actor.lawyer_extension, month)
    return MineOut(
        latest=_result(trend[-1][1]) if trend else None,
        trend=[TrendPoint(month=m, total=r.total, grade=r.grade, rank=r.rank) for m, r in trend],
    )
