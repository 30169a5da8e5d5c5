"""Queued callbacks (排队回电) on SQLite and PostgreSQL: a request opens its ticket at once, is placed
in the queue, answered, retried or given up to the desk; its ticket is rated once whichever attempt
the citizen rates (with an injected clock)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from hotline.calls.models import Call
from hotline.ivr.calendar import load_calendar
from hotline.queued import service
from hotline.queued.models import QueuedCallback, QueuedState
from hotline.queued.service import Placement, Retries
from hotline.settings import TicketSettings
from hotline.tickets.models import Ticket, TicketKind
from hotline.tickets.service import TicketDesk, rate_callback

pytestmark = pytest.mark.db

FLOWS = Path(__file__).resolve().parents[2] / "ivr_flows"
# Friday 27 November 2026, 09:00 in Beijing: the citizen's call starts.
FRIDAY = datetime(2026, 11, 27, 1, 0, tzinfo=UTC)
QUEUED = FRIDAY + timedelta(seconds=20)  # joined the labour queue
REQUESTED = FRIDAY + timedelta(seconds=80)  # pressed 1
HUNG_UP = FRIDAY + timedelta(seconds=90)
CITIZEN = "13905770123"
ORIGIN = "1795914000.11"
RETRIES = Retries(times=2, seconds=300)


@pytest.fixture
def desk() -> TicketDesk:
    calendar = load_calendar(FLOWS / "calendar.yaml", FLOWS / "holidays")
    return TicketDesk.of(calendar, TicketSettings().deadlines, "12348")


def origin_call(
    linkedid: str = ORIGIN,
    *,
    ended: bool = True,
    callback_queued_at: datetime | None = REQUESTED,
) -> Call:
    """The citizen's call that pressed 1 in the labour queue, as the reducer recorded it."""
    outcome = None
    if ended:
        outcome = "callback-queued" if callback_queued_at is not None else "abandoned"
    return Call(
        linkedid=linkedid,
        caller=CITIZEN,
        started_at=FRIDAY,
        queue="labour",
        queued_at=QUEUED,
        ended_at=HUNG_UP if ended else None,
        wait_seconds=65 if ended else None,
        outcome=outcome,
        topic="labour",
        language="mandarin",
        callback_queued_at=callback_queued_at,
    )


def add(session_factory: sessionmaker[Session], *calls: Call) -> None:
    with session_factory.begin() as session:
        session.add_all(calls)


def ask(
    session_factory: sessionmaker[Session],
    desk: TicketDesk,
    origin: str = ORIGIN,
    *,
    position: int = 3,
    at: datetime = REQUESTED,
    number: str = CITIZEN,
) -> str:
    """A request; its ticket's number."""
    with session_factory.begin() as session:
        return service.request(session, desk, origin, number, "labour", position, at).ticket


def place(
    session_factory: sessionmaker[Session], desk: TicketDesk, now: datetime, origin: str = ORIGIN
) -> Placement:
    with session_factory.begin() as session:
        return service.place(session, desk, request_of(session, origin), now)


def request_of(session: Session, origin: str = ORIGIN) -> QueuedCallback:
    return session.scalars(select(QueuedCallback).where(QueuedCallback.origin == origin)).one()


def ticket_of(session: Session, number: str) -> Ticket:
    return session.scalars(select(Ticket).where(Ticket.number == number)).one()


def call_of(session: Session, linkedid: str = ORIGIN) -> Call:
    return session.scalars(select(Call).where(Call.linkedid == linkedid)).one()


def count(session: Session, model: type[object]) -> int:
    return session.scalar(select(func.count()).select_from(model)) or 0


# --- asking -------------------------------------------------------------------------------------


def test_a_request_opens_its_ticket_at_once(session_factory: sessionmaker[Session], desk: TicketDesk) -> None:
    add(session_factory, origin_call())
    number = ask(session_factory, desk)
    with session_factory() as session:
        ticket = ticket_of(session, number)
        assert number == "12348-20261127-0001"
        assert (ticket.kind, ticket.outcome, ticket.state) == ("queued-callback", "callback", "open")
        assert ticket.kind == TicketKind.queued
        assert (ticket.linkedid, ticket.caller, ticket.lawyer) == (ORIGIN, CITIZEN, None)
        assert (ticket.topic, ticket.language) == ("labour", "mandarin")
        assert [(link.linkedid, link.role) for link in ticket.calls] == [(ORIGIN, "origin")]
        assert ticket.due_rule == "callback: 24h"
        assert ticket.due_at == REQUESTED + timedelta(hours=24)
        row = request_of(session)
        assert (row.ticket, row.number, row.queue, row.position) == (number, CITIZEN, "labour", 3)
        assert (row.state, row.failures, row.attempt, row.lawyer) == (QueuedState.waiting, 0, None, None)
        assert row.requested_at == row.next_at == REQUESTED


def test_the_same_call_asking_twice_is_one_request(
    session_factory: sessionmaker[Session], desk: TicketDesk
) -> None:
    add(session_factory, origin_call())
    first = ask(session_factory, desk)
    # The event and AstDB after a reconnect, or the event twice: the first request stays.
    again = ask(session_factory, desk, position=7, at=REQUESTED + timedelta(seconds=30))
    with session_factory() as session:
        assert again == first
        assert (count(session, QueuedCallback), count(session, Ticket)) == (1, 1)
        row = request_of(session)
        assert (row.position, row.requested_at) == (3, REQUESTED)


def test_a_request_without_a_call_record_still_opens_its_ticket(
    session_factory: sessionmaker[Session], desk: TicketDesk
) -> None:
    """The request came before the call's record was written: the ticket is numbered by the request."""
    number = ask(session_factory, desk, position=0)
    with session_factory() as session:
        ticket = ticket_of(session, number)
        assert (ticket.linkedid, ticket.caller, ticket.topic) == (ORIGIN, CITIZEN, None)
        assert request_of(session).position == 1  # no place before the head of the queue
        assert count(session, Call) == 0


def test_a_request_marks_the_call_that_asked(
    session_factory: sessionmaker[Session], desk: TicketDesk
) -> None:
    """The reducer's event missed (e.g. read back from AstDB): the request says so on the record."""
    add(
        session_factory,
        origin_call("c-ended", callback_queued_at=None),
        origin_call("c-going", ended=False, callback_queued_at=None),
        origin_call("c-marked", callback_queued_at=QUEUED + timedelta(seconds=5)),
    )
    for origin in ("c-ended", "c-going", "c-marked"):
        ask(session_factory, desk, origin)
    with session_factory() as session:
        ended = call_of(session, "c-ended")
        assert (ended.callback_queued_at, ended.outcome) == (REQUESTED, "callback-queued")
        going = call_of(session, "c-going")
        assert (going.callback_queued_at, going.outcome) == (REQUESTED, None)
        marked = call_of(session, "c-marked")  # what the reducer said stays
        assert (marked.callback_queued_at, marked.outcome) == (
            QUEUED + timedelta(seconds=5),
            "callback-queued",
        )
        assert count(session, Ticket) == 3


# --- placing ------------------------------------------------------------------------------------


def test_due_gives_waiting_requests_whose_time_has_come(
    session_factory: sessionmaker[Session], desk: TicketDesk
) -> None:
    ask(session_factory, desk, "early", at=REQUESTED)
    ask(session_factory, desk, "late", at=REQUESTED + timedelta(minutes=10))
    ask(session_factory, desk, "placed", at=REQUESTED - timedelta(minutes=1))
    place(session_factory, desk, REQUESTED, "placed")
    with session_factory() as session:
        assert service.due(session, REQUESTED - timedelta(seconds=1)) == []
        assert [row.origin for row in service.due(session, REQUESTED)] == ["early"]  # next_at == now
        assert [row.origin for row in service.due(session, REQUESTED + timedelta(minutes=5))] == ["early"]
        later = REQUESTED + timedelta(minutes=10)
        assert [row.origin for row in service.due(session, later)] == ["early", "late"]  # oldest first
        assert [row.origin for row in service.due(session, later, limit=1)] == ["early"]
        assert [row.origin for row in service.open_requests(session)] == ["placed", "early", "late"]


def test_placing_links_the_attempt_to_the_ticket_at_the_callers_place(
    session_factory: sessionmaker[Session], desk: TicketDesk
) -> None:
    add(session_factory, origin_call())
    number = ask(session_factory, desk)
    now = REQUESTED + timedelta(seconds=2)
    placement = place(session_factory, desk, now)
    assert placement == Placement(placement.attempt, ORIGIN, number, CITIZEN, "labour", 3)
    with session_factory() as session:
        row = request_of(session)
        assert (row.state, row.attempt, row.placed_at, row.next_at) == (
            QueuedState.placed,
            placement.attempt,
            now,
            None,
        )
        ticket = ticket_of(session, number)
        assert [(link.linkedid, link.role) for link in ticket.calls] == [
            (ORIGIN, "origin"),
            (placement.attempt, "callback"),
        ]
        assert service.placed_attempts(session) == {placement.attempt}
        assert service.due(session, now + timedelta(hours=1)) == []
        assert [row.origin for row in service.open_requests(session)] == [ORIGIN]


def test_a_retry_goes_to_the_head_of_the_queue(
    session_factory: sessionmaker[Session], desk: TicketDesk
) -> None:
    number = ask(session_factory, desk, position=5)
    first = place(session_factory, desk, REQUESTED)
    assert first.position == 5
    failed_at = REQUESTED + timedelta(minutes=3)
    with session_factory.begin() as session:
        assert service.failed(session, desk, first.attempt, "BUSY", failed_at, RETRIES) == QueuedState.waiting
    retry = place(session_factory, desk, failed_at + timedelta(seconds=300))
    assert retry.position == 1 and retry.attempt != first.attempt
    with session_factory() as session:
        assert request_of(session).position == 5  # the place left is kept
        assert [(link.linkedid, link.role) for link in ticket_of(session, number).calls] == [
            (ORIGIN, "origin"),
            (first.attempt, "callback"),
            (retry.attempt, "callback"),
        ]
        assert service.placed_attempts(session) == {retry.attempt}


def test_a_lawyer_answering_the_stand_in_is_noted(
    session_factory: sessionmaker[Session], desk: TicketDesk
) -> None:
    ask(session_factory, desk)
    placement = place(session_factory, desk, REQUESTED)
    with session_factory.begin() as session:
        assert service.started(session, placement.attempt, "8001")
        assert not service.started(session, "no-such-attempt", "8002")
    with session_factory.begin() as session:
        assert service.started(session, placement.attempt, None)  # no lawyer said: the one known stays
    with session_factory() as session:
        assert request_of(session).lawyer == "8001"


# --- answered -----------------------------------------------------------------------------------


def test_an_answered_callback_answers_the_call_that_asked(
    session_factory: sessionmaker[Session], desk: TicketDesk
) -> None:
    add(session_factory, origin_call())
    number = ask(session_factory, desk)
    placement = place(session_factory, desk, REQUESTED + timedelta(seconds=2))
    answered_at = FRIDAY + timedelta(minutes=10)
    with session_factory.begin() as session:
        assert service.started(session, placement.attempt, "8001")
    with session_factory.begin() as session:
        assert service.answered(session, desk, placement.attempt, answered_at)
    with session_factory() as session:
        row = request_of(session)
        assert (row.state, row.answered_at, row.closed_at) == (QueuedState.answered, answered_at, answered_at)
        call = call_of(session)
        assert (call.answered_at, call.lawyer, call.queue, call.outcome) == (
            answered_at,
            "8001",
            "labour",
            "answered",
        )
        assert call.wait_seconds == round((answered_at - QUEUED).total_seconds()) == 580
        ticket = ticket_of(session, number)
        assert (ticket.kind, ticket.state, ticket.lawyer, ticket.outcome) == (
            "queued-callback",
            "open",
            "8001",
            None,
        )
        assert ticket.due_rule is not None and ticket.due_rule.startswith("unfinished")
        assert ticket.due_at == answered_at + timedelta(days=1)
        assert service.placed_attempts(session) == set()
        assert service.open_requests(session) == []


def test_only_a_placed_attempt_is_answered_or_fails(
    session_factory: sessionmaker[Session], desk: TicketDesk
) -> None:
    add(session_factory, origin_call())
    number = ask(session_factory, desk)
    placement = place(session_factory, desk, REQUESTED)
    later = REQUESTED + timedelta(minutes=5)
    with session_factory.begin() as session:
        assert not service.answered(session, desk, "no-such-attempt", later)
        assert service.failed(session, desk, "no-such-attempt", "NOANSWER", later, RETRIES) is None
    with session_factory() as session:
        row = request_of(session)
        assert (row.state, row.failures, row.note, row.answered_at) == (QueuedState.placed, 0, None, None)
        assert call_of(session).outcome == "callback-queued"
    with session_factory.begin() as session:
        assert service.answered(session, desk, placement.attempt, later)
    # Answered: a late failure or a second answer of the same attempt changes nothing.
    with session_factory.begin() as session:
        assert service.failed(session, desk, placement.attempt, "NOANSWER", later, RETRIES) is None
        assert not service.answered(session, desk, placement.attempt, later + timedelta(minutes=1))
        assert not service.started(session, placement.attempt, "8002")
    with session_factory() as session:
        row = request_of(session)
        assert (row.state, row.failures, row.note) == (QueuedState.answered, 0, None)
        assert (row.answered_at, row.closed_at) == (later, later)
        call = call_of(session)
        assert (call.answered_at, call.outcome, call.callback_queued_at) == (later, "answered", REQUESTED)
        ticket = ticket_of(session, number)
        assert (ticket.kind, ticket.outcome) == ("queued-callback", None)


# --- failed -------------------------------------------------------------------------------------


def test_a_callback_not_reached_is_retried_then_given_to_the_desk(
    session_factory: sessionmaker[Session], desk: TicketDesk
) -> None:
    add(session_factory, origin_call())
    number = ask(session_factory, desk)
    now = REQUESTED
    for failure in (1, 2):
        placement = place(session_factory, desk, now)
        with session_factory.begin() as session:
            assert service.started(session, placement.attempt, "8001")
        now += timedelta(minutes=1)
        with session_factory.begin() as session:
            state = service.failed(session, desk, placement.attempt, "NOANSWER", now, RETRIES)
            assert state == QueuedState.waiting
        with session_factory() as session:
            row = request_of(session)
            assert (row.state, row.failures, row.note) == (QueuedState.waiting, failure, "NOANSWER")
            assert row.next_at == now + timedelta(seconds=300)
            assert row.closed_at is None
            assert service.placed_attempts(session) == set()
            assert service.due(session, now + timedelta(seconds=299)) == []
            assert [r.origin for r in service.due(session, now + timedelta(seconds=300))] == [ORIGIN]
            ticket = ticket_of(session, number)
            assert (ticket.kind, ticket.outcome) == ("queued-callback", "callback")
            assert call_of(session).outcome == "callback-queued"
        now += timedelta(seconds=300)
    last = place(session_factory, desk, now)
    assert last.position == 1
    with session_factory.begin() as session:
        assert service.started(session, last.attempt, "8001")
    now += timedelta(minutes=1)
    with session_factory.begin() as session:
        assert service.failed(session, desk, last.attempt, "BUSY", now, RETRIES) == QueuedState.failed
    with session_factory() as session:
        row = request_of(session)
        assert (row.state, row.failures, row.note, row.closed_at) == (QueuedState.failed, 3, "BUSY", now)
        assert service.open_requests(session) == []
        assert service.due(session, now + timedelta(days=1)) == []
        ticket = ticket_of(session, number)
        assert (ticket.kind, ticket.outcome, ticket.lawyer, ticket.state) == (
            "abandoned",
            "callback",
            None,
            "open",
        )
        assert "3次均未接通（占线）" in ticket.summary
        assert ticket.due_rule == "abandoned: 24h"
        assert ticket.due_at == now + timedelta(hours=24)
        assert [link.role for link in ticket.calls] == ["origin", "callback", "callback", "callback"]
        call = call_of(session)
        assert (call.outcome, call.callback_queued_at, call.answered_at) == ("abandoned", None, None)
    # The failed attempt failing again (AstDB read back after a reconnect) changes nothing.
    with session_factory.begin() as session:
        assert service.failed(session, desk, last.attempt, "BUSY", now, RETRIES) is None
    with session_factory() as session:
        assert request_of(session).failures == 3
        assert ticket_of(session, number).summary.count("次均未接通") == 1


def test_without_retries_the_first_failure_gives_up(
    session_factory: sessionmaker[Session], desk: TicketDesk
) -> None:
    number = ask(session_factory, desk)
    placement = place(session_factory, desk, REQUESTED)
    with session_factory.begin() as session:
        state = service.failed(session, desk, placement.attempt, "NOLAWYER", REQUESTED, Retries(0, 300))
        assert state == QueuedState.failed
    with session_factory() as session:
        ticket = ticket_of(session, number)
        assert ticket.kind == "abandoned" and "1次均未接通" in ticket.summary


# --- rating -------------------------------------------------------------------------------------


def test_the_citizens_rating_on_an_attempt_rates_the_ticket_once(
    session_factory: sessionmaker[Session], desk: TicketDesk
) -> None:
    number = ask(session_factory, desk)
    first = place(session_factory, desk, REQUESTED)
    with session_factory.begin() as session:
        assert not rate_callback(session, number, "no-such-call", 5)
        assert not rate_callback(session, number, first.attempt, None)
        assert rate_callback(session, number, first.attempt, 4)
    with session_factory.begin() as session:
        assert service.failed(session, desk, first.attempt, "NOANSWER", REQUESTED, RETRIES)
    second = place(session_factory, desk, REQUESTED + timedelta(seconds=300))
    with session_factory.begin() as session:
        assert not rate_callback(session, number, second.attempt, 1)
    with session_factory() as session:
        ticket = ticket_of(session, number)
        assert (ticket.rating, ticket.rating_channel) == (4, "callback")
        ratings = {link.linkedid: link.rating for link in ticket.calls}
        # Each attempt keeps what the citizen said on it; only the first is the ticket's.
        assert ratings == {ORIGIN: None, first.attempt: 4, second.attempt: 1}


def test_a_request_known_late_takes_over_the_lost_call_task_of_its_call(
    session_factory: sessionmaker[Session], desk: TicketDesk
) -> None:
    """A request read back after the controller was away: the call was taken for a lost one (a
    未接回拨 task), which becomes the queued callback's ticket rather than a second ticket."""
    add(session_factory, origin_call(callback_queued_at=None))
    with session_factory.begin() as session:
        desk.follow_lost_calls(session, [ORIGIN], HUNG_UP)
    with session_factory() as session:
        [task] = session.scalars(select(Ticket)).all()
        assert task.kind == TicketKind.abandoned
    number = ask(session_factory, desk)
    with session_factory() as session:
        assert count(session, Ticket) == 1
        ticket = ticket_of(session, number)
        assert (ticket.number, ticket.kind, ticket.state) == (task.number, "queued-callback", "open")
        assert call_of(session).outcome == "callback-queued"
