"""Criticism (群众批评意见) and the leaders' duty roster (领导值守).

A :class:`Criticism` is one item from one channel (a phone message, a message after a poor rating,
the public web page, a letter, the director's mailbox), numbered for people
(``YJ-20261206-0001``: the local day it was received and its sequence that day). It goes
received -> assigned (to a duty leader) -> handled (upheld or not, the measure taken) -> replied
(a callback or a written reply, within a deadline in working days) -> closed; each step is kept in
:class:`CriticismStep`.
"""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import Boolean, Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from hotline.db.base import Base, Touched, UTCDateTime, utcnow


class Channel(enum.StrEnum):
    phone = "phone"  # the main menu's 投诉与意见 key: a recorded message
    after_rating = "after-rating"  # a rating of 1-2, then "press 1 to tell us what went wrong"
    web = "web"  # the public page /feedback
    letter = "letter"  # 来信, entered by staff
    mailbox = "mailbox"  # 局长信箱, entered by staff


class Target(enum.StrEnum):
    lawyer = "lawyer"
    firm = "firm"
    centre = "centre"  # the public legal service centre
    hotline = "hotline"  # the hotline itself (waiting, menus, the line)


class CriticismState(enum.StrEnum):
    received = "received"
    assigned = "assigned"
    handled = "handled"
    replied = "replied"
    closed = "closed"


class ReplyMethod(enum.StrEnum):
    callback = "callback"  # 电话回复
    written = "written"  # 书面回复


class Criticism(Touched, Base):
    __tablename__ = "criticisms"
    __table_args__ = (
        Index("ix_criticisms_state_due", "state", "due_at"),
        Index("ix_criticisms_received_at", "received_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    number: Mapped[str] = mapped_column(String(32), unique=True)
    channel: Mapped[str] = mapped_column(String(16))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # Who entered it: a staff account, or None (the citizen, on the phone or the web page).
    entered_by: Mapped[str | None] = mapped_column(String(64))
    # What the citizen said: the text (web, letters), or the message's transcript (phone).
    text: Mapped[str] = mapped_column(Text, default="")
    # Who wrote and where to reply (optional name; the number to call back).
    name: Mapped[str | None] = mapped_column(String(64))
    phone: Mapped[str | None] = mapped_column(String(64))
    # The category (a key of the taxonomy) once a person confirmed it, and what the keywords suggest.
    category: Mapped[str | None] = mapped_column(String(32))
    suggested_category: Mapped[str | None] = mapped_column(String(32))
    target: Mapped[str | None] = mapped_column(String(16))
    # The lawyer's extension, the firm's name or the centre's, as the target says.
    target_name: Mapped[str | None] = mapped_column(String(128), index=True)
    # A phone channel's call, and the recorded message (sealed like every recording).
    linkedid: Mapped[str | None] = mapped_column(String(64), index=True)
    recording_file: Mapped[str | None] = mapped_column(String(255))
    recording_id: Mapped[int | None] = mapped_column(ForeignKey("recordings.id"))
    state: Mapped[str] = mapped_column(String(16), default=CriticismState.received)
    # The duty leader it is assigned to (a username).
    assigned_to: Mapped[str | None] = mapped_column(String(64), index=True)
    # The reply's deadline (限期答复) and the rule it came from (e.g. "criticism: 5wd").
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    due_rule: Mapped[str | None] = mapped_column(String(64))
    handled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Whether the criticism was found justified (属实), and the measure taken (整改措施).
    upheld: Mapped[bool | None] = mapped_column(Boolean)
    finding: Mapped[str | None] = mapped_column(Text)
    measure: Mapped[str | None] = mapped_column(Text)
    replied_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    reply_method: Mapped[str | None] = mapped_column(String(16))
    reply: Mapped[str | None] = mapped_column(Text)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # The web page's: a keyed hash of the sender's address (for its rate limit; the address itself
    # is not kept) and of the form it came from (a form sent twice is one item).
    source: Mapped[str | None] = mapped_column(String(64), index=True)
    form_key: Mapped[str | None] = mapped_column(String(64), unique=True)
    steps: Mapped[list[CriticismStep]] = relationship(
        back_populates="criticism", cascade="all, delete-orphan", order_by="CriticismStep.id", lazy="selectin"
    )


class CriticismStep(Base):
    """One step of an item's handling: who did what, when."""

    __tablename__ = "criticism_steps"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    criticism_id: Mapped[int] = mapped_column(ForeignKey("criticisms.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    actor: Mapped[str] = mapped_column(String(64))
    # received, transcribed, categorised, assigned, handled, replied, closed, reopened
    action: Mapped[str] = mapped_column(String(16))
    note: Mapped[str] = mapped_column(Text, default="")
    criticism: Mapped[Criticism] = relationship(back_populates="steps")


class LeaderDuty(Base):
    """The leaders' duty roster (领导值守): who is on duty on a local day."""

    __tablename__ = "leader_duty"
    __table_args__ = (UniqueConstraint("day", "username"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    day: Mapped[date] = mapped_column(Date, index=True)
    username: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
