"""A person who signs in: a lawyer, supervisor, quality reviewer or admin."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from hotline.db.base import Base, UTCDateTime, utcnow

if TYPE_CHECKING:  # the lawyers are the roster's (hotline/routing); mapped by name
    from hotline.routing.models import Lawyer


class Role(enum.StrEnum):
    admin = "admin"
    supervisor = "supervisor"
    lawyer = "lawyer"
    reviewer = "reviewer"
    # A leader of the justice bureau on duty (领导值守): hears and answers citizens' criticism.
    leader = "leader"


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(16))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # A lawyer's account is linked to the lawyer (extension, queues): the desk acts on that phone only.
    lawyer_id: Mapped[int | None] = mapped_column(
        ForeignKey("lawyers.id", ondelete="SET NULL"), unique=True, default=None
    )
    lawyer: Mapped[Lawyer | None] = relationship("Lawyer")
    # A supervisor's own phone, for listening in: extension and MD5(extension:realm:password).
    extension: Mapped[str | None] = mapped_column(String(16), unique=True, default=None)
    sip_ha1: Mapped[str | None] = mapped_column(String(32), default=None)


class SignInFailures(Base):
    """Failed sign-ins in a row, counted for one user name from one client address (``scope``
    "name") or for every name from one address ("address"). Names are counted whether or not a
    user has them (by their SHA-256, so any text fits), so a lock says nothing about who exists.
    The rule deciding locks from these counts is :mod:`hotline.auth.throttle`."""

    __tablename__ = "sign_in_failures"
    __table_args__ = (
        UniqueConstraint("scope", "name_key", "address"),
        Index("ix_sign_in_failures_name_key", "name_key"),
        Index("ix_sign_in_failures_last_failure_at", "last_failure_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    scope: Mapped[str] = mapped_column(String(8))
    # SHA-256 (hex) of the user name as typed; "" for the "address" scope.
    name_key: Mapped[str] = mapped_column(String(64))
    # The client address (an IPv6 client by its /64 network).
    address: Mapped[str] = mapped_column(String(64))
    failures: Mapped[int] = mapped_column(Integer)
    last_failure_at: Mapped[datetime] = mapped_column(UTCDateTime())


class BrowserSession(Base):
    """A signed-in browser: the cookie carries a random id, of which only the SHA-256 is kept.
    Signing out (or deactivating the user) revokes it at once."""

    __tablename__ = "web_sessions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    # The token every form and page API call of this session carries (X-CSRF-Token).
    csrf: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
