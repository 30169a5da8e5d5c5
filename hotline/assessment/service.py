"""A month's assessment from the records: each active lawyer's figures (the statistics' tallies,
duty attendance against the roster, pauses, upheld criticism), scored and ranked by the scheme;
published as a frozen version; each lawyer's history.

Functions take the caller's session and never commit.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from hotline.assessment.attendance import Interval, attendance, paused_beyond
from hotline.assessment.models import AssessmentResult, AssessmentRun
from hotline.assessment.scheme import Scheme
from hotline.assessment.scoring import Person, Ranked, rank
from hotline.criticism.models import Criticism, Target
from hotline.routing.models import DutyPresence, DutyShift, Lawyer, RingNoAnswer
from hotline.stats.definitions import Tally
from hotline.stats.periods import add_months, month_period
from hotline.stats.service import Statistics


@dataclass(frozen=True, slots=True)
class Assessor:
    statistics: Statistics
    scheme: Scheme
    # Minutes late or early that do not count (HOTLINE_ASSESSMENT__GRACE_MINUTES).
    grace_minutes: float = 5
    # Paused minutes a day that do not count (meals, breaks).
    pause_allowance_minutes: float = 60

    @property
    def timezone(self) -> str:
        return self.statistics.timezone

    def people(self, session: Session, month: str) -> list[Person]:
        """Each active lawyer's figures for ``month`` (YYYY-MM, local)."""
        period = month_period(month, self.timezone)
        start, end = period.start, period.end
        tallies = self.statistics.grouped(session, period, ("lawyer",)).groups
        lawyers = session.scalars(
            select(Lawyer).where(Lawyer.active.is_(True)).order_by(Lawyer.extension)
        ).all()
        shifts: dict[str, list[Interval]] = defaultdict(list)
        # Rostered shifts only (a log-in without one opens a manual shift), as the roster had them:
        # a log-out ends a shift early, and its rostered end is kept.
        rostered_end = func.coalesce(DutyShift.planned_ends_at, DutyShift.ends_at)
        for extension, shift_start, shift_end in session.execute(
            select(Lawyer.extension, DutyShift.starts_at, rostered_end)
            .join(DutyShift, DutyShift.lawyer_id == Lawyer.id)
            .where(DutyShift.source == "roster", DutyShift.starts_at < end, rostered_end > start)
        ):
            shifts[extension].append(Interval(max(shift_start, start), min(shift_end, end)))
        presence: dict[tuple[str, str], list[Interval]] = defaultdict(list)
        for extension, state, present_start, present_end in session.execute(
            select(
                DutyPresence.extension, DutyPresence.state, DutyPresence.starts_at, DutyPresence.ends_at
            ).where(DutyPresence.starts_at < end, DutyPresence.ends_at > start)
        ):
            presence[(extension, state)].append(Interval(max(present_start, start), min(present_end, end)))
        upheld = dict(
            session.execute(
                select(Criticism.target_name, func.count())
                .where(
                    Criticism.target == Target.lawyer,
                    Criticism.upheld.is_(True),
                    Criticism.received_at >= start,
                    Criticism.received_at < end,
                )
                .group_by(Criticism.target_name)
            ).all()
        )
        rang_out = dict(
            session.execute(
                select(RingNoAnswer.extension, func.count())
                .where(RingNoAnswer.at >= start, RingNoAnswer.at < end)
                .group_by(RingNoAnswer.extension)
            ).all()
        )
        zone = ZoneInfo(self.timezone)
        people = []
        for lawyer in lawyers:
            tally = tallies.get((lawyer.extension,), Tally())
            duty = attendance(
                shifts.get(lawyer.extension, []),
                presence.get((lawyer.extension, "logged_in"), []),
                grace_minutes=self.grace_minutes,
            )
            pauses = paused_beyond(
                presence.get((lawyer.extension, "paused"), []),
                allowance_minutes_per_day=self.pause_allowance_minutes,
                zone=zone,
            )
            figures: dict[str, float | None] = {
                "answered": tally.answered,
                "ring_no_answer": rang_out.get(lawyer.extension, 0),
                "rated": tally.rated,
                "satisfaction_rate": tally.satisfied / tally.rated if tally.rated else None,
                "reviews": tally.reviews,
                "quality_average": tally.review_total / tally.reviews if tally.reviews else None,
                "red_lines": tally.red_lines,
                "attendance_minutes": round(duty.missed_minutes, 1),
                "pause_excess_minutes": round(pauses, 1),
                "overdue_tickets": tally.overdue,
                "upheld_complaints": upheld.get(lawyer.extension, 0),
                "talk_hours": round(tally.talk / 3600, 2),
                "duty_hours": round(duty.on_duty_minutes / 60, 2),
            }
            people.append(Person(lawyer.extension, lawyer.name, lawyer.firm, figures))
        return people

    def compute(self, session: Session, month: str) -> list[Ranked]:
        """The month as it stands now (not stored)."""
        return rank(self.scheme, self.people(session, month))

    def publish(self, session: Session, month: str, actor: str, now: datetime) -> AssessmentRun:
        """Freeze the month as it stands now, as a new version (the earlier ones stay)."""
        last = session.scalar(select(func.max(AssessmentRun.version)).where(AssessmentRun.month == month))
        run = AssessmentRun(
            month=month,
            version=(last or 0) + 1,
            scheme=self.scheme.model_dump(mode="json", by_alias=True),
            published_at=now,
            published_by=actor,
            results=[result_of(ranked) for ranked in self.compute(session, month)],
        )
        session.add(run)
        session.flush()
        return run


def result_of(ranked: Ranked) -> AssessmentResult:
    """One lawyer's result as it is kept (and shown while the month is not published)."""
    return AssessmentResult(
        extension=ranked.person.extension,
        name=ranked.person.name,
        firm=ranked.person.firm,
        total=ranked.score.total,
        grade=ranked.score.grade,
        rank=ranked.rank,
        firm_rank=ranked.firm_rank,
        figures=dict(ranked.person.figures),
        items=[
            {"key": i.key, "label": i.label, "weight": i.weight, "value": i.value, "points": i.points}
            for i in ranked.score.items
        ],
    )


def published(session: Session, month: str) -> AssessmentRun | None:
    """The month's latest published version (None: not published)."""
    return session.scalar(
        select(AssessmentRun)
        .where(AssessmentRun.month == month)
        .order_by(AssessmentRun.version.desc())
        .limit(1)
    )


def history(
    session: Session, extension: str, until: str, months: int = 12
) -> list[tuple[str, AssessmentResult]]:
    """``extension``'s published results of the ``months`` months up to ``until`` (latest version of
    each), oldest first: the trend."""
    first = add_months(month_period(until, "UTC").first, -(months - 1)).strftime("%Y-%m")
    latest = (
        select(AssessmentRun.month, func.max(AssessmentRun.version).label("version"))
        .where(AssessmentRun.month >= first, AssessmentRun.month <= until)
        .group_by(AssessmentRun.month)
        .subquery()
    )
    rows = session.execute(
        select(AssessmentRun.month, AssessmentResult)
        .join(latest, (latest.c.month == AssessmentRun.month) & (latest.c.version == AssessmentRun.version))
        .join(AssessmentResult, AssessmentResult.run_id == AssessmentRun.id)
        .where(AssessmentResult.extension == extension)
        .order_by(AssessmentRun.month)
    ).all()
    return [(month, result) for month, result in rows]
