"""A month's published assessment (动态考核): frozen once published. A later publication of the same
month is a new version; what was published stays as it was, whatever data changes later."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Float, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from hotline.db.base import Base, UTCDateTime, utcnow


class AssessmentRun(Base):
    __tablename__ = "assessment_runs"
    __table_args__ = (UniqueConstraint("month", "version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    month: Mapped[str] = mapped_column(String(7))  # YYYY-MM, local
    version: Mapped[int] = mapped_column(Integer)
    # The scheme it was scored with, as it was (name, version, items, grades).
    scheme: Mapped[dict[str, Any]] = mapped_column(JSON)
    published_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    published_by: Mapped[str] = mapped_column(String(64))
    results: Mapped[list[AssessmentResult]] = relationship(
        back_populates="run", cascade="all, delete-orphan", order_by="AssessmentResult.rank", lazy="selectin"
    )


class AssessmentResult(Base):
    __tablename__ = "assessment_results"
    __table_args__ = (UniqueConstraint("run_id", "extension"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("assessment_runs.id", ondelete="CASCADE"), index=True)
    extension: Mapped[str] = mapped_column(String(16), index=True)
    name: Mapped[str] = mapped_column(String(64))
    firm: Mapped[str | None] = mapped_column(String(128))
    total: Mapped[float] = mapped_column(Float)
    grade: Mapped[str] = mapped_column(String(16))
    rank: Mapped[int] = mapped_column(Integer)
    firm_rank: Mapped[int | None] = mapped_column(Integer)
    # The month's figures and each item's score, as published.
    figures: Mapped[dict[str, Any]] = mapped_column(JSON)
    items: Mapped[list[Any]] = mapped_column(JSON)
    run: Mapped[AssessmentRun] = relationship(back_populates="results")
