"""A lawyer who answers calls from a softphone registered as a PJSIP endpoint."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from hotline.db.base import Base, UTCDateTime, utcnow


class Lawyer(Base):
    __tablename__ = "lawyers"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(64))
    extension: Mapped[str] = mapped_column(String(16), unique=True)
    # MD5(extension:realm:password): Asterisk verifies digests with it; the password is never stored.
    sip_ha1: Mapped[str] = mapped_column(String(32))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
