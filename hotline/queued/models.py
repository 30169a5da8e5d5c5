"""A queued callback (排队回电): a caller who pressed 1 while waiting keeps their place; when their
turn comes a lawyer's phone rings, then the hotline calls the citizen."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from hotline.db.base import Base, UTCDateTime, utcnow


class QueuedState(enum.StrEnum):
    # Waiting to be placed in the queue (at first, or again after a failed attempt, at next_at).
    waiting = "waiting"
    # A stand-in holds the caller's place in the queue (``attempt``: its call's linkedid).
    placed = "placed"
    # The citizen answered the callback: done.
    answered = "answered"
    # Every attempt failed: the ticket became a callback task on the desk (未接回拨).
    failed = "failed"


class QueuedCallback(Base):
    __tablename__ = "queued_callbacks"
    __table_args__ = (Index("ix_queued_callbacks_state_next", "state", "next_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # The call on which the caller pressed 1.
    origin: Mapped[str] = mapped_column(String(64), unique=True)
    # The ticket it belongs to (one ticket, one rating, whichever call it came on).
    ticket: Mapped[str] = mapped_column(String(32))
    number: Mapped[str] = mapped_column(String(64))
    queue: Mapped[str] = mapped_column(String(64))
    # The place the caller left (1 = next); a retry goes to the head of the queue.
    position: Mapped[int] = mapped_column(Integer)
    state: Mapped[str] = mapped_column(String(16), default=QueuedState.waiting)
    # Attempts that failed: the citizen did not answer or was busy, or no lawyer took the stand-in.
    failures: Mapped[int] = mapped_column(Integer, default=0)
    # The current (or last) attempt: the linkedid of the stand-in's call, fixed by the originate.
    attempt: Mapped[str | None] = mapped_column(String(64), unique=True)
    lawyer: Mapped[str | None] = mapped_column(String(64))
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    next_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    placed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Why the last attempt failed (Dial's status: NOANSWER, BUSY ...).
    note: Mapped[str | None] = mapped_column(String(64))
