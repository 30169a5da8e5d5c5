"""No call left behind, on SQLite and PostgreSQL: a caller lost after waiting gets a callback task (one
per number a day) that closes itself when they are answered again or called back; a caller the
menus put through to 12345 leaves a ticket and a 12345 hand-off (with an injected clock)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from hotline.auth.models import Role
from hotline.auth.service import Actor
from hotline.calls.models import Call
from hotline.calls.service import CallStore
from hotline.calls.state import CallProgress
from hotline.ivr.calendar import load_calendar
from hotline.kernel.tasks import TaskSupervisor
from hotline.routing.models import Lawyer
from hotline.settings import TicketSettings
from hotline.tickets.events import CallbackRatings
from hotline.tickets.models import OutboxMessage, Ticket, TicketKind
from hotline.tickets.service import TicketDesk, rate_callback, start_callback
from tests.db.test_tickets import KeptRatings

pytestmark = pytest.mark.db

FLOWS = Path(__file__).resolve().parents[2] / "ivr_flows"
# Friday 27 November 2026, 09:00 in Beijing.
FRIDAY = datetime(2026, 11, 27, 1, 0, tzinfo=UTC)
CITIZEN = "13905770123"
LAWYER = Actor(1, "lawyer-8001", Role.lawyer, lawyer_extension="8001")


@pytest.fixture
def desk() -> TicketDesk:
    calendar = load_calendar(FLOWS / "calendar.yaml", FLOWS / "holidays")
    return TicketDesk.of(calendar, TicketSettings().deadlines, "12348", abandon_seconds=10)


@pytest.fixture
def store(session_factory: sessionmaker[Session], desk: TicketDesk) -> CallStore:
    """The call store with the tickets' record hook, as the tickets plugin sets it up."""
    with session_factory.begin() as session:
        session.add(Lawyer(name="王律师", extension="8001", sip_ha1="0" * 32))
    calls = CallStore(session_factory)
    calls.record_hooks.append(lambda session, linkedids: desk.on_records(session, linkedids, FRIDAY))
    return calls


def lost(linkedid: str, start: datetime, *, wait: int = 12, caller: str | None = CITIZEN) -> CallProgress:
    t = start.timestamp()
    return CallProgress(
        linkedid=linkedid,
        caller=caller,
        started_at=t,
        queue="labour",
        queued_at=t + 20,
        left_queue_at=t + 20 + wait,
        wait_seconds=wait,
        ended_at=t + 20 + wait,
        topic="labour",
        language="mandarin",
    )


def answered(linkedid: str, start: datetime, caller: str = CITIZEN) -> CallProgress:
    t = start.timestamp()
    return CallProgress(
        linkedid=linkedid,
        caller=caller,
        started_at=t,
        queue="labour",
        queued_at=t + 20,
        answered_at=t + 30,
        wait_seconds=10,
        lawyer="8001",
        ended_at=t + 300,
        topic="labour",
    )


def tasks(session_factory: sessionmaker[Session]) -> list[Ticket]:
    with session_factory() as session:
        return list(
            session.scalars(select(Ticket).where(Ticket.kind == TicketKind.abandoned).order_by(Ticket.id))
        )


def test_a_caller_lost_after_waiting_gets_one_callback_task_a_day(
    session_factory: sessionmaker[Session], store: CallStore
) -> None:
    store.write([lost("a1", FRIDAY)])
    [task] = tasks(session_factory)
    assert (task.kind, task.outcome, task.state, task.lawyer, task.caller) == (
        "abandoned",
        "callback",
        "open",
        None,
        CITIZEN,
    )
    assert task.due_rule == "abandoned: 24h"
    assert task.due_at == FRIDAY + timedelta(seconds=32, hours=24)
    # Lost again that afternoon: the same task, the call linked to it.
    store.write([lost("a2", FRIDAY + timedelta(hours=5))])
    [task] = tasks(session_factory)
    assert [(c.linkedid, c.role) for c in task.calls] == [("a1", "origin"), ("a2", "abandoned")]
    # The same record written again (its summary merged later) changes nothing.
    store.write([lost("a2", FRIDAY + timedelta(hours=5), wait=13)])
    assert len(tasks(session_factory)[0].calls) == 2
    # The next day is another day: another task.
    store.write([lost("a3", FRIDAY + timedelta(days=1))])
    assert [t.linkedid for t in tasks(session_factory)] == ["a1", "a3"]


@pytest.mark.parametrize(
    ("call", "why"),
    [
        (lost("s1", FRIDAY, wait=8), "hung up after 8 s: under the 10 s"),
        (lost("s2", FRIDAY, caller=None), "anonymous"),
        (lost("s3", FRIDAY, caller="8001"), "a lawyer's extension"),
        (lost("s4", FRIDAY, caller="12345"), "too short to call back"),
        (
            CallProgress(
                linkedid="s5", caller=CITIZEN, started_at=FRIDAY.timestamp(), ended_at=FRIDAY.timestamp() + 9
            ),
            "hung up in the menus",
        ),
    ],
)
def test_no_task_for_a_caller_who_cannot_or_need_not_be_called_back(
    session_factory: sessionmaker[Session], store: CallStore, call: CallProgress, why: str
) -> None:
    store.write([call])
    assert tasks(session_factory) == [], why


def test_an_answered_call_again_closes_the_task_and_says_how(
    session_factory: sessionmaker[Session], store: CallStore
) -> None:
    store.write([answered("before", FRIDAY - timedelta(hours=1))])  # answered before: no effect
    store.write([lost("a1", FRIDAY)])
    assert tasks(session_factory)[0].state == "open"
    store.write([answered("again", FRIDAY + timedelta(hours=2))])
    [task] = tasks(session_factory)
    assert task.state == "closed"
    assert task.closed_at == FRIDAY + timedelta(hours=2, seconds=30)  # when they were answered
    assert task.closed_note == "再次来电已接通（again，律师 8001）"
    assert [(c.linkedid, c.role) for c in task.calls][-1] == ("again", "answered-again")
    # Lost again later that day: the task is open again, with a new deadline.
    store.write([lost("a2", FRIDAY + timedelta(hours=6))])
    [task] = tasks(session_factory)
    assert (task.state, task.closed_note) == ("open", None)
    assert task.due_at == FRIDAY + timedelta(hours=30, seconds=32)


async def test_a_callback_the_citizen_answers_closes_the_task(
    session_factory: sessionmaker[Session], store: CallStore, desk: TicketDesk
) -> None:
    store.write([lost("a1", FRIDAY)])
    with session_factory.begin() as session:
        number = tasks(session_factory)[0].number
        plan = start_callback(session, number, LAWYER, now=FRIDAY + timedelta(hours=1))
    answers = CallbackRatings(session_factory, TaskSupervisor(), desk)
    # Answered while the controller was away: Asterisk kept it, read back on reconnect.
    epoch = int((FRIDAY + timedelta(hours=1, minutes=1)).timestamp())
    peer = KeptRatings({f"/hotline-callback/{number}": f"{plan.linkedid}/{epoch}"})
    await answers.on_connected(peer)  # type: ignore[arg-type]
    [task] = tasks(session_factory)
    assert (task.state, task.closed_note, task.lawyer) == ("closed", "律师回拨已接通（律师 8001）", "8001")
    assert task.closed_at == FRIDAY + timedelta(hours=1, minutes=1)
    # A call that is not one of the ticket's callbacks closes nothing.
    with session_factory.begin() as session:
        assert not desk.callback_answered(session, number, "someone-else", FRIDAY)


def test_a_transfer_to_12345_leaves_a_ticket_and_its_hand_off(
    session_factory: sessionmaker[Session], store: CallStore
) -> None:
    t = FRIDAY.timestamp()
    store.write(
        [
            CallProgress(
                linkedid="gov",
                caller=CITIZEN,
                started_at=t,
                ended_at=t + 70,
                ivr_path="language=1 topic=0",
                transferred_to="gov-12345",
            )
        ]
    )
    with session_factory() as session:
        ticket = session.scalars(select(Ticket).where(Ticket.linkedid == "gov")).one()
        [message] = session.scalars(select(OutboxMessage).where(OutboxMessage.ticket_id == ticket.id)).all()
        assert (ticket.kind, ticket.outcome, ticket.state, ticket.closed_note) == (
            "transfer",
            "gov-12345",
            "closed",
            "语音菜单转接12345",
        )
        assert "language=1 topic=0" in ticket.summary
        document = message.payload
    assert (message.destination, message.event, message.state) == ("gov-12345", "transferred", "pending")
    assert (document["version"], document["reason"]) == (2, "ivr-menu")
    assert document["call"]["ivr_path"] == "language=1 topic=0"
    assert document["call"]["transferred_to"] == "gov-12345"
    assert document["ticket"]["caller"] == CITIZEN
    # Written again: still one ticket, one hand-off.
    store.write(
        [
            CallProgress(
                linkedid="gov", caller=CITIZEN, started_at=t, ended_at=t + 71, transferred_to="gov-12345"
            )
        ]
    )
    with session_factory() as session:
        assert session.scalar(select(Ticket.id).where(Ticket.linkedid == "gov")) == ticket.id
        assert len(session.scalars(select(OutboxMessage)).all()) == 1


@pytest.mark.parametrize("rated_first", [False, True])
def test_a_callbacks_record_takes_the_citizens_rating_whichever_comes_first(
    session_factory: sessionmaker[Session], store: CallStore, rated_first: bool
) -> None:
    store.write([lost("a1", FRIDAY)])
    number = tasks(session_factory)[0].number
    with session_factory.begin() as session:
        plan = start_callback(session, number, LAWYER, now=FRIDAY + timedelta(hours=1))
    t = (FRIDAY + timedelta(hours=1)).timestamp()
    record = CallProgress(
        linkedid=plan.linkedid,
        caller=CITIZEN,
        started_at=t,
        answered_at=t + 8,
        ended_at=t + 60,
        lawyer="8001",
        direction="callback",
    )
    if not rated_first:
        store.write([record])
    with session_factory.begin() as session:
        assert rate_callback(session, number, plan.linkedid, 2)
    if rated_first:
        store.write([record])
    with session_factory() as session:
        call = session.scalars(select(Call).where(Call.linkedid == plan.linkedid)).one()
        assert (call.direction, call.rating, call.outcome) == ("callback", 2, "answered")
        # The callback's record opens no ticket of its own, and closes nothing as a call again.
        assert session.scalar(select(Ticket.id).where(Ticket.linkedid == plan.linkedid)) is None
    assert tasks(session_factory)[0].state == "open"
