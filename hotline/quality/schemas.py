"""Request and response bodies of the quality review API."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, Field

from hotline.api_types import Count, Id, IsoDate


class CallFacts(BaseModel):
    started_at: datetime | None
    topic: str | None
    # The topic's Chinese name (ivr_flows/topics.yaml).
    topic_label: str | None
    # Masked for roles that do not see caller numbers.
    caller: str | None
    rating: Count | None
    talk_seconds: Count | None


class ReviewOut(BaseModel):
    id: Id
    recording_id: Id
    linkedid: str
    lawyer: str | None
    lawyer_name: str | None
    reviewer: str
    reason: str
    state: str
    total: float | None
    auto_failed: bool
    assigned_at: datetime
    submitted_at: datetime | None
    calibration_group: str | None
    call: CallFacts | None


class ReviewDetail(ReviewOut):
    scorecard: dict[str, Any]
    scores: dict[str, Count | None]
    comments: dict[str, str]
    comment: str


class ReviewUpdate(BaseModel):
    # item key -> points, or null for 不适用 (not applicable); a missing key is not scored yet.
    scores: dict[str, Count | None] = Field(default_factory=dict)
    comments: dict[str, str] = Field(default_factory=dict)
    comment: str = Field(default="", max_length=4000)
    # True: every item must be scored; the review is then locked.
    submit: bool = False


class AssignRequest(BaseModel):
    recording_id: Id
    reviewer: str


class ScorecardIn(BaseModel):
    name: str = Field(min_length=1, max_length=128)
    # {"sections": [{"title": ..., "items": [{"key", "label", "points", "auto_fail", "guidance"}]}]}
    definition: dict[str, Any]


class ScorecardOut(BaseModel):
    id: Id
    name: str
    version: Count
    active: bool
    sections: list[dict[str, Any]]


class SampleRequest(BaseModel):
    day: IsoDate


class SampleOut(BaseModel):
    day: date
    calls_per_lawyer: dict[str, Count]
    assigned: list[ReviewOut]
    unassigned: list[str]
    skipped: Count
    message: str


class CalibrationRequest(BaseModel):
    recording_id: Id
    reviewers: list[str] = Field(min_length=2)


class CalibrationItemOut(BaseModel):
    key: str
    label: str
    scores: dict[str, Count | None]
    mean: float | None
    min: Count | None
    max: Count | None
    spread: Count | None


class CalibrationOut(BaseModel):
    group: str
    recording_id: Id
    linkedid: str
    reviewers: list[str]
    submitted: list[str]
    items: list[CalibrationItemOut]
    totals: dict[str, float | None]
    total_spread: float | None
