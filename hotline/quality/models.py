"""Scorecard templates and reviews.

A :class:`Scorecard` is one version of a template (its sections and items as a validated JSON
definition); a changed template is a new version, so a review always scores against exactly the
items it was given. A :class:`Review` is one reviewer's grading of one call: assigned, drafted,
then submitted, after which it is locked.
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Float, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from hotline.db.base import Base, Touched, UTCDateTime, utcnow


class ReviewReason(enum.StrEnum):
    sample = "sample"  # 双随机抽查
    low_rating = "low-rating"  # the caller rated 1-2
    calibration = "calibration"  # several reviewers score one call
    manual = "manual"  # assigned by a supervisor


class ReviewState(enum.StrEnum):
    assigned = "assigned"
    submitted = "submitted"


class Scorecard(Base):
    __tablename__ = "scorecards"
    __table_args__ = (UniqueConstraint("name", "version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(128))
    version: Mapped[int] = mapped_column(Integer)
    # {"sections": [{"title": ..., "items": [{"key", "label", "points", "auto_fail", "guidance"}]}]}
    definition: Mapped[dict[str, Any]] = mapped_column(JSON)
    # The version new reviews use (one per name).
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Review(Touched, Base):
    __tablename__ = "reviews"
    __table_args__ = (UniqueConstraint("recording_id", "reviewer"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    recording_id: Mapped[int] = mapped_column(ForeignKey("recordings.id", ondelete="CASCADE"), index=True)
    linkedid: Mapped[str] = mapped_column(String(64), index=True)
    # The lawyer's extension whose call is reviewed.
    lawyer: Mapped[str | None] = mapped_column(String(64), index=True)
    reviewer: Mapped[str] = mapped_column(String(64), index=True)
    scorecard_id: Mapped[int] = mapped_column(ForeignKey("scorecards.id"))
    reason: Mapped[str] = mapped_column(String(16))
    calibration_group: Mapped[str | None] = mapped_column(String(64), index=True)
    state: Mapped[str] = mapped_column(String(16), default=ReviewState.assigned)
    # item key -> points (None: not applicable); comments per item key; the overall comment.
    scores: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    comments: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    comment: Mapped[str] = mapped_column(Text, default="")
    total: Mapped[float | None] = mapped_column(Float)
    auto_failed: Mapped[bool] = mapped_column(Boolean, default=False)
    assigned_by: Mapped[str] = mapped_column(String(64))
    assigned_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
