"""The stored roll-ups equal the facts: for every grouping, after late facts, as the clock moves."""

from __future__ import annotations

from dataclasses import fields
from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from hotline.calls.service import CallStore
from hotline.calls.state import CallProgress
from hotline.quality.models import Review
from hotline.stats.definitions import Tally, Thresholds
from hotline.stats.models import RollupDay
from hotline.stats.periods import Period
from hotline.stats.rollup import Rollups
from hotline.stats.service import BY_DIMENSIONS, Grouped, Statistics
from hotline.tickets.models import Ticket, TicketCall
from tests import stats_month
from tests.stats_month import AS_OF, THRESHOLDS, local

pytestmark = pytest.mark.db

ZONE = "Asia/Shanghai"
# October to December: the month's stored days, today (1 December) and days to come (never stored).
QUARTER = (date(2026, 10, 1), date(2027, 1, 1))
GROUPINGS: list[list[str]] = [
    [],
    *([name] for name in BY_DIMENSIONS),
    ["day", "topic"],
    ["weekday", "hour"],
    ["week", "queue"],
    ["month", "lawyer"],
    ["hour", "language"],
    ["firm", "queue"],
]


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock(AS_OF)


@pytest.fixture
def month(session_factory: sessionmaker[Session]) -> sessionmaker[Session]:
    with session_factory.begin() as session:
        stats_month.fill(session)
    return session_factory


def _both(clock: Clock, thresholds: Thresholds = THRESHOLDS) -> tuple[Statistics, Statistics, Rollups]:
    # No margin: the rows written just before a refresh count as seen by it.
    rollups = Rollups(thresholds, ZONE, clock, margin=timedelta(0))
    return Statistics(thresholds, ZONE, clock), Statistics(thresholds, ZONE, clock, rollups), rollups


def _refresh(factory: sessionmaker[Session], rollups: Rollups) -> tuple[str, ...]:
    return rollups.refresh(factory).days


def _view(grouped: Grouped) -> tuple[object, ...]:
    """Everything a reader sees (review totals to the cent: sums of floats in another order)."""

    def one(tally: Tally) -> dict[str, object]:
        values = {f.name: getattr(tally, f.name) for f in fields(tally)}
        values["review_total"] = round(tally.review_total, 2)
        return values

    return grouped.by, {key: one(t) for key, t in grouped.groups.items()}, one(grouped.total)


def _assert_equal(
    factory: sessionmaker[Session], facts: Statistics, stored: Statistics, *, waits: bool = True
) -> None:
    period = facts.period(*QUARTER)
    with factory() as session:
        for by in GROUPINGS:
            for lawyer in (None, "8001"):
                if lawyer is not None and by not in ([], ["day", "topic"], ["weekday", "hour"]):
                    continue
                expected = facts.grouped(session, period, by, lawyer=lawyer, waits=waits)
                got = stored.grouped(session, period, by, lawyer=lawyer, waits=waits)
                assert _view(got) == _view(expected), (by, lawyer)


def _stored_days(factory: sessionmaker[Session], rollups: Rollups) -> set[str]:
    with factory() as session:
        return set(rollups.plan(session, Period(*QUARTER, ZONE)).stored)


def test_every_grouping_read_from_the_stored_days_equals_the_facts(
    month: sessionmaker[Session], clock: Clock
) -> None:
    facts, stored, rollups = _both(clock)
    assert _refresh(month, rollups)[-1] == "2026-11-30"  # every day before today (1 December)
    november = {f"2026-11-{day:02d}" for day in range(1, 31)}
    assert november <= _stored_days(month, rollups)
    _assert_equal(month, facts, stored)
    _assert_equal(month, facts, stored, waits=False)
    # Nothing changed: a second refresh stores nothing again.
    assert _refresh(month, rollups) == ()


def test_late_facts_are_read_at_once_and_stored_again_by_the_next_refresh(
    month: sessionmaker[Session], clock: Clock
) -> None:
    facts, stored, rollups = _both(clock)
    _refresh(month, rollups)
    # A call of 20 November back-filled after an outage, through the call store's own writes.
    CallStore(month).write(
        [
            CallProgress(
                linkedid="backfilled",
                started_at=local(20, 15, 0).timestamp(),
                queued_at=local(20, 15, 1).timestamp(),
                answered_at=local(20, 15, 2).timestamp(),
                ended_at=local(20, 15, 9).timestamp(),
                queue="labour",
                lawyer="8002",
                wait_seconds=1,
                talk_seconds=7,
            )
        ]
    )
    with month.begin() as session:
        # The open ticket of 3 November closed; a callback made for the one of 30 November; a
        # review of 25 November submitted (counted on the day it was submitted).
        session.execute(
            update(Ticket)
            .where(Ticket.number == "T3")
            .values(state="closed", closed_at=local(25, 10, 0), updated_at=AS_OF)
        )
        t5 = session.scalar(select(Ticket.id).where(Ticket.number == "T5"))
        session.add(
            TicketCall(ticket_id=t5, linkedid="cb5", role="callback", added_at=local(1, 9, 0, month=12))
        )
        review = session.scalars(select(Review).where(Review.state != "submitted")).first()
        assert review is not None
        review.state, review.submitted_at, review.total = "submitted", local(25, 16, 0), 72.5
    stale = {"2026-11-20", "2026-11-03", "2026-11-30", "2026-11-25"}
    assert not stale & _stored_days(month, rollups)
    _assert_equal(month, facts, stored)
    with month() as session:
        assert stored.grouped(session, stored.period(*QUARTER), ["day"]).groups[("2026-11-20",)].answered == 1
    assert set(_refresh(month, rollups)) == stale
    assert stale <= _stored_days(month, rollups)
    _assert_equal(month, facts, stored)


def test_deadlines_follow_the_clock_not_the_stored_days(month: sessionmaker[Session], clock: Clock) -> None:
    """T5 (30 November, open) is due on 1 December at 23:31: overdue the next day, with no write."""
    facts, stored, rollups = _both(clock)
    _refresh(month, rollups)
    period = stored.period(*QUARTER)
    with month() as session:
        before = stored.grouped(session, period).total
        clock.now = AS_OF + timedelta(days=1)
        after = stored.grouped(session, period).total
    assert (after.overdue, after.due) == (before.overdue + 1, before.due + 1)
    _assert_equal(month, facts, stored)


def test_other_thresholds_store_every_day_again(month: sessionmaker[Session], clock: Clock) -> None:
    _facts, _stored, rollups = _both(clock)
    first = _refresh(month, rollups)
    facts, stored, strict = _both(clock, Thresholds(service_level_seconds=10, short_abandon_seconds=2))
    assert not _stored_days(month, strict)  # stored with other thresholds: not used
    assert _refresh(month, strict) == first
    _assert_equal(month, facts, stored)
    with month() as session:
        assert session.scalar(select(RollupDay.day).order_by(RollupDay.day.desc())) == "2026-11-30"
