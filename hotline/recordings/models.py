"""A recording: the mix of a call (with one file per leg) or a voicemail message."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Float, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from hotline.db.base import Base, UTCDateTime, utcnow


class Recording(Base):
    __tablename__ = "recordings"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    linkedid: Mapped[str] = mapped_column(String(64), index=True)
    kind: Mapped[str] = mapped_column(String(16))  # call | voicemail
    # Paths relative to the instance's spool directory inside the Asterisk root.
    path: Mapped[str] = mapped_column(String(255), unique=True)
    caller_leg_path: Mapped[str | None] = mapped_column(String(255))
    lawyer_leg_path: Mapped[str | None] = mapped_column(String(255))
    format: Mapped[str] = mapped_column(String(16), default="wav")
    duration_seconds: Mapped[float | None] = mapped_column(Float)
    size_bytes: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
