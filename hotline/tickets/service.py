"""Tickets in the database: opened for every answered call and voicemail, written by the lawyer,
given deadlines by their outcome, rated once, escalated when overdue.

Functions take the caller's session and never commit; :class:`TicketDesk` holds what they need
from the configuration (deadline rules, the calendar, the number prefix).
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, and_, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from hotline.ami.caller_id import clean_number
from hotline.auth.permissions import Permission, allowed
from hotline.auth.service import Actor
from hotline.calls.models import Call
from hotline.db.base import utcnow
from hotline.errors import HotlineError, InvalidInputError, NotFoundError
from hotline.ivr.calendar import Calendar
from hotline.quality.models import Review
from hotline.quality.service import review_low_rating, reviewers
from hotline.recordings.models import Recording, RecordingState
from hotline.routing.models import Lawyer
from hotline.tickets import handoff, outbox
from hotline.tickets.deadlines import Rule, due_at, parse_rule
from hotline.tickets.models import (
    Destination,
    OutboxMessage,
    Outcome,
    Ticket,
    TicketCall,
    TicketKind,
    TicketState,
)

# Calls this recent are given tickets by the sweep (older ones were handled or predate tickets).
SWEEP_WINDOW = timedelta(days=2)
_OPEN_ATTEMPTS = 5
REFERRALS = frozenset(
    {Outcome.legal_aid, Outcome.mediation, Outcome.notary, Outcome.arbitration, Outcome.gov_12345}
)


def _no_label(_topic: str | None) -> str | None:
    return None


# The widths of a day's sequence numbers, widest first (0001 ... 9999, 10000 ... 999999).
SEQUENCE_WIDTHS = (6, 5, 4)


@dataclass(frozen=True, slots=True)
class TicketDesk:
    calendar: Calendar
    rules: Mapping[str, Rule]
    prefix: str = "12348"
    # The topic's Chinese name, for hand-off payloads.
    topic_label: Callable[[str | None], str | None] = _no_label
    # A rating this low opens a quality review (HOTLINE_QUALITY__LOW_RATING_MAX).
    low_rating_max: int = 2
    # A caller who hung up after waiting this long in a queue gets a callback task (seconds)...
    abandon_seconds: int = 10
    # ... if their number can be called back: this many digits at least, not a lawyer's extension.
    callable_min_digits: int = 7

    @classmethod
    def of(
        cls,
        calendar: Calendar,
        deadlines: Mapping[str, str],
        prefix: str,
        topic_label: Callable[[str | None], str | None] = _no_label,
        low_rating_max: int = 2,
        *,
        abandon_seconds: int = 10,
        callable_min_digits: int = 7,
    ) -> TicketDesk:
        rules = {name: parse_rule(rule) for name, rule in deadlines.items()}
        return cls(calendar, rules, prefix, topic_label, low_rating_max, abandon_seconds, callable_min_digits)

    def deadline(self, name: str, start: datetime) -> tuple[datetime | None, str | None]:
        rule = self.rules.get(name)
        if rule is None:
            return None, None
        return due_at(start, rule, self.calendar), f"{name}: {rule}"

    # --- opening ------------------------------------------------------------------------------

    def _stem(self, moment: datetime) -> str:
        return f"{self.prefix}-{moment.astimezone(ZoneInfo(self.calendar.timezone)):%Y%m%d}-"

    def _last_sequence(self, session: Session, stem: str) -> int:
        """The day's highest sequence. Numbers are four digits up to 9999 and grow a digit past
        it (a province's busy day has tens of thousands of tickets), so the widest are read first:
        as text, ``-10000`` sorts before ``-9999``."""
        for width in SEQUENCE_WIDTHS:
            last = session.scalar(
                select(func.max(Ticket.number)).where(
                    # The range reads the day's numbers from the index; LIKE alone reads every ticket.
                    Ticket.number.between(f"{stem}{'0' * width}", f"{stem}{'9' * width}"),
                    Ticket.number.like(f"{stem}%"),
                    func.length(Ticket.number) == len(stem) + width,
                )
            )
            if last:
                return int(last[len(stem) :])
        return 0

    def next_number(self, session: Session, moment: datetime) -> str:
        stem = self._stem(moment)
        return f"{stem}{self._last_sequence(session, stem) + 1:04d}"

    def open_all(self, session: Session, calls: Sequence[Call], now: datetime) -> list[Ticket]:
        """The tickets of ``calls`` (none has one yet), opened together: one number query per day
        and one insert. Should another opener take a number or call meanwhile, each call is
        opened on its own instead (:meth:`open_for` looks again)."""
        if not calls:
            return []
        try:
            with session.begin_nested():
                last: dict[str, int] = {}
                tickets = []
                for call in calls:
                    stem = self._stem(call.started_at or now)
                    if stem not in last:
                        last[stem] = self._last_sequence(session, stem)
                    last[stem] += 1
                    tickets.append(self._new_ticket(session, call, now, f"{stem}{last[stem]:04d}"))
                session.add_all(tickets)
                session.flush()
                for opened in tickets:
                    self._hand_over_transfer(session, opened, now)
            return tickets
        except IntegrityError:
            return [self.open_for(session, call, now) for call in calls]

    def open_for(self, session: Session, call: Call, now: datetime | None = None) -> Ticket:
        """The ticket of ``call`` (answered or a voicemail), opened now if it has none.

        Two openers at once (the sweep and the desk) may pick the same number or call: the loser's
        savepoint is rolled back and it looks again."""
        for _ in range(_OPEN_ATTEMPTS):
            existing = session.scalar(select(Ticket).where(Ticket.linkedid == call.linkedid))
            if existing is not None:
                return existing
            try:
                with session.begin_nested():
                    ticket = self._new_ticket(session, call, now or utcnow())
                    session.add(ticket)
                    session.flush()
                    self._hand_over_transfer(session, ticket, now or utcnow())
                return ticket
            except IntegrityError:
                continue
        raise HotlineError(
            "ticket-open-failed", f"Could not open a ticket for call {call.linkedid}; try again."
        )

    def _new_ticket(
        self, session: Session, call: Call, moment: datetime, number: str | None = None
    ) -> Ticket:
        voicemail = call.answered_at is None and call.voicemail_file is not None
        transfer = call.answered_at is None and not voicemail and call.transferred_to == Destination.gov_12345
        if transfer:
            kind, outcome, rule = TicketKind.transfer, Outcome.gov_12345, str(Outcome.gov_12345)
        elif voicemail:
            kind, outcome, rule = TicketKind.voicemail, Outcome.callback, "voicemail"
        else:
            kind, outcome, rule = TicketKind.call, None, "unfinished"
        due, rule_text = self.deadline(rule, call.ended_at or moment)
        summary = ""
        if transfer:  # nothing left for the hotline to do: closed, its hand-off goes on in the outbox
            summary = f"来电人在语音菜单中选择转接12345政务服务热线（按键：{call.ivr_path or '无'}）。"
            due = rule_text = None
        ticket = Ticket(
            number=number or self.next_number(session, call.started_at or moment),
            kind=kind,
            linkedid=call.linkedid,
            caller=call.caller,
            topic=call.topic,
            language=call.language,
            lawyer=call.lawyer,
            summary=summary,
            outcome=outcome,
            state=TicketState.open,
            due_at=due,
            due_rule=rule_text,
            created_at=moment,
            updated_at=moment,
            calls=[TicketCall(linkedid=call.linkedid, role="origin", added_at=moment)],
        )
        if transfer:
            ticket.state, ticket.closed_at = TicketState.closed, call.ended_at or moment
            ticket.closed_note = "语音菜单转接12345"
        return ticket

    def _hand_over_transfer(self, session: Session, ticket: Ticket, moment: datetime) -> None:
        """A caller the menus put through to 12345: its hand-off, in the ticket's transaction."""
        if ticket.kind == TicketKind.transfer:
            outbox.enqueue(
                session,
                ticket,
                Destination.gov_12345,
                "transferred",
                topic_label=self.topic_label,
                now=moment,
            )

    # --- lost calls (未接回拨) ------------------------------------------------------------------

    def callable_number(self, session: Session, caller: str | None) -> str | None:
        """``caller`` cleaned, if it can be called back: not anonymous, long enough, not internal."""
        number = clean_number(caller)
        if number is None or len(number.lstrip("+")) < self.callable_min_digits:
            return None
        if session.scalar(select(Lawyer.id).where(Lawyer.extension == number)) is not None:
            return None
        return number

    def follow_lost_calls(self, session: Session, linkedids: Sequence[str], now: datetime) -> None:
        """Ended calls just written: an abandon after waiting gives the number a callback task (one
        per number a day; a later abandon that day is linked to it, and reopens it if closed); an
        answered call closes the number's open tasks (再次来电已接通)."""
        calls = session.scalars(
            select(Call)
            .where(
                Call.linkedid.in_(list(linkedids)),
                Call.ended_at.is_not(None),
                Call.caller.is_not(None),
                Call.direction.is_(None),  # a callback answered closes its task as such
            )
            .order_by(Call.started_at, Call.id)
        ).all()
        for call in calls:
            if call.answered_at is not None:
                self._answered_again(session, call, now)
            elif (
                call.outcome == "abandoned"
                and call.queued_at is not None
                and (call.wait_seconds or 0) >= self.abandon_seconds
            ):
                self._lost_call(session, call, now)

    def _lost_call(self, session: Session, call: Call, now: datetime) -> None:
        number = self.callable_number(session, call.caller)
        if number is None or call.started_at is None:
            return
        if session.scalar(
            select(TicketCall.id)
            .join(Ticket, Ticket.id == TicketCall.ticket_id)
            .where(TicketCall.linkedid == call.linkedid, Ticket.kind == TicketKind.abandoned)
        ):
            return  # this call's record written again: already followed
        zone = ZoneInfo(self.calendar.timezone)
        day = call.started_at.astimezone(zone).date()
        start = datetime.combine(day, datetime.min.time(), zone)
        task = session.scalar(
            select(Ticket)
            .where(Ticket.kind == TicketKind.abandoned, Ticket.caller == number)
            .join(Call, Call.linkedid == Ticket.linkedid)
            .where(Call.started_at >= start, Call.started_at < start + timedelta(days=1))
            .limit(1)
        )
        due, rule = self.deadline("abandoned", call.ended_at or now)
        if task is None:
            ticket = self._new_ticket(session, call, now)
            ticket.kind, ticket.caller, ticket.lawyer = TicketKind.abandoned, number, None
            ticket.outcome, ticket.due_at, ticket.due_rule = Outcome.callback, due, rule
            session.add(ticket)
            session.flush()
            return
        task.calls.append(TicketCall(linkedid=call.linkedid, role="abandoned", added_at=now))
        if task.state == TicketState.closed:  # called back or called again, then lost again: reopened
            task.state, task.closed_at, task.closed_note = TicketState.open, None, None
            task.due_at, task.due_rule, task.escalated_at = due, rule, None
        task.updated_at, task.updated_by = now, "hotline"
        session.flush()

    def _answered_again(self, session: Session, call: Call, now: datetime) -> None:
        number = clean_number(call.caller)
        if number is None or call.started_at is None:
            return
        tasks = session.scalars(
            select(Ticket)
            .where(Ticket.kind == TicketKind.abandoned, Ticket.caller == number)
            .join(Call, Call.linkedid == Ticket.linkedid)
            .where(Ticket.state == TicketState.open, Call.started_at < call.started_at)
        ).all()
        for task in tasks:
            if any(link.linkedid == call.linkedid for link in task.calls):
                continue
            task.calls.append(TicketCall(linkedid=call.linkedid, role="answered-again", added_at=now))
            lawyer = f"，律师 {call.lawyer}" if call.lawyer else ""
            self._close_task(task, call.answered_at or now, f"再次来电已接通（{call.linkedid}{lawyer}）")
        session.flush()

    @staticmethod
    def _close_task(task: Ticket, moment: datetime, note: str) -> None:
        task.state, task.closed_at, task.closed_note = TicketState.closed, moment, note
        task.updated_at, task.updated_by = moment, "hotline"

    def callback_answered(self, session: Session, number: str, linkedid: str, at: datetime) -> bool:
        """The citizen answered a callback of ticket ``number``: a callback task closes itself
        (律师回拨已接通). True if a task was closed."""
        task = session.scalar(select(Ticket).where(Ticket.number == number))
        if task is None or task.kind != TicketKind.abandoned or task.state != TicketState.open:
            return False
        if not any(link.linkedid == linkedid and link.role == "callback" for link in task.calls):
            return False
        lawyer = f"（律师 {task.lawyer}）" if task.lawyer else ""
        self._close_task(task, at, f"律师回拨已接通{lawyer}")
        return True

    # --- queued callbacks (排队回电) ----------------------------------------------------------------

    def open_queued(self, session: Session, origin: str, number: str, at: datetime) -> Ticket:
        """The ticket of a caller who pressed 1 to be called back, opened at once (its callbacks
        carry its number); the call that asked is its origin."""
        for _ in range(_OPEN_ATTEMPTS):
            existing = session.scalar(select(Ticket).where(Ticket.linkedid == origin))
            if existing is not None:
                if existing.kind == TicketKind.abandoned and existing.state == TicketState.open:
                    # The call was taken for a lost one before its request arrived (a controller
                    # that was away): its task is the queued callback's ticket, not a desk task.
                    existing.kind, existing.lawyer = TicketKind.queued, None
                    existing.updated_at, existing.updated_by = at, "hotline"
                return existing
            call = session.scalar(select(Call).where(Call.linkedid == origin))
            due, rule = self.deadline(str(Outcome.callback), at)
            try:
                with session.begin_nested():
                    ticket = Ticket(
                        number=self.next_number(session, (call.started_at if call else None) or at),
                        kind=TicketKind.queued,
                        linkedid=origin,
                        caller=number,
                        topic=call.topic if call else None,
                        language=call.language if call else None,
                        summary="",
                        outcome=Outcome.callback,
                        state=TicketState.open,
                        due_at=due,
                        due_rule=rule,
                        created_at=at,
                        updated_at=at,
                        updated_by="hotline",
                        calls=[TicketCall(linkedid=origin, role="origin", added_at=at)],
                    )
                    session.add(ticket)
                    session.flush()
                return ticket
            except IntegrityError:
                continue
        raise HotlineError("ticket-open-failed", f"Could not open a ticket for call {origin}; try again.")

    @staticmethod
    def queued_attempt(session: Session, number: str, attempt: str, at: datetime) -> None:
        """A queued callback's attempt about to be placed: linked to the ticket as a callback, so the
        citizen's rating on it is the ticket's (one rating per ticket)."""
        ticket = session.scalar(select(Ticket).where(Ticket.number == number))
        if ticket is not None and not any(link.linkedid == attempt for link in ticket.calls):
            ticket.calls.append(TicketCall(linkedid=attempt, role="callback", added_at=at))
            session.flush()

    def queued_answered(self, session: Session, number: str, lawyer: str | None, at: datetime) -> None:
        """The citizen answered the queued callback: the ticket is the lawyer's, to be written as a
        call's is (deadline "unfinished")."""
        ticket = session.scalar(select(Ticket).where(Ticket.number == number))
        if ticket is None or ticket.state != TicketState.open:
            return
        ticket.lawyer = lawyer or ticket.lawyer
        ticket.outcome = None
        ticket.due_at, ticket.due_rule = self.deadline("unfinished", at)
        ticket.escalated_at = None
        ticket.updated_at, ticket.updated_by = at, "hotline"

    def queued_gave_up(self, session: Session, number: str, tries: int, why: str, at: datetime) -> None:
        """Every attempt of a queued callback failed: the ticket becomes a callback task on the desk
        (未接回拨), saying so in its summary."""
        ticket = session.scalar(select(Ticket).where(Ticket.number == number))
        if ticket is None or ticket.state != TicketState.open:
            return
        note = f"排队回电{tries}次均未接通（{why}），请律师回拨。"
        ticket.summary = f"{ticket.summary}\n{note}".strip()
        ticket.kind, ticket.outcome, ticket.lawyer = TicketKind.abandoned, Outcome.callback, None
        ticket.due_at, ticket.due_rule = self.deadline("abandoned", at)
        ticket.escalated_at = None
        ticket.updated_at, ticket.updated_by = at, "hotline"

    @staticmethod
    def _rate_callback_records(session: Session, linkedids: Sequence[str]) -> None:
        """Callback records just written: the rating the citizen gave before. The callback's link
        is locked (as :func:`rate_callback` locks it), so a rating given while the record is being
        written reaches one side or the other: waited for here, or finding the record there."""
        callbacks = session.scalars(
            select(Call).where(
                Call.linkedid.in_(list(linkedids)), Call.direction == "callback", Call.rating.is_(None)
            )
        ).all()
        if not callbacks:
            return
        ratings = dict(
            session.execute(
                select(TicketCall.linkedid, TicketCall.rating)
                .where(
                    TicketCall.linkedid.in_([call.linkedid for call in callbacks]),
                    TicketCall.role == "callback",
                )
                .with_for_update()
            ).all()
        )
        for call in callbacks:
            call.rating = ratings.get(call.linkedid)

    @staticmethod
    def _ticketed() -> ColumnElement[bool]:
        """The calls that get a ticket of their own: answered, voicemails, put through to 12345."""
        received = or_(
            Call.answered_at.is_not(None),
            Call.voicemail_file.is_not(None),
            and_(Call.ended_at.is_not(None), Call.transferred_to == Destination.gov_12345),
        )
        return and_(Call.direction.is_(None), received)  # a callback belongs to its ticket already

    def on_records(self, session: Session, linkedids: Sequence[str], now: datetime) -> list[Ticket]:
        """What follows from call records just written, in their transaction (a record hook of
        :class:`~hotline.calls.service.CallStore`): the ticket of each answered call and voicemail
        among them (one per call: the ticket's linkedid is unique), the call's rating on its ticket,
        and the review a poor rating opens once the recording is sealed."""
        calls = session.scalars(
            select(Call)
            .where(
                Call.linkedid.in_(list(linkedids)),
                self._ticketed(),
                ~select(Ticket.id).where(Ticket.linkedid == Call.linkedid).exists(),
            )
            .order_by(Call.started_at, Call.id)
        ).all()
        opened = self.open_all(session, calls, now)
        self._rate_callback_records(session, linkedids)
        self.follow_lost_calls(session, linkedids, now)
        self.take_ratings(session, now, linkedids=linkedids)
        return opened

    def review_rated(self, session: Session, linkedid: str, now: datetime) -> None:
        """A rating just given after a callback: the review a poor one opens, if the callback's
        recording is sealed already (otherwise the seal's hook opens it)."""
        self._review_poor_ratings(session, now, linkedids=[linkedid])

    def on_sealed(self, session: Session, recording_ids: Sequence[int], now: datetime) -> None:
        """Recordings just sealed: the reviews their calls' poor ratings were waiting for."""
        self._review_poor_ratings(session, now, recording_ids=recording_ids)

    def sweep(self, session: Session, now: datetime | None = None) -> list[Ticket]:
        """Back-fill: open the tickets of recent answered calls and voicemails that have none (their
        records were written while this code was not running); take ratings onto tickets."""
        moment = now or utcnow()
        opened = self.open_new(session, moment)
        self.take_ratings(session, moment)
        return opened

    def open_new(self, session: Session, now: datetime | None = None) -> list[Ticket]:
        """Open the tickets of recent answered calls, voicemails and transfers to 12345 that have
        none; follow the recent lost calls (callback tasks)."""
        moment = now or utcnow()
        calls = session.scalars(
            select(Call)
            .where(
                Call.started_at > moment - SWEEP_WINDOW,
                self._ticketed(),
                ~select(Ticket.id).where(Ticket.linkedid == Call.linkedid).exists(),
            )
            .order_by(Call.started_at, Call.id)
        ).all()
        opened = [self.open_for(session, call, moment) for call in calls]
        # Lost calls no task knows of (their hook did not run): a few rows, not every recent call.
        lost = session.scalars(
            select(Call.linkedid).where(
                Call.started_at > moment - SWEEP_WINDOW,
                Call.outcome == "abandoned",
                Call.queued_at.is_not(None),
                Call.wait_seconds >= self.abandon_seconds,
                Call.direction.is_(None),
                ~select(TicketCall.id).where(TicketCall.linkedid == Call.linkedid).exists(),
            )
        ).all()
        for start in range(0, len(lost), 500):
            self.follow_lost_calls(session, lost[start : start + 500], moment)
        return opened

    def take_ratings(
        self, session: Session, now: datetime | None = None, *, linkedids: Sequence[str] | None = None
    ) -> None:
        """Take the calls' ratings onto their tickets; open the reviews of poorly rated calls
        (``linkedids``: of these calls only; None: of every recent call)."""
        moment = now or utcnow()
        query = (
            select(Ticket, Call.rating)
            .join(Call, Call.linkedid == Ticket.linkedid)
            .where(
                Ticket.rating.is_(None), Call.rating.is_not(None), Ticket.created_at > moment - SWEEP_WINDOW
            )
        )
        if linkedids is not None:
            query = query.where(Call.linkedid.in_(list(linkedids)))
        for ticket, rating in session.execute(query).all():
            if rating is not None:
                rate(ticket, rating, "call")
        self._review_poor_ratings(session, moment, linkedids=linkedids)

    def _review_poor_ratings(
        self,
        session: Session,
        moment: datetime,
        *,
        linkedids: Sequence[str] | None = None,
        recording_ids: Sequence[int] | None = None,
    ) -> None:
        """A rating of 1-2 opens a quality review of the ticket's recorded call once it is sealed.

        A call that no reviewer may take (none but its own lawyer) is left to the nightly sample,
        without a look at it on every sweep."""
        query = (
            select(Recording.id, Call.lawyer)
            .join(Call, Call.recording_id == Recording.id)
            .join(TicketCall, TicketCall.linkedid == Call.linkedid)
            .join(Ticket, Ticket.id == TicketCall.ticket_id)
            .where(
                Ticket.rating <= self.low_rating_max,
                Ticket.created_at > moment - SWEEP_WINDOW,
                Recording.state == RecordingState.sealed,
                Recording.kind == "call",
                ~select(Review.id).where(Review.recording_id == Recording.id).exists(),
            )
        )
        if linkedids is not None:
            query = query.where(Call.linkedid.in_(list(linkedids)))
        if recording_ids is not None:
            query = query.where(Recording.id.in_(list(recording_ids)))
        candidates = session.execute(query).all()
        if not candidates:
            return
        accounts = reviewers(session)
        for recording_id, lawyer in candidates:
            if any(own is None or own != lawyer for own in accounts.values()):
                review_low_rating(session, recording_id)

    # --- writing ------------------------------------------------------------------------------

    def update(
        self,
        session: Session,
        ticket: Ticket,
        actor: Actor,
        *,
        summary: str | None,
        outcome: Outcome | None,
        now: datetime | None = None,
    ) -> Ticket:
        """The lawyer's summary and outcome; the outcome sets the deadline, "answered" closes it."""
        check_may_write(actor, ticket)
        if ticket.state == TicketState.closed:
            raise HotlineError(
                "ticket-closed",
                f"Ticket {ticket.number} is closed; a supervisor can reopen it if it needs more work.",
            )
        moment = now or utcnow()
        new_summary = ticket.summary if summary is None else summary
        changed = outcome is not None and outcome != ticket.outcome
        # Check everything before changing anything: a refused update leaves the ticket as it was.
        if changed and outcome == Outcome.answered:
            needs_callback = ticket.kind in (TicketKind.voicemail, TicketKind.abandoned)
            if needs_callback and not any(c.role == "callback" for c in ticket.calls):
                raise InvalidInputError(
                    "ticket-outcome-invalid",
                    f"A {ticket.kind} ticket is answered by a callback: call the citizen back first (回拨), "
                    "or refer it.",
                )
            if not new_summary.strip():
                raise InvalidInputError(
                    "ticket-summary-missing",
                    "Write the summary of the consultation before closing the ticket.",
                )
        # The ticket change and its hand-off are one: an invalid hand-off undoes the change.
        with session.begin_nested():
            summary_changed = new_summary != ticket.summary
            ticket.summary = new_summary
            if changed:
                ticket.outcome = outcome
                if outcome == Outcome.answered:
                    ticket.state, ticket.closed_at = TicketState.closed, moment
                    ticket.due_at = ticket.due_rule = None
                else:
                    ticket.due_at, ticket.due_rule = self.deadline(str(outcome), moment)
                    ticket.escalated_at = None
            destination = handoff.destination_of(ticket.outcome)
            if destination is not None and (changed or summary_changed):
                session.flush()
                sent_before = session.scalar(
                    select(func.count())
                    .select_from(OutboxMessage)
                    .where(OutboxMessage.ticket_id == ticket.id, OutboxMessage.destination == destination)
                )
                first = "transferred" if destination == Destination.gov_12345 else "referred"
                outbox.enqueue(
                    session,
                    ticket,
                    destination,
                    "updated" if sent_before else first,
                    topic_label=self.topic_label,
                    now=moment,
                )
        if ticket.lawyer is None and actor.lawyer_extension is not None:
            ticket.lawyer = actor.lawyer_extension
        ticket.updated_at, ticket.updated_by = moment, actor.username
        return ticket


@dataclass(frozen=True, slots=True)
class CallbackPlan:
    ticket: str
    linkedid: str  # of the callback call, fixed in advance (the originate's ChannelId)
    extension: str  # the lawyer's phone, called first
    number: str  # then the citizen


def start_callback(
    session: Session, number: str, actor: Actor, *, now: datetime | None = None
) -> CallbackPlan:
    """Check a callback may start, give the ticket to this lawyer, and link the coming call to it."""
    ticket = get_ticket(session, number, actor)
    if actor.lawyer_extension is None:
        raise HotlineError(
            "desk-no-lawyer",
            f"Account {actor.username} has no phone: only a lawyer's desk calls back.",
        )
    if ticket.lawyer not in (None, actor.lawyer_extension):
        check_may_write(actor, ticket)
    if ticket.state != TicketState.open:
        raise HotlineError("ticket-closed", f"Ticket {ticket.number} is closed: no callback needed.")
    # Only the cleaned number is ever dialled (a record from before numbers were cleaned may hold more).
    caller = clean_number(ticket.caller)
    if caller is None:
        raise InvalidInputError(
            "callback-no-number", f"Ticket {ticket.number} has no caller number to call back."
        )
    moment = now or utcnow()
    linkedid = f"{int(moment.timestamp())}.{90_000_000 + secrets.randbelow(9_999_999)}"
    ticket.lawyer = actor.lawyer_extension
    ticket.calls.append(TicketCall(linkedid=linkedid, role="callback", added_at=moment))
    ticket.updated_at, ticket.updated_by = moment, actor.username
    return CallbackPlan(ticket.number, linkedid, actor.lawyer_extension, caller)


def rate_callback(session: Session, number: str, linkedid: str, rating: int | None) -> bool:
    """The citizen's rating after a callback, if the call is one of the ticket's callbacks: on the
    ticket if it has none yet (one rating per ticket), and on the callback's call record."""
    ticket = session.scalar(select(Ticket).where(Ticket.number == number))
    if ticket is None or rating is None or not any(c.linkedid == linkedid for c in ticket.calls):
        return False
    # The link is locked first: a record being written meanwhile waits for it (on_records), or has
    # committed by the time the record's update below runs.
    link = session.scalar(
        select(TicketCall)
        .where(
            TicketCall.ticket_id == ticket.id, TicketCall.linkedid == linkedid, TicketCall.role == "callback"
        )
        .with_for_update()
    )
    if link is not None:
        link.rating = link.rating or rating
        session.execute(
            update(Call)
            .where(Call.linkedid == linkedid, Call.direction == "callback", Call.rating.is_(None))
            .values(rating=rating)
        )
    return rate(ticket, rating, "callback")


def rate(ticket: Ticket, rating: int, channel: str) -> bool:
    """One rating per ticket (一单一评): the first one stays. True if this one was taken."""
    if ticket.rating is not None:
        return False
    ticket.rating, ticket.rating_channel = rating, channel
    return True


def check_may_write(actor: Actor, ticket: Ticket) -> None:
    if allowed(actor.role, Permission.manage_tickets):
        return
    if ticket.lawyer is None and actor.lawyer_extension is not None:
        return  # an unassigned callback: the lawyer who works on it takes it
    if actor.lawyer_extension is None or actor.lawyer_extension != ticket.lawyer:
        owner = f"lawyer {ticket.lawyer}" if ticket.lawyer else "nobody yet"
        raise HotlineError(
            "ticket-not-yours",
            f"Ticket {ticket.number} belongs to {owner}; ask a supervisor to hand it to you.",
        )


def may_read(actor: Actor, ticket: Ticket) -> bool:
    """Supervisors read every ticket; a lawyer their own and the unassigned ones (voicemails to call back)."""
    if allowed(actor.role, Permission.manage_tickets):
        return True
    return actor.lawyer_extension is not None and ticket.lawyer in (None, actor.lawyer_extension)


def get_ticket(session: Session, number: str, actor: Actor) -> Ticket:
    ticket = session.scalar(select(Ticket).where(Ticket.number == number))
    if ticket is None or not may_read(actor, ticket):
        raise NotFoundError("ticket-not-found", f"There is no ticket {number} for you.", number=number)
    return ticket


@dataclass(frozen=True, slots=True)
class TicketFilter:
    state: TicketState | None = None
    overdue: bool | None = None
    due_before: datetime | None = None
    lawyer: str | None = None
    kind: TicketKind | None = None
    linkedid: str | None = None


def list_tickets(
    session: Session,
    actor: Actor,
    where: TicketFilter,
    *,
    limit: int = 100,
    offset: int = 0,
    now: datetime | None = None,
) -> list[Ticket]:
    """Tickets by due date (soonest first, then newest); a lawyer sees their own and the unassigned."""
    moment = now or utcnow()
    query = select(Ticket)
    if not allowed(actor.role, Permission.manage_tickets):
        if actor.lawyer_extension is None:
            return []
        query = query.where(or_(Ticket.lawyer == actor.lawyer_extension, Ticket.lawyer.is_(None)))
    elif where.lawyer:
        query = query.where(Ticket.lawyer == where.lawyer)
    if where.state is not None:
        query = query.where(Ticket.state == where.state)
    if where.kind is not None:
        query = query.where(Ticket.kind == where.kind)
    if where.linkedid:
        query = query.where(Ticket.linkedid == where.linkedid)
    if where.due_before is not None:
        query = query.where(Ticket.due_at <= where.due_before)
    if where.overdue is True:
        query = query.where(Ticket.state == TicketState.open, Ticket.due_at <= moment)
    elif where.overdue is False:
        query = query.where(
            or_(Ticket.due_at.is_(None), Ticket.due_at > moment, Ticket.state == TicketState.closed)
        )
    query = query.order_by(Ticket.due_at.is_(None), Ticket.due_at, Ticket.created_at.desc(), Ticket.id.desc())
    return list(session.scalars(query.limit(limit).offset(offset)))


def escalate_overdue(session: Session, now: datetime | None = None) -> list[Ticket]:
    """Flag the open tickets past their deadline that were not flagged yet (once per deadline)."""
    moment = now or utcnow()
    overdue = session.scalars(
        select(Ticket).where(
            Ticket.state == TicketState.open,
            Ticket.due_at <= moment,
            Ticket.escalated_at.is_(None),
        )
    ).all()
    for ticket in overdue:
        ticket.escalated_at = moment
    return list(overdue)


def calls_of(session: Session, tickets: Sequence[Ticket]) -> dict[str, Call]:
    linkedids = {link.linkedid for ticket in tickets for link in ticket.calls}
    return {call.linkedid: call for call in session.scalars(select(Call).where(Call.linkedid.in_(linkedids)))}
