"""Transcription jobs (one per leg), transcripts with word timings, the search index, keyword alerts."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from hotline.db.base import Base, Touched, UTCDateTime, utcnow


class JobState(enum.StrEnum):
    queued = "queued"
    running = "running"
    done = "done"
    # Gave up after the last attempt; `hotline transcribe --retry-failed` queues it again.
    failed = "failed"


class TranscriptionJob(Base):
    __tablename__ = "transcription_jobs"
    __table_args__ = (
        UniqueConstraint("recording_id", "leg"),
        Index("ix_transcription_jobs_state_due", "state", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    recording_id: Mapped[int] = mapped_column(ForeignKey("recordings.id", ondelete="CASCADE"))
    leg: Mapped[str] = mapped_column(String(16))
    state: Mapped[str] = mapped_column(String(16), default=JobState.queued)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class Transcript(Base):
    """What one leg said: the text and each word with its time in the recording and confidence."""

    __tablename__ = "transcripts"
    __table_args__ = (UniqueConstraint("recording_id", "leg"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    recording_id: Mapped[int] = mapped_column(ForeignKey("recordings.id", ondelete="CASCADE"))
    linkedid: Mapped[str] = mapped_column(String(64), index=True)
    leg: Mapped[str] = mapped_column(String(16))
    text: Mapped[str] = mapped_column(Text)
    # [[word, start seconds, end seconds, confidence], ...]
    words: Mapped[list[Any]] = mapped_column(JSON)
    audio_seconds: Mapped[float] = mapped_column(Float)
    speech_seconds: Mapped[float] = mapped_column(Float)
    model: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class TranscriptGram(Base):
    """The search index: every character bigram (and single character) of a transcript's text.

    Chinese has no spaces between words, so words can't be indexed; n-grams can, on any database."""

    __tablename__ = "transcript_grams"

    transcript_id: Mapped[int] = mapped_column(
        ForeignKey("transcripts.id", ondelete="CASCADE"), primary_key=True
    )
    gram: Mapped[str] = mapped_column(String(8), primary_key=True)
    __table_args__ = (Index("ix_transcript_grams_gram", "gram"),)


class KeywordAlert(Touched, Base):
    """A watched phrase heard in a call (e.g. 家暴): shown to supervisors until acknowledged."""

    __tablename__ = "keyword_alerts"
    __table_args__ = (UniqueConstraint("recording_id", "keyword"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    recording_id: Mapped[int] = mapped_column(ForeignKey("recordings.id", ondelete="CASCADE"))
    linkedid: Mapped[str] = mapped_column(String(64), index=True)
    keyword: Mapped[str] = mapped_column(String(64))
    category: Mapped[str] = mapped_column(String(32))
    leg: Mapped[str] = mapped_column(String(16))
    at_seconds: Mapped[float] = mapped_column(Float)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    acknowledged_by: Mapped[str | None] = mapped_column(String(64))
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
