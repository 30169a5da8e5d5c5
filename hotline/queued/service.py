"""Queued callbacks in the database: asked for, placed in the queue, answered, retried, given up.

Functions take the caller's session and never commit. A request opens its ticket at once (the
callbacks carry its number, and the citizen's rating on any of them is the ticket's, 一单一评).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from hotline.calls.models import Call
from hotline.queued.models import QueuedCallback, QueuedState
from hotline.tickets.service import TicketDesk

# Why an attempt failed (Dial's DIALSTATUS, or the controller's own), as the ticket says it.
REASONS_ZH = {
    "BUSY": "占线",
    "NOANSWER": "无人接听",
    "CONGESTION": "线路拥塞",
    "CHANUNAVAIL": "线路不通",
    "CANCEL": "律师先挂机",
    "NOLAWYER": "无律师接听",
    "ORIGINATE": "无法发起呼叫",
}


@dataclass(frozen=True, slots=True)
class Retries:
    """A callback the citizen does not answer is tried ``times`` more, ``seconds`` apart."""

    times: int = 2
    seconds: int = 300


@dataclass(frozen=True, slots=True)
class Placement:
    """What placing a stand-in in the queue needs (the originate)."""

    attempt: str  # the stand-in's call's linkedid, fixed in advance
    origin: str  # the call that asked
    ticket: str
    number: str
    queue: str
    position: int  # 1: the head of the queue; 0: the end


def request(
    session: Session,
    desk: TicketDesk,
    origin: str,
    number: str,
    queue: str,
    position: int,
    at: datetime,
) -> QueuedCallback:
    """A caller asked to be called back (idempotent: the same call asking twice is one request)."""
    existing = session.scalar(select(QueuedCallback).where(QueuedCallback.origin == origin))
    if existing is not None:
        return existing
    ticket = desk.open_queued(session, origin, number, at)
    row = QueuedCallback(
        origin=origin,
        ticket=ticket.number,
        number=number,
        queue=queue,
        position=max(position, 1),
        state=QueuedState.waiting,
        failures=0,
        requested_at=at,
        next_at=at,
    )
    session.add(row)
    call = session.scalar(select(Call).where(Call.linkedid == origin))
    if call is not None and call.callback_queued_at is None:
        call.callback_queued_at = at  # the reducer says so too; this holds if its event was missed
        if call.ended_at is not None and call.answered_at is None:
            call.outcome = "callback-queued"
    session.flush()
    return row


def due(session: Session, now: datetime, limit: int = 20) -> list[QueuedCallback]:
    """Requests to place now, oldest first."""
    return list(
        session.scalars(
            select(QueuedCallback)
            .where(QueuedCallback.state == QueuedState.waiting, QueuedCallback.next_at <= now)
            .order_by(QueuedCallback.requested_at, QueuedCallback.id)
            .limit(limit)
        )
    )


def place(session: Session, desk: TicketDesk, row: QueuedCallback, now: datetime) -> Placement:
    """Place a stand-in for the caller: at the place they left the first time, at the head of the
    queue on a retry (their turn had come already)."""
    attempt = f"{int(now.timestamp())}.{80_000_000 + secrets.randbelow(9_999_999)}"
    first = row.attempt is None
    row.state, row.attempt, row.placed_at, row.next_at = QueuedState.placed, attempt, now, None
    desk.queued_attempt(session, row.ticket, attempt, now)
    session.flush()
    return Placement(attempt, row.origin, row.ticket, row.number, row.queue, row.position if first else 1)


def _placed(session: Session, attempt: str) -> QueuedCallback | None:
    return session.scalar(
        select(QueuedCallback).where(
            QueuedCallback.attempt == attempt, QueuedCallback.state == QueuedState.placed
        )
    )


def started(session: Session, attempt: str, lawyer: str | None) -> bool:
    """A lawyer answered the stand-in: the citizen is being called."""
    row = _placed(session, attempt)
    if row is None:
        return False
    row.lawyer = lawyer or row.lawyer
    return True


def answered(session: Session, desk: TicketDesk, attempt: str, at: datetime) -> bool:
    """The citizen answered: the request is done, and the call that asked counts as answered then,
    by that lawyer, having waited from joining the queue until now (the statistics' wait)."""
    row = _placed(session, attempt)
    if row is None:
        return False
    row.state, row.answered_at, row.closed_at = QueuedState.answered, at, at
    call = session.scalar(select(Call).where(Call.linkedid == row.origin))
    if call is not None and call.answered_at is None:
        call.answered_at = at
        call.lawyer = row.lawyer or call.lawyer
        call.queue = call.queue or row.queue
        if call.queued_at is not None:
            call.wait_seconds = round((at - call.queued_at).total_seconds())
        call.outcome = "answered"
    desk.queued_answered(session, row.ticket, row.lawyer, at)
    session.flush()
    return True


def failed(
    session: Session, desk: TicketDesk, attempt: str, why: str, now: datetime, retries: Retries
) -> QueuedState | None:
    """The attempt did not reach the citizen (``why``: no answer, busy, no lawyer): tried again
    later, or, after the last retry, the ticket becomes a callback task on the desk and the call
    that asked is counted as abandoned. The request's new state (None: not a placed attempt)."""
    row = _placed(session, attempt)
    if row is None:
        return None
    row.failures += 1
    row.note = why[:64]
    if row.failures <= retries.times:
        row.state, row.next_at = QueuedState.waiting, now + timedelta(seconds=retries.seconds)
    else:
        row.state, row.closed_at = QueuedState.failed, now
        desk.queued_gave_up(session, row.ticket, row.failures, REASONS_ZH.get(why, why), now)
        call = session.scalar(select(Call).where(Call.linkedid == row.origin))
        if call is not None and call.answered_at is None:
            call.callback_queued_at = None
            call.outcome = "abandoned"
    session.flush()
    return QueuedState(row.state)


def placed_attempts(session: Session) -> set[str]:
    """The attempts now holding a place in a queue."""
    attempts = session.scalars(
        select(QueuedCallback.attempt).where(QueuedCallback.state == QueuedState.placed)
    )
    return {attempt for attempt in attempts if attempt is not None}


def open_requests(session: Session) -> list[QueuedCallback]:
    """Requests not done yet (waiting or placed), oldest first: for the wallboard and the metrics."""
    return list(
        session.scalars(
            select(QueuedCallback)
            .where(QueuedCallback.state.in_([QueuedState.waiting, QueuedState.placed]))
            .order_by(QueuedCallback.requested_at)
        )
    )
