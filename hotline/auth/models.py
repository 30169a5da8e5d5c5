"""A person who signs in: a lawyer, supervisor, quality reviewer or admin."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from hotline.db.base import Base, UTCDateTime, utcnow


class Role(enum.StrEnum):
    admin = "admin"
    supervisor = "supervisor"
    lawyer = "lawyer"
    reviewer = "reviewer"


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(16))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # Consecutive failed sign-ins, and until when sign-in is refused because of them.
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # A lawyer's account is linked to the lawyer (extension, queues): the desk acts on that phone only.
    lawyer_id: Mapped[int | None] = mapped_column(
        ForeignKey("lawyers.id", ondelete="SET NULL"), unique=True, default=None
    )
    # A supervisor's own phone, for listening in: extension and MD5(extension:realm:password).
    extension: Mapped[str | None] = mapped_column(String(16), unique=True, default=None)
    sip_ha1: Mapped[str | None] = mapped_column(String(32), default=None)
