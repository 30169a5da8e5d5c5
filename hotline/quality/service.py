"""Quality review in the database: scorecards, assigning and grading reviews, the daily sample, calibration.

Functions take the request's (or job's) session and never commit.
"""

from __future__ import annotations

import random
import secrets
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import yaml
from sqlalchemy import Select, select, update
from sqlalchemy.orm import Session

from hotline.auth.models import Role, User
from hotline.auth.permissions import Permission, allowed
from hotline.auth.service import Actor
from hotline.calls.models import Call
from hotline.db.base import utcnow
from hotline.errors import HotlineError, InvalidInputError, NotFoundError
from hotline.quality.models import Review, ReviewReason, ReviewState, Scorecard
from hotline.quality.sampling import Candidate, SamplePlan, plan_sample
from hotline.quality.scoring import ScorecardDefinition, calibration, check_scores, grade, parse_definition
from hotline.recordings.models import Recording, RecordingState
from hotline.routing.models import Lawyer

DEFAULT_SCORECARD = Path(__file__).with_name("default_scorecard.yaml")


# --- scorecards ---------------------------------------------------------------------------------


def active_scorecard(session: Session) -> Scorecard:
    """The template new reviews use; the default one is created on first use."""
    card = session.scalar(select(Scorecard).where(Scorecard.active.is_(True)).order_by(Scorecard.id.desc()))
    if card is None:
        raw = yaml.safe_load(DEFAULT_SCORECARD.read_text())
        card = create_scorecard(session, raw["name"], {"sections": raw["sections"]}, created_by="system")
    return card


def create_scorecard(
    session: Session, name: str, definition: Mapping[str, Any], *, created_by: str
) -> Scorecard:
    """A new version of template ``name``; it becomes the one new reviews use."""
    parsed = parse_definition(definition)
    latest = session.scalar(
        select(Scorecard.version).where(Scorecard.name == name).order_by(Scorecard.version.desc())
    )
    session.execute(update(Scorecard).values(active=False))
    card = Scorecard(
        name=name,
        version=(latest or 0) + 1,
        definition=parsed.model_dump(),
        active=True,
        created_by=created_by,
    )
    session.add(card)
    session.flush()
    return card


def definition_of(card: Scorecard) -> ScorecardDefinition:
    return ScorecardDefinition.model_validate(card.definition)


# --- assigning ----------------------------------------------------------------------------------


def reviewers(session: Session) -> dict[str, str | None]:
    """Active reviewer accounts -> the extension of the lawyer the account belongs to (if any)."""
    rows = session.execute(
        select(User.username, Lawyer.extension)
        .outerjoin(Lawyer, Lawyer.id == User.lawyer_id)
        .where(User.active.is_(True), User.role == Role.reviewer)
    )
    return {username: extension for username, extension in rows}


def _reviewable(session: Session, recording_id: int) -> tuple[Recording, Call | None]:
    recording = session.get(Recording, recording_id)
    if recording is None or recording.kind != "call" or recording.state == RecordingState.purged:
        raise NotFoundError(
            "review-recording-missing",
            f"Recording {recording_id} is not a call recording that can be reviewed (missing or purged).",
            recording_id=recording_id,
        )
    call = session.scalar(select(Call).where(Call.linkedid == recording.linkedid))
    return recording, call


def assign(
    session: Session,
    recording_id: int,
    reviewer: str,
    *,
    reason: ReviewReason,
    assigned_by: str,
    calibration_group: str | None = None,
) -> Review:
    recording, call = _reviewable(session, recording_id)
    user = session.scalar(select(User).where(User.username == reviewer))
    if user is None or not user.active or not allowed(Role(user.role), Permission.review_calls):
        raise InvalidInputError(
            "reviewer-invalid",
            f"{reviewer!r} is not an active reviewer or supervisor: choose someone who reviews calls.",
            reviewer=reviewer,
        )
    lawyer = call.lawyer if call else None
    if user.lawyer_id is not None and lawyer is not None:
        own = session.scalar(select(Lawyer.extension).where(Lawyer.id == user.lawyer_id))
        if own == lawyer:
            raise InvalidInputError(
                "reviewer-is-the-lawyer",
                f"{reviewer!r} took this call and cannot review it.",
                reviewer=reviewer,
            )
    existing = session.scalar(
        select(Review).where(Review.recording_id == recording_id, Review.reviewer == reviewer)
    )
    if existing is not None:
        raise HotlineError(
            "review-exists",
            f"{reviewer!r} already has review {existing.id} of this call.",
            details={"review_id": existing.id},
        )
    review = Review(
        recording_id=recording.id,
        linkedid=recording.linkedid,
        lawyer=lawyer,
        reviewer=reviewer,
        scorecard_id=active_scorecard(session).id,
        reason=str(reason),
        calibration_group=calibration_group,
        state=ReviewState.assigned,
        scores={},
        comments={},
        comment="",
        assigned_by=assigned_by,
        assigned_at=utcnow(),
    )
    session.add(review)
    session.flush()
    return review


# --- grading ------------------------------------------------------------------------------------


def get_review(session: Session, review_id: int, actor: Actor) -> Review:
    review = session.get(Review, review_id)
    if review is None or not _may_see(actor, review):
        # Someone else's review does not exist as far as this reviewer is concerned.
        raise NotFoundError(
            "review-not-found", f"There is no review {review_id} for you.", review_id=review_id
        )
    return review


def _may_see(actor: Actor, review: Review) -> bool:
    return review.reviewer == actor.username or allowed(actor.role, Permission.manage_reviews)


def list_reviews(
    session: Session,
    actor: Actor,
    *,
    reviewer: str | None = None,
    state: ReviewState | None = None,
    limit: int = 200,
) -> list[Review]:
    query = select(Review).order_by(Review.state, Review.assigned_at.desc(), Review.id.desc()).limit(limit)
    if not allowed(actor.role, Permission.manage_reviews):
        query = query.where(Review.reviewer == actor.username)
    elif reviewer:
        query = query.where(Review.reviewer == reviewer)
    if state is not None:
        query = query.where(Review.state == state)
    return list(session.scalars(query))


def save_review(
    session: Session,
    review_id: int,
    actor: Actor,
    *,
    scores: Mapping[str, Any],
    comments: Mapping[str, str],
    comment: str,
    submit: bool,
) -> Review:
    """Save a draft, or submit: every item scored, the grade fixed, the review locked."""
    review = get_review(session, review_id, actor)
    if review.reviewer != actor.username:
        raise HotlineError("review-not-yours", "Only the assigned reviewer can score this review.")
    if review.state == ReviewState.submitted:
        raise HotlineError(
            "review-locked",
            f"Review {review.id} was submitted on {review.submitted_at:%Y-%m-%d %H:%M} UTC and is locked; "
            "ask a supervisor to assign a new review if it must be redone.",
        )
    card = session.get(Scorecard, review.scorecard_id)
    assert card is not None
    definition = definition_of(card)
    check_scores(definition, scores)
    keys = {item.key for item in definition.items}
    unknown = sorted(set(comments) - keys)
    if unknown:
        raise InvalidInputError(
            "review-scores-invalid", f"Comments on unknown items: {unknown}.", problems=unknown
        )
    result = grade(definition, scores)
    if submit and result.missing:
        raise InvalidInputError(
            "review-incomplete",
            f"{len(result.missing)} items have no score yet: score them (or mark 不适用) before submitting.",
            missing=list(result.missing),
        )
    review.scores = dict(scores)
    review.comments = {key: text for key, text in comments.items() if text}
    review.comment = comment
    review.total = result.total
    review.auto_failed = result.auto_failed
    if submit:
        review.state = ReviewState.submitted
        review.submitted_at = utcnow()
    return review


# --- the daily sample ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SampleResult:
    day: date
    plan: SamplePlan
    created: tuple[Review, ...]
    # Calls already under review from an earlier run (kept as they are).
    skipped: int

    @property
    def message(self) -> str:
        calls = sum(self.plan.calls_per_lawyer.values())
        text = (
            f"{self.day:%Y-%m-%d}: {calls} recorded calls of {len(self.plan.calls_per_lawyer)} lawyers; "
            f"{len(self.created)} reviews assigned"
        )
        if self.skipped:
            text += f", {self.skipped} already under review"
        if self.plan.unassigned:
            text += f"; {len(self.plan.unassigned)} chosen calls have no reviewer who is not their lawyer"
        return text + "."


def day_bounds(day: date, timezone: str) -> tuple[datetime, datetime]:
    start = datetime.combine(day, time(0), ZoneInfo(timezone))
    return start, start + timedelta(days=1)


def run_sampling(
    session: Session,
    day: date,
    *,
    timezone: str,
    percent: float,
    low_rating_max: int,
    rng: random.Random | None = None,
    assigned_by: str = "system",
) -> SampleResult:
    """Assign the day's sample (calls started that local day, answered, with a recording)."""
    start, end = day_bounds(day, timezone)
    rows = session.execute(
        select(Recording.id, Recording.linkedid, Call.lawyer, Call.rating)
        .join(Call, Call.recording_id == Recording.id)
        .where(
            Call.started_at >= start,
            Call.started_at < end,
            Call.lawyer.is_not(None),
            Recording.kind == "call",
            Recording.state != RecordingState.purged,
        )
    ).all()
    reviewed = set(
        session.scalars(select(Review.recording_id).where(Review.recording_id.in_([r[0] for r in rows])))
    )
    candidates = [
        Candidate(rid, linkedid, str(lawyer), rating)
        for rid, linkedid, lawyer, rating in rows
        if rid not in reviewed
    ]
    plan = plan_sample(
        candidates,
        reviewers(session),
        percent=percent,
        low_rating_max=low_rating_max,
        rng=rng or secrets.SystemRandom(),
    )
    created = tuple(
        assign(session, item.recording_id, item.reviewer, reason=item.reason, assigned_by=assigned_by)
        for item in plan.assignments
    )
    return SampleResult(day, plan, created, skipped=len(rows) - len(candidates))


def review_low_rating(
    session: Session, recording_id: int, *, rng: random.Random | None = None, assigned_by: str = "system"
) -> Review | None:
    """A rating of 1-2 opens a review at once: a random reviewer who is not the lawyer, unless the
    call is already under review or nobody can take it (the nightly sample tries again)."""
    recording = session.get(Recording, recording_id)
    if recording is None or recording.state == RecordingState.purged:
        return None
    if session.scalar(select(Review.id).where(Review.recording_id == recording_id)) is not None:
        return None
    call = session.scalar(select(Call).where(Call.linkedid == recording.linkedid))
    lawyer = call.lawyer if call else None
    eligible = sorted(name for name, own in reviewers(session).items() if own is None or own != lawyer)
    if not eligible:
        return None
    reviewer = (rng or secrets.SystemRandom()).choice(eligible)
    return assign(session, recording_id, reviewer, reason=ReviewReason.low_rating, assigned_by=assigned_by)


# --- calibration --------------------------------------------------------------------------------


def start_calibration(
    session: Session, recording_id: int, reviewers: Sequence[str], *, assigned_by: str
) -> str:
    """Assign one call to several reviewers with one calibration group; returns the group."""
    if len(set(reviewers)) < 2:
        raise InvalidInputError(
            "calibration-too-few", "A calibration needs at least two different reviewers."
        )
    group = f"cal-{uuid.uuid4().hex[:12]}"
    for reviewer in dict.fromkeys(reviewers):
        assign(
            session,
            recording_id,
            reviewer,
            reason=ReviewReason.calibration,
            assigned_by=assigned_by,
            calibration_group=group,
        )
    return group


@dataclass(frozen=True, slots=True)
class CalibrationReport:
    group: str
    recording_id: int
    linkedid: str
    reviewers: list[str]
    submitted: list[str]
    items: list[Any]
    totals: dict[str, float | None]
    total_spread: float | None


def calibration_report(session: Session, group: str) -> CalibrationReport:
    reviews = list(
        session.scalars(select(Review).where(Review.calibration_group == group).order_by(Review.reviewer))
    )
    if not reviews:
        raise NotFoundError("calibration-not-found", f"There is no calibration {group!r}.", group=group)
    card = session.get(Scorecard, reviews[0].scorecard_id)
    assert card is not None
    done = [review for review in reviews if review.state == ReviewState.submitted]
    totals = {review.reviewer: review.total for review in done}
    values = [value for value in totals.values() if value is not None]
    return CalibrationReport(
        group=group,
        recording_id=reviews[0].recording_id,
        linkedid=reviews[0].linkedid,
        reviewers=[review.reviewer for review in reviews],
        submitted=[review.reviewer for review in done],
        items=calibration(definition_of(card), [(review.reviewer, review.scores) for review in done]),
        totals=totals,
        total_spread=round(max(values) - min(values), 1) if values else None,
    )


# --- need-to-know: a reviewer hears the calls of their own reviews (hotline/recordings/need_to_know.py)


def is_assigned(session: Session, reviewer: str, recording_id: int) -> bool:
    """Whether ``reviewer`` has a review of recording ``recording_id`` (whatever its origin)."""
    found = session.scalar(
        select(Review.id).where(Review.recording_id == recording_id, Review.reviewer == reviewer).limit(1)
    )
    return found is not None


def assigned_recording_ids(reviewer: str) -> Select[Any]:
    """The ids of the recordings ``reviewer`` has a review of, as a subquery."""
    return select(Review.recording_id).where(Review.reviewer == reviewer)
