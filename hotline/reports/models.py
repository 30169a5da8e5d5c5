"""Stored reports of a month: the last good XLSX and PDF, and the submission (上报): the monthly
report (月报) and the analysis of citizens' criticism (群众批评意见分析报告)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from hotline.db.base import Base, UTCDateTime


class ReportColumns:
    """What a stored report of a month holds. A generation that fails leaves the stored files as
    they were and says why in ``last_error`` (cleared by the next success)."""

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    month: Mapped[str] = mapped_column(String(7), unique=True)  # YYYY-MM
    # The last good files (None until a generation succeeded); loaded only when downloaded.
    xlsx: Mapped[bytes | None] = mapped_column(LargeBinary, deferred=True)
    pdf: Mapped[bytes | None] = mapped_column(LargeBinary, deferred=True)
    generated_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # "scheduler", or the user name of whoever regenerated it.
    generated_by: Mapped[str | None] = mapped_column(String(64))
    last_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_error: Mapped[str | None] = mapped_column(Text)
    # Marked submitted to the higher authority (上报) by an admin or a supervisor.
    submitted_by: Mapped[str | None] = mapped_column(String(64))
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class StoredReport(ReportColumns, Base):
    """One month's report (月报)."""

    __tablename__ = "monthly_reports"


class StoredCriticismReport(ReportColumns, Base):
    """One month's analysis of citizens' criticism, with the measures the leader wrote for it."""

    __tablename__ = "criticism_reports"

    # The measures taken (整改措施), written by a duty leader or a supervisor before publishing.
    measures: Mapped[str | None] = mapped_column(Text)
    measures_by: Mapped[str | None] = mapped_column(String(64))
    measures_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
