"""The statistics against a hand-counted month, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from hotline.calls.models import Call
from hotline.calls.service import CallStore
from hotline.calls.state import CallProgress
from hotline.ivr.calendar import is_open, load_calendar
from hotline.stats.definitions import KPI_KEYS
from hotline.stats.rollup import Rollups
from hotline.stats.service import Statistics
from tests import stats_month
from tests.stats_month import AS_OF, NOVEMBER, NOVEMBER_BY_DAY, THRESHOLDS, local

pytestmark = pytest.mark.db

IVR_FLOWS = Path(__file__).resolve().parents[2] / "ivr_flows"
NOV = (date(2026, 11, 1), date(2026, 12, 1))


@pytest.fixture(params=["facts", "stored"])
def stats(request: pytest.FixtureRequest) -> Statistics:
    """Every figure read from the facts, and from the stored roll-ups of the past days."""
    rollups = Rollups(THRESHOLDS, "Asia/Shanghai", lambda: AS_OF, margin=timedelta(0))
    return Statistics(
        THRESHOLDS, "Asia/Shanghai", lambda: AS_OF, rollups if request.param == "stored" else None
    )


@pytest.fixture
def month(session_factory: sessionmaker[Session], stats: Statistics) -> sessionmaker[Session]:
    with session_factory.begin() as session:
        stats_month.fill(session)
    if stats.rollups is not None:
        stored = stats.rollups.refresh(session_factory).days
        assert stored[0] == "2026-10-31" and stored[-1] == "2026-11-30"  # up to today, 1 December
    return session_factory


def test_every_kpi_of_the_month_is_as_counted_by_hand(
    month: sessionmaker[Session], stats: Statistics
) -> None:
    with month() as session:
        grouped = stats.grouped(session, stats.period(*NOV))
    figures = stats.figures(grouped.total)
    assert set(figures) == set(KPI_KEYS)
    expected = {key: 0 for key in KPI_KEYS if key.startswith("tickets_")} | NOVEMBER
    wrong = {key: (figures[key], value) for key, value in expected.items() if figures[key] != value}
    assert not wrong, f"(computed, by hand): {wrong}"
    assert grouped.groups == {(): grouped.total}


def test_days_are_local_days(month: sessionmaker[Session], stats: Statistics) -> None:
    with month() as session:
        grouped = stats.grouped(session, stats.period(*NOV), ["day"])
    got = {
        key[0]: (t.calls, t.offered, t.answered, t.abandoned, t.tickets, t.handoffs, t.reviews, t.alerts)
        for key, t in grouped.groups.items()
    }
    assert got == NOVEMBER_BY_DAY


def test_weeks_months_weekdays_and_hours_roll_up_from_the_same_counts(
    month: sessionmaker[Session], stats: Statistics
) -> None:
    with month() as session:
        weeks = stats.grouped(session, stats.period(*NOV), ["week"]).groups
        months = stats.grouped(session, stats.period(date(2026, 10, 1), date(2027, 1, 1)), ["month"]).groups
        heat = stats.grouped(session, stats.period(*NOV), ["weekday", "hour"], sources=["calls"]).groups
    # ISO weeks start on Monday: 1 November (a Sunday) belongs to the week of 26 October.
    assert {k[0]: t.calls for k, t in weeks.items() if t.calls} == {
        "2026-10-26": 1,
        "2026-11-02": 7,
        "2026-11-30": 1,
    }
    assert {k[0]: t.calls for k, t in months.items()} == {"2026-10": 1, "2026-11": 9, "2026-12": 1}
    assert {k: (t.calls, t.offered, t.abandoned) for k, t in heat.items()} == {
        (1, 9): (2, 2, 0),  # c1 c2: Monday 9:xx
        (1, 10): (2, 2, 2),  # c3 c4
        (1, 23): (1, 1, 0),  # c8 on the 30th
        (2, 14): (1, 1, 0),
        (2, 20): (1, 0, 0),
        (6, 11): (1, 0, 0),
        (7, 0): (1, 0, 0),
    }


def test_lawyers_firms_topics_and_a_lawyer_s_own_figures(
    month: sessionmaker[Session], stats: Statistics
) -> None:
    with month() as session:
        lawyers = stats.grouped(session, stats.period(*NOV), ["lawyer"]).groups
        firms = stats.grouped(session, stats.period(*NOV), ["firm"]).groups
        topics = stats.grouped(session, stats.period(*NOV), ["day", "topic"]).groups
        own = stats.grouped(session, stats.period(*NOV), ["topic"], lawyer="8001")
    assert {k[0]: (t.answered, t.talk, t.tickets, t.reviews) for k, t in lawyers.items()} == {
        "8001": (2, 900, 2, 2),
        "8002": (2, 180, 3, 0),
        None: (0, 0, 0, 0),
    }
    assert {k[0]: (t.answered, t.satisfied) for k, t in firms.items()} == {
        "瓯越律师事务所": (2, 1),
        "东瓯律师事务所": (2, 1),
        None: (0, 0),
    }
    assert topics[("2026-11-03", "family")].answered == 1
    assert topics[("2026-11-02", "labour")].offered == 4
    assert (own.total.calls, own.total.answered, own.total.tickets, own.total.reviews, own.total.alerts) == (
        2,
        2,
        2,
        2,
        1,
    )
    assert set(own.groups) == {("labour",)}


@pytest.mark.parametrize(
    ("groupings", "waits"),
    [
        ((["day"], ["weekday", "hour"], []), True),
        ((["topic"], ["language"], ["lawyer"], ["firm"]), False),
        ((["week", "queue"], ["lawyer"], ["hour"]), True),
    ],
)
def test_groupings_from_one_reading_equal_each_read_alone(
    month: sessionmaker[Session], stats: Statistics, groupings: tuple[list[str], ...], waits: bool
) -> None:
    """The report reads several groupings at once (the finest they need together, rolled up to
    each): every figure equals the grouping's own reading."""
    period = stats.period(*NOV)
    with month() as session:
        together = stats.grouped_each(session, period, groupings, waits=waits)
        alone = [stats.grouped(session, period, by, waits=waits) for by in groupings]
    assert [(g.by, g.groups, g.total) for g in together] == [(g.by, g.groups, g.total) for g in alone]
    assert bool(together[0].total.waits) == waits


def test_a_late_record_counts_as_soon_as_it_is_written(
    month: sessionmaker[Session], stats: Statistics
) -> None:
    """Figures are computed from the records every time: a call back-filled after an outage (its
    summary merged a day late) counts in its own day at once."""
    with month() as session:
        before = stats.grouped(session, stats.period(*NOV), ["day"]).groups
    assert ("2026-11-15",) not in before
    with month.begin() as session:
        session.add(
            stats_month._call(
                "late",
                local(15, 10, 0),
                queue="labour",
                topic="labour",
                lawyer="8001",
                wait=8,
                talk=90,
                outcome="answered",
                rating=5,
            )
        )
    with month() as session:
        after = stats.grouped(session, stats.period(*NOV), ["day"])
    assert after.groups[("2026-11-15",)].answered == 1
    assert stats.figures(after.total)["answered"] == NOVEMBER["answered"] + 1


def test_today_for_the_wallboard_uses_the_same_definitions(
    month: sessionmaker[Session], stats: Statistics
) -> None:
    with month() as session:
        queues = stats.today(session, ["queue"], now=local(2, 18, 0))
    labour = queues[("labour",)]
    assert (labour.answered, labour.abandoned, labour.short_abandoned, labour.answered_in_time) == (
        2,
        2,
        1,
        1,
    )
    assert stats.figures(labour)["service_level"] == 0.3333  # 1 / (4 - 1)


def test_the_store_marks_calls_that_came_after_hours(session_factory: sessionmaker[Session]) -> None:
    calendar = load_calendar(IVR_FLOWS / "calendar.yaml", IVR_FLOWS / "holidays")
    store = CallStore(session_factory, closed_at=lambda moment: not is_open(calendar, moment))
    monday_morning, monday_night, sunday = local(2, 9, 0), local(2, 21, 0), local(8, 10, 0)
    store.write(
        [
            CallProgress(
                linkedid=name,
                started_at=moment.timestamp(),
                ended_at=(moment + timedelta(minutes=1)).timestamp(),
            )
            for name, moment in (("day", monday_morning), ("night", monday_night), ("sunday", sunday))
        ]
    )
    with session_factory() as session:
        marks = {
            linkedid: mark for linkedid, mark in session.execute(select(Call.linkedid, Call.after_hours))
        }
    assert marks == {"day": False, "night": True, "sunday": True}
