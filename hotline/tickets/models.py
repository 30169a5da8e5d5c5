"""The ticket (工单) of a call or a voicemail, and the calls it links.

A ticket is numbered for people (``12348-20261128-0001``: the local day it was opened and its
sequence that day). The lawyer writes the summary and picks the outcome; the outcome sets the
deadline (限时办结); the escalation job flags tickets past it to supervisors.
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from hotline.db.base import Base, Touched, UTCDateTime, utcnow


class TicketKind(enum.StrEnum):
    call = "call"
    voicemail = "voicemail"
    # 未接回拨: a caller who hung up after waiting in a queue, to be called back (one per number a day).
    abandoned = "abandoned"
    # 转12345: the menus put the caller through to the 12345 hotline (its hand-off follows).
    transfer = "transfer"
    # 排队回电: a waiting caller pressed 1 to keep their place and be called back.
    queued = "queued-callback"


class Outcome(enum.StrEnum):
    answered = "answered"  # 已解答: answered in full
    legal_aid = "legal-aid"  # 转法律援助
    mediation = "mediation"  # 转人民调解
    notary = "notary"  # 转公证
    arbitration = "arbitration"  # 转仲裁
    gov_12345 = "gov-12345"  # 转 12345 热线
    callback = "callback"  # 需回访: the lawyer calls back


class TicketState(enum.StrEnum):
    open = "open"  # being handled: no outcome yet, or a callback or hand-off to finish
    closed = "closed"


class Ticket(Touched, Base):
    __tablename__ = "tickets"
    __table_args__ = (
        Index("ix_tickets_state_due", "state", "due_at"),
        Index("ix_tickets_lawyer_state", "lawyer", "state"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    number: Mapped[str] = mapped_column(String(32), unique=True)
    kind: Mapped[str] = mapped_column(String(16))
    # The call that opened the ticket.
    linkedid: Mapped[str] = mapped_column(String(64), unique=True)
    caller: Mapped[str | None] = mapped_column(String(64), index=True)
    topic: Mapped[str | None] = mapped_column(String(32))
    language: Mapped[str | None] = mapped_column(String(32))
    # The lawyer's extension responsible for the ticket (voicemail: assigned for the callback).
    lawyer: Mapped[str | None] = mapped_column(String(64))
    summary: Mapped[str] = mapped_column(Text, default="")
    outcome: Mapped[str | None] = mapped_column(String(16))
    state: Mapped[str] = mapped_column(String(16), default=TicketState.open)
    # The deadline (限时办结) and the rule it came from (e.g. "callback: 24h").
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    due_rule: Mapped[str | None] = mapped_column(String(64))
    escalated_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # One rating per ticket (一单一评), from the call's keypad rating or the callback's.
    rating: Mapped[int | None] = mapped_column(Integer)
    rating_channel: Mapped[str | None] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)
    updated_by: Mapped[str | None] = mapped_column(String(64))
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # How a ticket that closed itself was closed (e.g. 再次来电已接通), for the people who read it.
    closed_note: Mapped[str | None] = mapped_column(String(255))
    calls: Mapped[list[TicketCall]] = relationship(
        back_populates="ticket", cascade="all, delete-orphan", order_by="TicketCall.id", lazy="selectin"
    )


class TicketCall(Touched, Base):
    """A call of a ticket: the one that opened it, a callback, a transfer's onward call."""

    __tablename__ = "ticket_calls"
    __table_args__ = (UniqueConstraint("ticket_id", "linkedid"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"))
    linkedid: Mapped[str] = mapped_column(String(64), index=True)
    # origin | callback | abandoned (another abandon of the number that day) | answered-again
    role: Mapped[str] = mapped_column(String(16))
    # The citizen's rating given on this call (a callback), whether or not the ticket took it.
    rating: Mapped[int | None] = mapped_column(Integer)
    added_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    ticket: Mapped[Ticket] = relationship(back_populates="calls")


class Destination(enum.StrEnum):
    case_records = "case-records"  # the legal-aid platform's case records
    gov_12345 = "gov-12345"  # the 12345 government hotline


class DeliveryState(enum.StrEnum):
    pending = "pending"  # waiting to be sent, or to be retried
    delivered = "delivered"
    dead = "dead"  # gave up (too many failures, or refused by the receiver): retried by hand


class OutboxMessage(Touched, Base):
    """A hand-off waiting to be delivered, written in the same transaction as the ticket change.

    Messages of one ticket to one destination go in ``sequence`` order: a message is sent only
    once every earlier one was delivered."""

    __tablename__ = "outbox"
    __table_args__ = (
        UniqueConstraint("ticket_id", "destination", "sequence"),
        Index("ix_outbox_state_due", "state", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"), index=True)
    destination: Mapped[str] = mapped_column(String(32))
    event: Mapped[str] = mapped_column(String(32))
    sequence: Mapped[int] = mapped_column(Integer)
    idempotency_key: Mapped[str] = mapped_column(String(96), unique=True)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    state: Mapped[str] = mapped_column(String(16), default=DeliveryState.pending)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # A sender holds the message until then (no second sender meanwhile; after a crash it expires).
    leased_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_status: Mapped[int | None] = mapped_column(Integer)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
