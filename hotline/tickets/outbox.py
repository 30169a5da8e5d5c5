"""The transactional outbox of hand-offs: written with the ticket change, sent in order, retried.

``enqueue`` runs in the transaction that changes the ticket, so a hand-off exists exactly when
the change was committed. The deliverer (``delivery.py``) ``claim``s due messages under a lease
— only the oldest undelivered message of a ticket and destination is due, which keeps each
ticket's events in order — and records each outcome with ``delivered`` or ``failed``.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, func, select, update
from sqlalchemy.orm import Session, aliased, sessionmaker

from hotline.calls.models import Call
from hotline.db.base import utcnow
from hotline.errors import HotlineError, NotFoundError
from hotline.tickets import handoff
from hotline.tickets.models import DeliveryState, Destination, OutboxMessage, Ticket, TicketState


def origin_call(session: Session, linkedid: str) -> handoff.OriginCall | None:
    """The call a ticket was opened for, as hand-offs describe it."""
    row = session.execute(
        select(Call.linkedid, Call.started_at, Call.ended_at, Call.ivr_path, Call.transferred_to).where(
            Call.linkedid == linkedid
        )
    ).first()
    return None if row is None else handoff.OriginCall(*row)


def enqueue(
    session: Session,
    ticket: Ticket,
    destination: Destination,
    event: str,
    *,
    topic_label: Callable[[str | None], str | None],
    now: datetime | None = None,
) -> OutboxMessage:
    """Write the hand-off of ``ticket``'s current state (raises if the payload is not valid)."""
    moment = now or utcnow()
    last = session.scalar(
        select(func.max(OutboxMessage.sequence)).where(
            OutboxMessage.ticket_id == ticket.id, OutboxMessage.destination == destination
        )
    )
    sequence = (last or 0) + 1
    document = handoff.payload(
        ticket,
        destination,
        event=event,
        sequence=sequence,
        sent_at=moment,
        topic_label=topic_label(ticket.topic),
        calls=[(link.linkedid, link.role, link.added_at) for link in ticket.calls],
        origin=origin_call(session, ticket.linkedid),
    )
    handoff.check_payload(destination, document)
    message = OutboxMessage(
        ticket_id=ticket.id,
        destination=str(destination),
        event=event,
        sequence=sequence,
        idempotency_key=document["idempotency_key"],
        payload=document,
        state=DeliveryState.pending,
        attempts=0,
        next_attempt_at=moment,
        created_at=moment,
    )
    session.add(message)
    session.flush()
    return message


@dataclass(frozen=True, slots=True)
class Claimed:
    id: int
    ticket_id: int
    destination: str
    event: str
    idempotency_key: str
    payload: dict[str, Any]
    attempt: int  # this attempt's number, from 1


def claim(
    sessions: sessionmaker[Session],
    destinations: Sequence[str],
    *,
    limit: int,
    lease: timedelta,
    now: datetime | None = None,
) -> list[Claimed]:
    """Take up to ``limit`` due messages: pending, due, not leased, and first in their ticket's line."""
    moment = now or utcnow()
    earlier = aliased(OutboxMessage)
    blocked = (
        select(earlier.id)
        .where(
            earlier.ticket_id == OutboxMessage.ticket_id,
            earlier.destination == OutboxMessage.destination,
            earlier.sequence < OutboxMessage.sequence,
            earlier.state != DeliveryState.delivered,
        )
        .exists()
    )
    claimed: list[Claimed] = []
    with sessions.begin() as session:
        due = session.scalars(
            select(OutboxMessage)
            .where(
                OutboxMessage.state == DeliveryState.pending,
                OutboxMessage.destination.in_(list(destinations)),
                OutboxMessage.next_attempt_at <= moment,
                (OutboxMessage.leased_until.is_(None)) | (OutboxMessage.leased_until < moment),
                ~blocked,
            )
            .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
            .limit(limit)
        ).all()
        for message in due:
            taken = session.execute(
                update(OutboxMessage)
                .where(
                    OutboxMessage.id == message.id,
                    OutboxMessage.state == DeliveryState.pending,
                    and_(
                        (OutboxMessage.leased_until.is_(None)) | (OutboxMessage.leased_until < moment),
                    ),
                )
                .values(leased_until=moment + lease, attempts=OutboxMessage.attempts + 1)
                .execution_options(synchronize_session=False)
            )
            if taken.rowcount == 1:  # type: ignore[attr-defined]
                claimed.append(
                    Claimed(
                        message.id,
                        message.ticket_id,
                        message.destination,
                        message.event,
                        message.idempotency_key,
                        message.payload,
                        message.attempts + 1,
                    )
                )
    return claimed


def delivered(
    sessions: sessionmaker[Session], message: Claimed, status: int, now: datetime | None = None
) -> None:
    """Mark it delivered; a delivered referral completes its ticket."""
    moment = now or utcnow()
    with sessions.begin() as session:
        session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id == message.id)
            .values(
                state=DeliveryState.delivered,
                delivered_at=moment,
                last_status=status,
                last_error=None,
                leased_until=None,
            )
        )
        if message.event in ("referred", "transferred"):
            session.execute(
                update(Ticket)
                .where(Ticket.id == message.ticket_id, Ticket.state == TicketState.open)
                .values(state=TicketState.closed, closed_at=moment, updated_at=moment, updated_by="hand-off")
            )


def failed(
    sessions: sessionmaker[Session],
    message: Claimed,
    *,
    status: int | None,
    error: str,
    max_attempts: int,
    base: float,
    cap: float,
    rng: random.Random,
    now: datetime | None = None,
) -> str:
    """Record a failed attempt: retried after a back-off, or dead (refused, or out of attempts)."""
    moment = now or utcnow()
    dead = not handoff.retryable(status) or message.attempt >= max_attempts
    delay = handoff.backoff(message.attempt, base=base, cap=cap, rng=rng)
    with sessions.begin() as session:
        session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id == message.id)
            .values(
                state=DeliveryState.dead if dead else DeliveryState.pending,
                last_status=status,
                last_error=error[:2000],
                next_attempt_at=moment + timedelta(seconds=delay),
                leased_until=None,
            )
        )
    return str(DeliveryState.dead if dead else DeliveryState.pending)


def retry(session: Session, message_id: int, now: datetime | None = None) -> OutboxMessage:
    """A dead message goes back in line, with its attempts counted afresh."""
    message = session.get(OutboxMessage, message_id)
    if message is None:
        raise NotFoundError("handoff-not-found", f"There is no hand-off {message_id}.", message_id=message_id)
    if message.state != DeliveryState.dead:
        raise HotlineError(
            "handoff-not-dead",
            f"Hand-off {message_id} is {message.state}; only dead ones are retried by hand.",
        )
    message.state, message.attempts = DeliveryState.pending, 0
    message.next_attempt_at, message.leased_until = now or utcnow(), None
    return message


def messages_of(session: Session, ticket_ids: Sequence[int]) -> dict[int, list[OutboxMessage]]:
    rows = session.scalars(
        select(OutboxMessage)
        .where(OutboxMessage.ticket_id.in_(list(ticket_ids)))
        .order_by(OutboxMessage.destination, OutboxMessage.sequence)
    )
    found: dict[int, list[OutboxMessage]] = {}
    for row in rows:
        found.setdefault(row.ticket_id, []).append(row)
    return found


def counts(session: Session) -> dict[str, int]:
    rows = session.execute(select(OutboxMessage.state, func.count()).group_by(OutboxMessage.state))
    return {str(state): int(n) for state, n in rows}
