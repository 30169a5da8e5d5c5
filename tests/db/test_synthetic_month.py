"""The benchmarks' synthetic month (bench/synthetic_month.py), small: the rows it writes are what the
app would have written, and read back through the ORM as they were generated."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine, func, select, text
from sqlalchemy.orm import Session

from bench.synthetic_month import FLOWS, calls_have_after_hours, fill
from hotline.calls.models import Call
from hotline.db.base import UTCDateTime
from hotline.db.session import make_engine
from hotline.ivr.calendar import is_open, load_calendar
from hotline.quality.models import Review
from hotline.recordings.models import Recording
from hotline.tickets.models import OutboxMessage, Ticket, TicketCall
from hotline.transcription.models import KeywordAlert

SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.fixture
def bench_engine(database_url: str) -> Iterator[Engine]:
    engine = make_engine(database_url)
    try:
        yield engine
    finally:
        engine.dispose()


def test_a_month_of_calls_with_their_tickets(bench_engine: Engine) -> None:
    figures = fill(bench_engine, "2026-11", 2_000, seed=7)
    assert figures.checked > 0  # the fill's own read-back found every sampled row equal
    assert figures.rows["calls"] == 2_000 and figures.rows["lawyers"] == 260
    shares = {outcome: count / 2_000 for outcome, count in figures.outcomes.items()}
    assert 0.70 <= shares["answered"] <= 0.86
    assert 0.07 <= shares["abandoned"] <= 0.17
    assert 0.03 <= shares["voicemail"] <= 0.10
    assert 0.015 <= shares["transferred"] <= 0.07
    end = datetime(2026, 12, 1, tzinfo=SHANGHAI)

    with Session(bench_engine) as session:
        counted = {
            name: session.scalar(select(func.count()).select_from(model))
            for name, model in (
                ("calls", Call),
                ("tickets", Ticket),
                ("ticket_calls", TicketCall),
                ("outbox", OutboxMessage),
                ("recordings", Recording),
                ("reviews", Review),
                ("keyword_alerts", KeywordAlert),
            )
        }
        assert counted == {name: figures.rows[name] for name in counted}

        # A ticket for every answered call and voicemail ended by the month's end, and no other.
        wanted = set(
            session.scalars(
                select(Call.linkedid).where(Call.outcome.in_(["answered", "voicemail"]), Call.ended_at < end)
            )
        )
        opened = set(session.scalars(select(Ticket.linkedid)))
        assert opened <= wanted and len(wanted - opened) <= 2  # a call ending in the last second
        assert (
            session.scalar(select(func.count()).where(Ticket.state == "open", Ticket.due_at.is_(None))) == 0
        )
        late = session.scalar(select(func.count()).where(Ticket.closed_at > end))
        assert late == 0  # nothing happened after the snapshot

        # Every time comes back aware and equal to what is stored, as the ORM writes it.
        calls = session.scalars(select(Call).where(Call.answered_at.is_not(None)).limit(20)).all()
        assert calls
        started = Call.__table__.c.started_at.type
        assert isinstance(started, UTCDateTime)
        calendar = load_calendar(FLOWS / "calendar.yaml", FLOWS / "holidays")
        for call in calls:
            assert call.started_at and call.queued_at and call.answered_at and call.ended_at
            assert call.started_at.utcoffset() is not None
            assert call.started_at < call.queued_at < call.answered_at < call.ended_at
            assert call.wait_seconds is not None
            assert abs(call.wait_seconds - (call.answered_at - call.queued_at).total_seconds()) <= 0.5 + 1e-6
            stored = session.execute(
                text("SELECT started_at FROM calls WHERE id = :id"), {"id": call.id}
            ).scalar()
            if bench_engine.dialect.name == "sqlite":
                assert stored == started.process_bind_param(call.started_at, bench_engine.dialect)
            else:
                assert stored == call.started_at
            if calls_have_after_hours():
                after_hours = session.scalar(
                    select(Call.__table__.c["after_hours"]).where(Call.id == call.id)
                )
                assert after_hours is not is_open(calendar, call.started_at)

        # The sequences go on after the rows written with their ids.
        session.add(Call(linkedid="after-the-fill"))
        session.flush()
        assert session.scalar(select(Call.id).where(Call.linkedid == "after-the-fill")) == 2_001
        session.rollback()

    if bench_engine.dialect.name == "sqlite":
        with bench_engine.connect() as connection:
            assert connection.exec_driver_sql("PRAGMA foreign_key_check").all() == []
            assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"


def test_calls_of_today_up_to_now_and_the_same_rows_from_the_same_seed(bench_engine: Engine) -> None:
    now = datetime(2026, 12, 3, 15, 0, tzinfo=SHANGHAI)  # a Thursday
    first = fill(bench_engine, "2026-11", 500, today=date(2026, 12, 3), today_calls=300, now=now, seed=3)
    assert first.rows["calls"] == 800 and first.snapshot == now
    day_start = datetime(2026, 12, 3, tzinfo=SHANGHAI)
    with Session(bench_engine) as session:
        today = session.scalars(select(Call).where(Call.started_at >= day_start)).all()
        assert len(today) == 300
        assert all(call.ended_at is not None and call.ended_at <= now for call in today)
        assert any(call.outcome == "answered" for call in today)
        numbers = session.scalars(select(Ticket.number).where(Ticket.created_at >= day_start)).all()
        assert numbers and all(number.startswith("12348-20261203-") for number in numbers)
        rows = session.execute(select(Call.linkedid, Call.started_at, Call.outcome).order_by(Call.id)).all()

    again = fill(bench_engine, "2026-11", 500, today=date(2026, 12, 3), today_calls=300, now=now, seed=3)
    assert again.rows == first.rows
    with Session(bench_engine) as session:
        assert (
            session.execute(select(Call.linkedid, Call.started_at, Call.outcome).order_by(Call.id)).all()
            == rows
        )
