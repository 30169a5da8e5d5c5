"""The transcription queue in the database, transcripts, search and keyword alerts (synchronous).

A job per leg (caller, lawyer) of every sealed recording: ``queued`` → ``running`` (claimed with
a conditional update, so two processes never take the same job) → ``done`` with its transcript,
or back to ``queued`` with a growing delay after a failure, and ``failed`` after the last attempt
(the error stays on the job: ``GET /api/v1/transcription/jobs``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Select, delete, func, insert, select, update
from sqlalchemy.orm import Session, sessionmaker

from hotline.db.base import utcnow
from hotline.recordings.models import Leg, Recording, RecordingFile, RecordingState
from hotline.transcription.engine import LegTranscript
from hotline.transcription.models import JobState, KeywordAlert, Transcript, TranscriptGram, TranscriptionJob
from hotline.transcription.search import Hit, find, index_grams, query_grams

TRANSCRIBED_LEGS = (Leg.caller, Leg.lawyer)
# A job still "running" this long after it started belongs to a process that died.
STALE_AFTER = timedelta(hours=1)


def enqueue(session: Session, recording_ids: Sequence[int] | None = None) -> int:
    """Queue a job for each transcribed leg of these sealed recordings (all sealed ones: None) lacking one."""
    query = (
        select(RecordingFile.recording_id, RecordingFile.leg)
        .join(Recording)
        .where(
            Recording.state == RecordingState.sealed,
            RecordingFile.leg.in_([str(leg) for leg in TRANSCRIBED_LEGS]),
            ~select(TranscriptionJob.id)
            .where(
                TranscriptionJob.recording_id == RecordingFile.recording_id,
                TranscriptionJob.leg == RecordingFile.leg,
            )
            .exists(),
        )
    )
    if recording_ids is not None:
        query = query.where(RecordingFile.recording_id.in_(list(recording_ids)))
    rows = session.execute(query).all()
    now = utcnow()
    for recording_id, leg in rows:
        session.add(TranscriptionJob(recording_id=recording_id, leg=leg, next_attempt_at=now, created_at=now))
    return len(rows)


@dataclass(frozen=True, slots=True)
class ClaimedJob:
    job_id: int
    recording_id: int
    linkedid: str
    leg: str
    sealed_path: str  # relative to the recording store
    attempt: int


def claim(sessions: sessionmaker[Session], limit: int, now: datetime | None = None) -> list[ClaimedJob]:
    """Take up to ``limit`` due jobs for this process."""
    moment = now or utcnow()
    claimed: list[ClaimedJob] = []
    with sessions.begin() as session:
        candidates = session.execute(
            select(
                TranscriptionJob.id,
                TranscriptionJob.attempts,
                Recording.id,
                Recording.linkedid,
                RecordingFile,
            )
            .join(Recording, Recording.id == TranscriptionJob.recording_id)
            .join(
                RecordingFile,
                (RecordingFile.recording_id == Recording.id) & (RecordingFile.leg == TranscriptionJob.leg),
            )
            .where(TranscriptionJob.state == JobState.queued, TranscriptionJob.next_attempt_at <= moment)
            .order_by(TranscriptionJob.next_attempt_at, TranscriptionJob.id)
            .limit(limit)
        ).all()
        for job_id, attempts, recording_id, linkedid, file in candidates:
            taken = session.execute(
                update(TranscriptionJob)
                .where(TranscriptionJob.id == job_id, TranscriptionJob.state == JobState.queued)
                .values(state=JobState.running, attempts=attempts + 1, started_at=moment)
            )
            if taken.rowcount == 1:  # type: ignore[attr-defined]
                claimed.append(ClaimedJob(job_id, recording_id, linkedid, file.leg, file.path, attempts + 1))
    return claimed


def complete(
    sessions: sessionmaker[Session],
    job: ClaimedJob,
    result: LegTranscript,
    *,
    model: str,
    keywords: Mapping[str, Sequence[str]],
) -> list[KeywordAlert]:
    """Store the leg's transcript and its index, raise alerts for watched phrases, close the job."""
    words = [[w.text, round(w.start, 3), round(w.end, 3), round(w.confidence, 3)] for w in result.words]
    with sessions.begin() as session:
        session.execute(
            delete(Transcript).where(Transcript.recording_id == job.recording_id, Transcript.leg == job.leg)
        )
        transcript = Transcript(
            recording_id=job.recording_id,
            linkedid=job.linkedid,
            leg=job.leg,
            text=result.text,
            words=words,
            audio_seconds=result.audio_seconds,
            speech_seconds=result.speech_seconds,
            model=model,
        )
        session.add(transcript)
        session.flush()
        grams = index_grams(result.text)
        if grams:
            session.execute(
                insert(TranscriptGram),
                [{"transcript_id": transcript.id, "gram": gram} for gram in sorted(grams)],
            )
        alerts = _alerts(session, job, words, keywords)
        session.execute(
            update(TranscriptionJob)
            .where(TranscriptionJob.id == job.job_id)
            .values(state=JobState.done, last_error=None, finished_at=utcnow())
        )
    return alerts


def _alerts(
    session: Session, job: ClaimedJob, words: list[list[object]], keywords: Mapping[str, Sequence[str]]
) -> list[KeywordAlert]:
    known = set(
        session.scalars(select(KeywordAlert.keyword).where(KeywordAlert.recording_id == job.recording_id))
    )
    alerts = []
    for category, phrases in keywords.items():
        for phrase in phrases:
            if phrase in known:
                continue
            hits = find(phrase, words)
            if hits:
                alert = KeywordAlert(
                    recording_id=job.recording_id,
                    linkedid=job.linkedid,
                    keyword=phrase,
                    category=category,
                    leg=job.leg,
                    at_seconds=hits[0].at_seconds,
                )
                session.add(alert)
                alerts.append(alert)
                known.add(phrase)
    return alerts


def fail(
    sessions: sessionmaker[Session],
    job: ClaimedJob,
    error: str,
    *,
    max_attempts: int,
    retry_seconds: float,
    now: datetime | None = None,
) -> str:
    """Record a failed attempt: queued again after a growing delay, or failed for good (the new state)."""
    moment = now or utcnow()
    final = job.attempt >= max_attempts
    state = JobState.failed if final else JobState.queued
    with sessions.begin() as session:
        session.execute(
            update(TranscriptionJob)
            .where(TranscriptionJob.id == job.job_id)
            .values(
                state=state,
                last_error=error[:2000],
                finished_at=moment if final else None,
                next_attempt_at=moment + timedelta(seconds=retry_seconds * 2 ** (job.attempt - 1)),
            )
        )
    return str(state)


def requeue_stale(sessions: sessionmaker[Session], now: datetime | None = None) -> int:
    """Jobs left running by a process that stopped: queue them again."""
    moment = now or utcnow()
    with sessions.begin() as session:
        result = session.execute(
            update(TranscriptionJob)
            .where(
                TranscriptionJob.state == JobState.running, TranscriptionJob.started_at < moment - STALE_AFTER
            )
            .values(state=JobState.queued, next_attempt_at=moment)
        )
    return int(result.rowcount)  # type: ignore[attr-defined]


def requeue_running(sessions: sessionmaker[Session]) -> int:
    """At the controller's start: its own jobs from before a crash are running no more."""
    with sessions.begin() as session:
        result = session.execute(
            update(TranscriptionJob)
            .where(TranscriptionJob.state == JobState.running)
            .values(state=JobState.queued, next_attempt_at=utcnow())
        )
    return int(result.rowcount)  # type: ignore[attr-defined]


def retry_failed(sessions: sessionmaker[Session]) -> int:
    with sessions.begin() as session:
        result = session.execute(
            update(TranscriptionJob)
            .where(TranscriptionJob.state == JobState.failed)
            .values(state=JobState.queued, attempts=0, next_attempt_at=utcnow(), finished_at=None)
        )
    return int(result.rowcount)  # type: ignore[attr-defined]


def job_counts(session: Session) -> dict[str, int]:
    rows = session.execute(select(TranscriptionJob.state, func.count()).group_by(TranscriptionJob.state))
    return {str(state): int(count) for state, count in rows}


def due_count(session: Session, now: datetime | None = None) -> int:
    return int(
        session.scalar(
            select(func.count())
            .select_from(TranscriptionJob)
            .where(
                TranscriptionJob.state == JobState.queued,
                TranscriptionJob.next_attempt_at <= (now or utcnow()),
            )
        )
        or 0
    )


def transcripts_of(session: Session, recording_id: int) -> list[Transcript]:
    return list(
        session.scalars(
            select(Transcript).where(Transcript.recording_id == recording_id).order_by(Transcript.leg)
        )
    )


def forget(session: Session, recording_id: int) -> None:
    """Drop what was transcribed from a purged recording (the index goes with it)."""
    session.execute(delete(Transcript).where(Transcript.recording_id == recording_id))


# --- search -------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SearchHit:
    recording_id: int
    linkedid: str
    leg: str
    hit: Hit


def search(
    session: Session, query: str, *, limit: int = 50, within: Select[Any] | None = None
) -> list[SearchHit]:
    """Transcripts containing ``query`` (normalised), newest recordings first, one hit per transcript;
    only of the recordings ``within`` selects (None: of every recording)."""
    grams = query_grams(query)
    if not grams:
        return []
    candidates = (
        select(TranscriptGram.transcript_id)
        .where(TranscriptGram.gram.in_(grams))
        .group_by(TranscriptGram.transcript_id)
        .having(func.count(TranscriptGram.gram) == len(grams))
    )
    matching = select(Transcript).where(Transcript.id.in_(candidates))
    if within is not None:
        matching = matching.where(Transcript.recording_id.in_(within))
    rows = session.scalars(matching.order_by(Transcript.recording_id.desc()))
    hits: list[SearchHit] = []
    for transcript in rows:
        found = find(query, transcript.words)
        if found:
            hits.append(SearchHit(transcript.recording_id, transcript.linkedid, transcript.leg, found[0]))
            if len(hits) >= limit:
                break
    return hits
