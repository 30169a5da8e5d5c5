"""Stored monthly reports: the last good XLSX and PDF of each month, and its submission (上报)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, deferred, mapped_column

from hotline.db.base import Base, UTCDateTime


class StoredReport(Base):
    """One month's report. A generation that fails leaves the stored files as they were and says
    why in ``last_error`` (cleared by the next success)."""

    __tablename__ = "monthly_reports"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    month: Mapped[str] = mapped_column(String(7), unique=True)  # YYYY-MM
    # The last good files (None until a generation succeeded); loaded only when downloaded.
    xlsx: Mapped[bytes | None] = deferred(mapped_column(LargeBinary))
    pdf: Mapped[bytes | None] = deferred(mapped_column(LargeBinary))
    generated_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # "scheduler", or the user name of whoever regenerated it.
    generated_by: Mapped[str | None] = mapped_column(String(64))
    last_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_error: Mapped[str | None] = mapped_column(Text)
    # Marked submitted to the higher authority (上报) by an admin.
    submitted_by: Mapped[str | None] = mapped_column(String(64))
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
