"""Tickets on SQLite and PostgreSQL: opened per call and voicemail, numbered per day, written, rated once,
given deadlines by outcome and escalated when overdue (with an injected clock)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, sessionmaker

from hotline.auth.models import Role
from hotline.auth.service import Actor, create_user
from hotline.calls.models import Call
from hotline.calls.service import CallStore
from hotline.calls.state import CallProgress
from hotline.db.base import utcnow
from hotline.errors import HotlineError
from hotline.ivr.calendar import load_calendar
from hotline.kernel.tasks import TaskSupervisor
from hotline.quality.models import Review
from hotline.recordings.audit import AuditLog
from hotline.recordings.crypto import new_key_line, parse_keyring
from hotline.recordings.service import RecordingRegistry
from hotline.settings import TicketSettings
from hotline.tickets.events import CallbackRatings
from hotline.tickets.jobs import TicketJobs
from hotline.tickets.models import OutboxMessage, Outcome, Ticket
from hotline.tickets.service import TicketDesk, TicketFilter, escalate_overdue, list_tickets, start_callback
from tests.helpers import sealed_recording

FLOWS = Path(__file__).resolve().parents[2] / "ivr_flows"
# Friday 27 November 2026, 09:00 in Beijing.
FRIDAY = datetime(2026, 11, 27, 1, 0, tzinfo=UTC)
LAWYER = Actor(1, "lawyer-8001", Role.lawyer, lawyer_extension="8001")
OTHER_LAWYER = Actor(2, "lawyer-8002", Role.lawyer, lawyer_extension="8002")
SUPERVISOR = Actor(3, "supervisor", Role.supervisor)


@pytest.fixture
def desk() -> TicketDesk:
    calendar = load_calendar(FLOWS / "calendar.yaml", FLOWS / "holidays")
    return TicketDesk.of(calendar, TicketSettings().deadlines, "12348")


@pytest.fixture
def registry(session_factory: sessionmaker[Session], tmp_path: Path) -> RecordingRegistry:
    """Recordings sealed with test keys (a poorly rated call's review waits for its recording)."""
    return RecordingRegistry(
        session_factory,
        spool=tmp_path / "spool",
        store=tmp_path / "store",
        keyring=parse_keyring(new_key_line("k1"), source="test"),
        call_retention=timedelta(days=730),
        voicemail_retention=timedelta(days=180),
        audit=AuditLog(
            session_factory, parse_keyring(new_key_line("a1"), source="test"), tmp_path / "audit_anchor.json"
        ),
    )


def answered(linkedid: str, start: datetime, lawyer: str = "8001", rating: int | None = None) -> CallProgress:
    t = start.timestamp()
    return CallProgress(
        linkedid=linkedid,
        caller="13800000001",
        started_at=t,
        answered_at=t + 20,
        ended_at=t + 300,
        lawyer=lawyer,
        topic="labour",
        language="mandarin",
        rating=rating,
    )


def voicemail(linkedid: str, start: datetime) -> CallProgress:
    t = start.timestamp()
    return CallProgress(
        linkedid=linkedid,
        caller="13800000002",
        started_at=t,
        ended_at=t + 90,
        voicemail_file=linkedid,
        topic="family",
    )


def tickets(session_factory: sessionmaker[Session]) -> dict[str, Ticket]:
    with session_factory() as session:
        return {t.linkedid: t for t in session.scalars(select(Ticket))}


def test_every_answered_call_and_voicemail_gets_one_numbered_ticket(
    session_factory: sessionmaker[Session], desk: TicketDesk
) -> None:
    calls = [
        answered("1795600000.1", FRIDAY),
        voicemail("1795600000.2", FRIDAY + timedelta(hours=10)),  # 19:00, after hours
        answered("1795600000.3", FRIDAY + timedelta(hours=15, minutes=30)),  # 00:30 on Saturday, Beijing
        CallProgress(linkedid="1795600000.4", started_at=FRIDAY.timestamp(), ended_at=FRIDAY.timestamp() + 9),
    ]
    CallStore(session_factory).write(calls)
    now = FRIDAY + timedelta(hours=16)
    with session_factory.begin() as session:
        opened = desk.sweep(session, now)
    assert [t.number for t in opened] == ["12348-20261127-0001", "12348-20261127-0002", "12348-20261128-0001"]
    with session_factory.begin() as session:
        assert desk.sweep(session, now) == []  # not twice
    found = tickets(session_factory)
    assert set(found) == {"1795600000.1", "1795600000.2", "1795600000.3"}  # the abandoned call has none
    first, message = found["1795600000.1"], found["1795600000.2"]
    assert (first.kind, first.lawyer, first.topic, first.outcome, first.state) == (
        "call",
        "8001",
        "labour",
        None,
        "open",
    )
    assert first.due_rule == "unfinished: 1d" and first.due_at == FRIDAY + timedelta(days=1, seconds=300)
    assert [(c.linkedid, c.role) for c in first.calls] == [("1795600000.1", "origin")]
    assert (message.kind, message.outcome, message.lawyer) == ("voicemail", "callback", None)
    assert message.due_rule == "voicemail: 24h"
    assert message.due_at == FRIDAY + timedelta(hours=10, seconds=90) + timedelta(hours=24)


def test_a_day_s_numbers_go_on_past_9999(session_factory: sessionmaker[Session], desk: TicketDesk) -> None:
    """A province's busy day opens tens of thousands of tickets: after -9999 comes -10000, then
    -10001 (as text -10000 sorts before -9999, so the widest numbers are read first)."""
    with session_factory.begin() as session:
        assert desk.next_number(session, FRIDAY) == "12348-20261127-0001"
        session.add(Ticket(number="12348-20261127-9999", kind="call", linkedid="busy-1"))
        session.flush()
        assert desk.next_number(session, FRIDAY) == "12348-20261127-10000"
        session.add(Ticket(number="12348-20261127-10000", kind="call", linkedid="busy-2"))
        session.flush()
        assert desk.next_number(session, FRIDAY) == "12348-20261127-10001"
        assert desk.next_number(session, FRIDAY + timedelta(days=1)) == "12348-20261128-0001"


def test_the_lawyer_writes_the_ticket_and_the_outcome_sets_the_deadline(
    session_factory: sessionmaker[Session], desk: TicketDesk
) -> None:
    CallStore(session_factory).write([answered("1795600000.5", FRIDAY), answered("1795600000.6", FRIDAY)])
    with session_factory.begin() as session:
        desk.sweep(session, FRIDAY)
    later = FRIDAY + timedelta(hours=6)  # Friday 15:00 Beijing
    with session_factory.begin() as session:
        referral = session.scalars(select(Ticket).where(Ticket.linkedid == "1795600000.5")).one()
        desk.update(
            session,
            referral,
            LAWYER,
            summary="工资拖欠，建议申请法律援助",
            outcome=Outcome.legal_aid,
            now=later,
        )
        assert referral.due_rule == "legal-aid: 3wd"
        assert referral.due_at == datetime(2026, 12, 2, 7, 0, tzinfo=UTC)  # Wednesday 15:00 Beijing
        assert (referral.state, referral.updated_by) == ("open", "lawyer-8001")

        done = session.scalars(select(Ticket).where(Ticket.linkedid == "1795600000.6")).one()
        with pytest.raises(HotlineError) as caught:
            desk.update(session, done, LAWYER, summary="", outcome=Outcome.answered, now=later)
        assert caught.value.error_id == "ticket-summary-missing"
    with session_factory.begin() as session:
        done = session.scalars(select(Ticket).where(Ticket.linkedid == "1795600000.6")).one()
        desk.update(
            session, done, LAWYER, summary="解答了劳动合同解除问题", outcome=Outcome.answered, now=later
        )
        assert (done.state, done.closed_at, done.due_at) == ("closed", later, None)
        with pytest.raises(HotlineError) as closed:
            desk.update(session, done, LAWYER, summary="改", outcome=None, now=later)
        assert closed.value.error_id == "ticket-closed" and closed.value.status == 409
        with pytest.raises(HotlineError) as other:
            desk.update(session, referral, OTHER_LAWYER, summary="不是我的", outcome=None)
        assert other.value.error_id == "ticket-not-yours" and other.value.status == 403


def test_one_rating_per_ticket_comes_from_the_call(
    session_factory: sessionmaker[Session], desk: TicketDesk
) -> None:
    store = CallStore(session_factory)
    call = answered("1795600000.7", FRIDAY)
    store.write([call])
    with session_factory.begin() as session:
        desk.sweep(session, FRIDAY)
    store.write([call._replace(rating=2)])
    with session_factory.begin() as session:
        desk.sweep(session, FRIDAY + timedelta(minutes=1))
    store.write([call._replace(rating=5)])  # a later, different value does not replace it
    with session_factory.begin() as session:
        desk.sweep(session, FRIDAY + timedelta(minutes=2))
    rated = tickets(session_factory)["1795600000.7"]
    assert (rated.rating, rated.rating_channel) == (2, "call")


def test_overdue_tickets_are_escalated_once_and_listed_by_due_date(
    session_factory: sessionmaker[Session], desk: TicketDesk
) -> None:
    CallStore(session_factory).write(
        [
            answered("1795600000.8", FRIDAY),
            answered("1795600000.9", FRIDAY, lawyer="8002"),
            voicemail("1795600000.10", FRIDAY + timedelta(hours=10)),
        ]
    )
    with session_factory.begin() as session:
        desk.sweep(session, FRIDAY)
    with session_factory.begin() as session:
        closed = session.scalars(select(Ticket).where(Ticket.linkedid == "1795600000.9")).one()
        desk.update(session, closed, SUPERVISOR, summary="已解答", outcome=Outcome.answered, now=FRIDAY)

    with session_factory.begin() as session:
        assert escalate_overdue(session, FRIDAY + timedelta(hours=12)) == []  # nothing due yet
    clock = FRIDAY + timedelta(days=1, hours=11)  # both open tickets past due
    with session_factory.begin() as session:
        escalated = escalate_overdue(session, clock)
        assert sorted(t.linkedid for t in escalated) == ["1795600000.10", "1795600000.8"]
    with session_factory.begin() as session:
        assert escalate_overdue(session, clock + timedelta(hours=1)) == []  # once
        overdue = list_tickets(session, SUPERVISOR, TicketFilter(overdue=True), now=clock)
        assert [t.linkedid for t in overdue] == ["1795600000.8", "1795600000.10"]  # soonest due first
        mine = list_tickets(session, LAWYER, TicketFilter(), now=clock)
        # A lawyer sees their own tickets and the voicemails nobody has taken yet, not colleagues'.
        assert [t.linkedid for t in mine] == ["1795600000.8", "1795600000.10"]
        by_state = list_tickets(session, SUPERVISOR, TicketFilter(state="closed"), now=clock)  # type: ignore[arg-type]
        assert [t.linkedid for t in by_state] == ["1795600000.9"]
        due_soon = list_tickets(
            session, SUPERVISOR, TicketFilter(due_before=FRIDAY + timedelta(days=1, hours=1)), now=clock
        )
        assert [t.linkedid for t in due_soon] == ["1795600000.8"]


def test_a_poor_rating_opens_a_quality_review_once_the_recording_is_sealed(
    session_factory: sessionmaker[Session], desk: TicketDesk, registry: RecordingRegistry
) -> None:
    with session_factory.begin() as session:
        create_user(session, "reviewer-li", "reviewer-password", "reviewer")
    now = utcnow()
    call = answered("1795600000.11", now - timedelta(minutes=10), rating=1)
    CallStore(session_factory).write([call])
    with session_factory.begin() as session:
        desk.sweep(session, now)  # rated, but no recording yet: nothing to review
        assert session.scalar(select(func.count()).select_from(Review)) == 0
    recording = sealed_recording(registry, call.linkedid, seconds=0.2)
    with session_factory.begin() as session:
        session.execute(update(Call).where(Call.linkedid == call.linkedid).values(recording_id=recording.id))
    for _ in range(2):
        with session_factory.begin() as session:
            desk.sweep(session, now)
    with session_factory() as session:
        [review] = session.scalars(select(Review)).all()
        assert (review.recording_id, review.reason, review.reviewer, review.lawyer) == (
            recording.id,
            "low-rating",
            "reviewer-li",
            "8001",
        )


def test_referrals_write_their_hand_off_in_the_same_transaction(
    session_factory: sessionmaker[Session], desk: TicketDesk
) -> None:
    CallStore(session_factory).write([answered("1795600000.12", FRIDAY), answered("1795600000.13", FRIDAY)])
    with session_factory.begin() as session:
        desk.sweep(session, FRIDAY)
    with session_factory.begin() as session:
        to_12345 = session.scalars(select(Ticket).where(Ticket.linkedid == "1795600000.12")).one()
        desk.update(
            session, to_12345, LAWYER, summary="小区噪音扰民，非法律事项，转 12345", outcome=Outcome.gov_12345
        )
        to_aid = session.scalars(select(Ticket).where(Ticket.linkedid == "1795600000.13")).one()
        desk.update(session, to_aid, LAWYER, summary="工伤认定争议，申请法律援助", outcome=Outcome.legal_aid)
        desk.update(
            session, to_aid, LAWYER, summary="工伤认定争议，申请法律援助；已提交材料清单", outcome=None
        )
        desk.update(session, to_aid, LAWYER, summary=None, outcome=None)  # nothing changed: nothing sent
    with session_factory() as session:
        sent = [
            (m.destination, m.event, m.sequence, m.idempotency_key, m.payload["schema"])
            for m in session.scalars(select(OutboxMessage).order_by(OutboxMessage.id))
        ]
    gov, aid = (
        tickets(session_factory)["1795600000.12"].number,
        tickets(session_factory)["1795600000.13"].number,
    )
    assert sent == [
        ("gov-12345", "transferred", 1, f"{gov}:gov-12345:1", "12348.gov-12345-handoff"),
        ("case-records", "referred", 1, f"{aid}:case-records:1", "12348.case-handoff"),
        ("case-records", "updated", 2, f"{aid}:case-records:2", "12348.case-handoff"),
    ]


class KeptRatings:
    """An AMI peer answering DBGetTree with the ratings Asterisk kept."""

    def __init__(self, kept: dict[str, str]) -> None:
        self.kept = kept

    async def send(self, action: object, *, tolerate: tuple[str, ...] = ()) -> list[dict[str, str]]:
        return [
            {"Response": "Success", "EventList": "start"},
            *({"Event": "DBGetTreeResponse", "Key": k, "Val": v} for k, v in self.kept.items()),
            {"Event": "DBGetTreeComplete"},
        ]


async def test_callback_ratings_given_while_the_controller_was_away_are_taken_on_reconnect(
    session_factory: sessionmaker[Session], desk: TicketDesk
) -> None:
    now = utcnow()
    message = voicemail("1795600000.14", now - timedelta(hours=1))
    CallStore(session_factory).write([message])
    with session_factory.begin() as session:
        [ticket] = desk.sweep(session, now)
        plan = start_callback(session, ticket.number, LAWYER, now=now)
        number = ticket.number
    ratings = CallbackRatings(session_factory, TaskSupervisor(), desk)
    peer = KeptRatings(
        {
            f"/hotline-rating/{number}": f"{plan.linkedid}/3",
            "/hotline-rating/12348-20000101-0001": "1.1/1",  # no such ticket
            f"/hotline-rating/{number}x": "garbage",
        }
    )
    assert await ratings.on_connected(peer) == 1  # type: ignore[arg-type]
    assert await ratings.on_connected(peer) == 0  # type: ignore[arg-type]  # one rating per ticket
    rated = tickets(session_factory)["1795600000.14"]
    assert (rated.rating, rated.rating_channel, rated.lawyer) == (3, "callback", "8001")


def test_a_callback_dials_only_the_cleaned_number(
    session_factory: sessionmaker[Session], desk: TicketDesk
) -> None:
    """A ticket from before caller numbers were cleaned may hold more than [+]digits: the callback
    plan (what goes into the Originate) has only the cleaned number, or refuses without one."""
    now = utcnow()
    CallStore(session_factory).write([voicemail("1795600000.21", now), voicemail("1795600000.22", now)])
    with session_factory.begin() as session:
        raw, empty = desk.sweep(session, now)
        raw.caller, empty.caller = '13800000002,<"x>\r\nAction: Originate', "<unknown>"
        numbers = raw.number, empty.number
    with session_factory.begin() as session:
        plan = start_callback(session, numbers[0], LAWYER, now=now)
        with pytest.raises(HotlineError) as caught:
            start_callback(session, numbers[1], LAWYER, now=now)
    assert plan.number == "13800000002"
    assert caught.value.error_id == "callback-no-number"


class RatingsDown(TicketDesk):
    def take_ratings(self, session: Session, now: datetime | None = None) -> None:
        raise RuntimeError("the ratings' work failed")


async def test_the_sweep_job_commits_new_tickets_before_the_ratings_work(
    session_factory: sessionmaker[Session], desk: TicketDesk
) -> None:
    """The new tickets stand on their own: the ratings' and reviews' work after them neither holds
    them back nor, when it fails, takes them back (the job logs it and the next run retries)."""
    CallStore(session_factory).write([answered("1795600000.30", FRIDAY), voicemail("1795600000.31", FRIDAY)])
    failing = RatingsDown(desk.calendar, desk.rules, desk.prefix)
    await TicketJobs(session_factory, failing, clock=lambda: FRIDAY).sweep()
    assert set(tickets(session_factory)) == {"1795600000.30", "1795600000.31"}


# --- the ticket written with the call's record ----------------------------------------------------


def hooked_store(session_factory: sessionmaker[Session], desk: TicketDesk, now: datetime) -> CallStore:
    """The call records' store as the tickets plugin wires it: tickets follow in the same transaction."""
    store = CallStore(session_factory)
    store.record_hooks.append(lambda session, linkedids: desk.on_records(session, linkedids, now))
    return store


def test_the_ticket_is_written_with_the_record_that_says_answered_or_voicemail(
    session_factory: sessionmaker[Session], desk: TicketDesk
) -> None:
    store = hooked_store(session_factory, desk, FRIDAY + timedelta(hours=1))
    ringing = CallProgress(linkedid="1795600000.31", caller="13800000031", started_at=FRIDAY.timestamp())
    store.write([ringing])
    assert tickets(session_factory) == {}  # not answered yet: no ticket
    store.write([answered("1795600000.31", FRIDAY), voicemail("1795600000.32", FRIDAY)])
    found = tickets(session_factory)  # no sweep ran: the write itself opened them
    assert {linkedid: t.kind for linkedid, t in found.items()} == {
        "1795600000.31": "call",
        "1795600000.32": "voicemail",
    }
    store.write([answered("1795600000.31", FRIDAY, rating=4)])  # the rating comes later
    again = tickets(session_factory)
    assert len(again) == 2 and again["1795600000.31"].number == found["1795600000.31"].number
    assert (again["1795600000.31"].rating, again["1795600000.31"].rating_channel) == (4, "call")
    with session_factory() as session:
        for call in session.scalars(select(Call)):
            has_ticket = call.linkedid in again
            assert has_ticket == (call.answered_at is not None or call.voicemail_file is not None)


def test_a_failing_record_hook_keeps_the_records_and_the_sweep_back_fills(
    session_factory: sessionmaker[Session], desk: TicketDesk
) -> None:
    store = CallStore(session_factory)

    def broken(session: Session, linkedids: object) -> None:
        session.add(Ticket(number="half-written"))  # undone with the hook's savepoint
        raise RuntimeError("ticket code broken")

    store.record_hooks.append(broken)
    store.write([answered("1795600000.33", FRIDAY)])
    assert store.hook_failures == 1
    with session_factory() as session:
        assert session.scalar(select(Call.lawyer).where(Call.linkedid == "1795600000.33")) == "8001"
    assert tickets(session_factory) == {}
    with session_factory.begin() as session:
        [opened] = desk.sweep(session, FRIDAY + timedelta(hours=1))
    assert opened.linkedid == "1795600000.33"


def test_a_poor_rating_opens_its_review_when_the_recording_is_sealed(
    session_factory: sessionmaker[Session], desk: TicketDesk, registry: RecordingRegistry
) -> None:
    with session_factory.begin() as session:
        create_user(session, "reviewer-wu", "reviewer-password", "reviewer")
    now = utcnow()
    store = hooked_store(session_factory, desk, now)
    call = answered("1795600000.34", now - timedelta(minutes=10), rating=2)
    store.write([call])
    assert tickets(session_factory)["1795600000.34"].rating == 2
    recording = sealed_recording(registry, call.linkedid, seconds=0.2)
    with session_factory.begin() as session:
        session.execute(update(Call).where(Call.linkedid == call.linkedid).values(recording_id=recording.id))
        desk.on_sealed(session, [recording.id], now)  # what the recordings' sweep tells the tickets
    with session_factory() as session:
        [review] = session.scalars(select(Review)).all()
        assert (review.recording_id, review.reason) == (recording.id, "low-rating")
