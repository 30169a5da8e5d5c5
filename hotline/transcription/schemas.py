"""Response bodies of the transcription API."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel

from hotline.api_types import Count, Id


class LegTranscriptOut(BaseModel):
    leg: str
    text: str
    # [word, start seconds, end seconds, confidence]
    words: list[tuple[str, float, float, float]]
    audio_seconds: float
    speech_seconds: float
    model: str


class TurnOut(BaseModel):
    """One speaker's stretch of talk; ``words`` index into that leg's ``words``."""

    leg: str
    start: float
    end: float
    first_word: Count
    last_word: Count
    text: str


class JobOut(BaseModel):
    recording_id: Id
    leg: str
    state: str
    attempts: Count
    last_error: str | None
    next_attempt_at: datetime
    finished_at: datetime | None


class TranscriptOut(BaseModel):
    recording_id: Id
    linkedid: str
    legs: list[LegTranscriptOut]
    # Both legs interleaved by time: the conversation as the reviewer reads it.
    turns: list[TurnOut]
    jobs: list[JobOut]


class SearchHitOut(BaseModel):
    recording_id: Id
    linkedid: str
    leg: str
    at_seconds: float
    snippet: str
    started_at: datetime | None
    lawyer: str | None
    topic: str | None
    topic_label: str | None


class AlertOut(BaseModel):
    id: Id
    recording_id: Id
    linkedid: str
    keyword: str
    category: str
    leg: str
    at_seconds: float
    created_at: datetime
    acknowledged_by: str | None
    acknowledged_at: datetime | None
    lawyer: str | None
    started_at: datetime | None
