"""Quality review over HTTP: my reviews, scoring, assigning, sampling, calibration, scorecard templates."""

from __future__ import annotations

import dataclasses
from typing import Annotated

from fastapi import APIRouter, Depends
from sqlalchemy import select
from sqlalchemy.orm import Session

from hotline.api_types import Id, Limit
from hotline.auth.deps import require
from hotline.auth.permissions import Permission
from hotline.auth.service import Actor
from hotline.calls.models import Call
from hotline.calls.privacy import caller_for
from hotline.ivr.catalog import Catalog
from hotline.ivr.service import IvrConfig
from hotline.kernel.deps import SessionDep, SharedDep, part
from hotline.quality import service
from hotline.quality.models import Review, ReviewReason, ReviewState, Scorecard
from hotline.quality.schemas import (
    AssignRequest,
    CalibrationItemOut,
    CalibrationOut,
    CalibrationRequest,
    CallFacts,
    ReviewDetail,
    ReviewOut,
    ReviewUpdate,
    SampleOut,
    SampleRequest,
    ScorecardIn,
    ScorecardOut,
)
from hotline.routing.models import Lawyer

router = APIRouter(prefix="/api/v1", tags=["quality"])


IvrDep = Annotated[IvrConfig, part(IvrConfig)]


Reviewer = Annotated[Actor, Depends(require(Permission.review_calls))]
Manager = Annotated[Actor, Depends(require(Permission.manage_reviews))]


def _outs(session: Session, actor: Actor, reviews: list[Review], catalog: Catalog) -> list[ReviewOut]:
    linkedids = {review.linkedid for review in reviews}
    calls = {c.linkedid: c for c in session.scalars(select(Call).where(Call.linkedid.in_(linkedids)))}
    names = dict(
        session.execute(
            select(Lawyer.extension, Lawyer.name).where(
                Lawyer.extension.in_({r.lawyer for r in reviews if r.lawyer})
            )
        ).all()
    )
    result = []
    for review in reviews:
        call = calls.get(review.linkedid)
        result.append(
            ReviewOut(
                id=review.id,
                recording_id=review.recording_id,
                linkedid=review.linkedid,
                lawyer=review.lawyer,
                lawyer_name=names.get(review.lawyer) if review.lawyer else None,
                reviewer=review.reviewer,
                reason=review.reason,
                state=review.state,
                total=review.total,
                auto_failed=review.auto_failed,
                assigned_at=review.assigned_at,
                submitted_at=review.submitted_at,
                calibration_group=review.calibration_group,
                call=CallFacts(
                    started_at=call.started_at,
                    topic=call.topic,
                    topic_label=catalog.topic_label(call.topic),
                    caller=caller_for(actor.role, call.caller),
                    rating=call.rating,
                    talk_seconds=call.talk_seconds,
                )
                if call
                else None,
            )
        )
    return result


def _detail(session: Session, actor: Actor, review: Review, catalog: Catalog) -> ReviewDetail:
    [out] = _outs(session, actor, [review], catalog)
    card = session.get_one(Scorecard, review.scorecard_id)
    return ReviewDetail(
        **out.model_dump(),
        scorecard={"id": card.id, "name": card.name, "version": card.version, **card.definition},
        scores=review.scores,
        comments=review.comments,
        comment=review.comment,
    )


@router.get("/reviews")
def reviews(
    session: SessionDep,
    ivr: IvrDep,
    actor: Reviewer,
    reviewer: str | None = None,
    state: ReviewState | None = None,
    limit: Limit = 200,
) -> list[ReviewOut]:
    """My reviews, to do first (a supervisor sees everyone's, ``reviewer=`` to narrow)."""
    found = service.list_reviews(session, actor, reviewer=reviewer, state=state, limit=limit)
    return _outs(session, actor, found, ivr.catalog)


@router.get("/reviews/{review_id}")
def review(review_id: Id, session: SessionDep, ivr: IvrDep, actor: Reviewer) -> ReviewDetail:
    return _detail(session, actor, service.get_review(session, review_id, actor), ivr.catalog)


@router.put("/reviews/{review_id}")
def score(
    review_id: Id, body: ReviewUpdate, session: SessionDep, ivr: IvrDep, actor: Reviewer
) -> ReviewDetail:
    """Save a draft, or submit (``submit: true``): then the grade is fixed and the review locked."""
    saved = service.save_review(
        session,
        review_id,
        actor,
        scores=body.scores,
        comments=body.comments,
        comment=body.comment,
        submit=body.submit,
    )
    return _detail(session, actor, saved, ivr.catalog)


@router.post("/reviews")
def assign(body: AssignRequest, session: SessionDep, ivr: IvrDep, actor: Manager) -> ReviewOut:
    """Assign a call to a reviewer by hand (e.g. after a complaint)."""
    created = service.assign(
        session, body.recording_id, body.reviewer, reason=ReviewReason.manual, assigned_by=actor.username
    )
    return _outs(session, actor, [created], ivr.catalog)[0]


@router.post("/quality/sample")
def sample(
    body: SampleRequest, session: SessionDep, shared: SharedDep, ivr: IvrDep, actor: Manager
) -> SampleOut:
    """Run the 双随机 sample for one day now (the scheduler runs it every night for the day before)."""
    settings = shared.settings.quality
    result = service.run_sampling(
        session,
        body.day,
        timezone=ivr.calendar.timezone,
        percent=settings.sample_percent,
        low_rating_max=settings.low_rating_max,
        assigned_by=actor.username,
    )
    return SampleOut(
        day=result.day,
        calls_per_lawyer=result.plan.calls_per_lawyer,
        assigned=_outs(session, actor, list(result.created), ivr.catalog),
        unassigned=[call.linkedid for call in result.plan.unassigned],
        skipped=result.skipped,
        message=result.message,
    )


@router.post("/calibrations")
def calibrate(body: CalibrationRequest, session: SessionDep, actor: Manager) -> CalibrationOut:
    """Have several reviewers score one call; the report shows how far apart they are."""
    group = service.start_calibration(session, body.recording_id, body.reviewers, assigned_by=actor.username)
    return calibration(group, session, actor)


@router.get("/calibrations/{group}")
def calibration(group: str, session: SessionDep, _actor: Manager) -> CalibrationOut:
    report = service.calibration_report(session, group)
    return CalibrationOut(
        group=report.group,
        recording_id=report.recording_id,
        linkedid=report.linkedid,
        reviewers=report.reviewers,
        submitted=report.submitted,
        items=[CalibrationItemOut(**dataclasses.asdict(item)) for item in report.items],
        totals=report.totals,
        total_spread=report.total_spread,
    )


def _card_out(card: Scorecard) -> ScorecardOut:
    return ScorecardOut(
        id=card.id,
        name=card.name,
        version=card.version,
        active=card.active,
        sections=card.definition["sections"],
    )


@router.get("/scorecards")
def scorecards(session: SessionDep, _actor: Reviewer) -> list[ScorecardOut]:
    """Every version of every template; ``active`` is the one new reviews use."""
    service.active_scorecard(session)
    return [_card_out(card) for card in session.scalars(select(Scorecard).order_by(Scorecard.id.desc()))]


@router.post("/scorecards")
def new_scorecard(body: ScorecardIn, session: SessionDep, actor: Manager) -> ScorecardOut:
    """A new template version (sections, items with points, auto-fail items); used by new reviews."""
    return _card_out(service.create_scorecard(session, body.name, body.definition, created_by=actor.username))
