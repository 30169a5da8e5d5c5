"""The transcription queue, transcripts, Chinese search and keyword alerts on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from hotline.db.base import utcnow
from hotline.recordings.audit import AuditLog
from hotline.recordings.crypto import new_key_line, parse_keyring
from hotline.recordings.models import Recording
from hotline.recordings.service import RecordingRegistry
from hotline.transcription import service
from hotline.transcription.engine import LegTranscript, Word
from hotline.transcription.models import JobState, KeywordAlert, TranscriptGram, TranscriptionJob
from tests.helpers import sealed_recording

KEYWORDS = {"safety": ["家暴", "自杀"], "deadline": ["上诉期"]}


@pytest.fixture
def registry(session_factory: sessionmaker[Session], spool: Path, tmp_path: Path) -> RecordingRegistry:
    registry = RecordingRegistry(
        session_factory,
        spool=spool,
        store=tmp_path / "store",
        keyring=parse_keyring(new_key_line("k1"), source="test"),
        call_retention=timedelta(days=730),
        voicemail_retention=timedelta(days=180),
        audit=AuditLog(
            session_factory, parse_keyring(new_key_line("a1"), source="test"), tmp_path / "audit_anchor.json"
        ),
    )
    registry.purge_hooks.append(service.forget)
    return registry


def recording_id(session_factory: sessionmaker[Session], linkedid: str) -> int:
    with session_factory() as session:
        return session.scalars(select(Recording.id).where(Recording.linkedid == linkedid)).one()


def spoken(*words: str, start: float = 1.0) -> LegTranscript:
    return LegTranscript(
        words=tuple(Word(w, start + i * 0.5, start + i * 0.5 + 0.4, 0.9) for i, w in enumerate(words)),
        audio_seconds=60.0,
        speech_seconds=10.0,
    )


def jobs(session_factory: sessionmaker[Session]) -> list[TranscriptionJob]:
    with session_factory() as session:
        return list(session.scalars(select(TranscriptionJob).order_by(TranscriptionJob.id)))


def test_each_sealed_call_gets_one_job_per_spoken_leg(
    registry: RecordingRegistry, session_factory: sessionmaker[Session]
) -> None:
    sealed_recording(registry, "1714528800.1")
    sealed_recording(registry, "1714528800.2")
    first = recording_id(session_factory, "1714528800.1")
    with session_factory.begin() as session:
        assert service.enqueue(session, [first]) == 2
    with session_factory.begin() as session:
        assert service.enqueue(session, [first]) == 0  # not twice
        assert service.enqueue(session) == 2  # the other recording, caught up
    assert sorted((job.recording_id == first, job.leg) for job in jobs(session_factory)) == [
        (False, "caller"),
        (False, "lawyer"),
        (True, "caller"),
        (True, "lawyer"),
    ]
    assert {job.state for job in jobs(session_factory)} == {"queued"}


def test_a_job_is_claimed_by_one_worker_only(
    registry: RecordingRegistry, session_factory: sessionmaker[Session]
) -> None:
    sealed_recording(registry, "1714528800.3")
    with session_factory.begin() as session:
        service.enqueue(session)
    first = service.claim(session_factory, 1)
    second = service.claim(session_factory, 5)
    assert len(first) == 1 and len(second) == 1 and first[0].job_id != second[0].job_id
    assert service.claim(session_factory, 5) == []
    assert first[0].attempt == 1 and first[0].sealed_path.endswith(f"-{first[0].leg}.wav.hlrec")
    assert {job.state for job in jobs(session_factory)} == {"running"}


def test_failures_are_retried_later_then_kept_visible_and_can_be_retried(
    registry: RecordingRegistry, session_factory: sessionmaker[Session]
) -> None:
    sealed_recording(registry, "1714528800.4")
    with session_factory.begin() as session:
        service.enqueue(session)
    now = utcnow()
    [job] = [j for j in service.claim(session_factory, 2, now) if j.leg == "caller"]
    assert (
        service.fail(session_factory, job, "RuntimeError: boom", max_attempts=2, retry_seconds=30, now=now)
        == "queued"
    )
    row = next(j for j in jobs(session_factory) if j.id == job.job_id)
    assert row.state == "queued" and row.last_error == "RuntimeError: boom"
    assert row.next_attempt_at - now == timedelta(seconds=30)
    assert service.claim(session_factory, 5, now + timedelta(seconds=29)) == []  # not due yet
    [again] = service.claim(session_factory, 5, now + timedelta(seconds=31))
    assert again.attempt == 2
    assert (
        service.fail(session_factory, again, "RuntimeError: boom again", max_attempts=2, retry_seconds=30)
        == "failed"
    )
    with session_factory() as session:
        assert service.job_counts(session) == {"failed": 1, "running": 1}
    assert service.retry_failed(session_factory) == 1
    [retried] = service.claim(session_factory, 5)
    assert retried.job_id == job.job_id and retried.attempt == 1


def test_a_stopped_process_s_running_jobs_are_queued_again(
    registry: RecordingRegistry, session_factory: sessionmaker[Session]
) -> None:
    sealed_recording(registry, "1714528800.5")
    with session_factory.begin() as session:
        service.enqueue(session)
    service.claim(session_factory, 2)
    assert service.requeue_stale(session_factory) == 0  # just started: not stale
    assert service.requeue_stale(session_factory, utcnow() + timedelta(hours=2)) == 2
    assert {job.state for job in jobs(session_factory)} == {JobState.queued}


def test_transcripts_are_found_by_any_part_of_a_chinese_phrase(
    registry: RecordingRegistry, session_factory: sessionmaker[Session]
) -> None:
    sealed_recording(registry, "1714528800.6")
    sealed_recording(registry, "1714528800.7")
    with session_factory.begin() as session:
        service.enqueue(session)
    by_call = {}
    for job in service.claim(session_factory, 10):
        by_call[(job.linkedid, job.leg)] = job
    texts = {
        ("1714528800.6", "caller"): spoken("我", "老板", "拖欠", "工资", "三个月", "了"),
        ("1714528800.6", "lawyer"): spoken("您", "可以", "申请", "劳动", "仲裁"),
        ("1714528800.7", "caller"): spoken("离婚", "以后", "孩子", "抚养费", "怎么", "算"),
        ("1714528800.7", "lawyer"): spoken("抚养", "费", "一般", "按", "收入", "比例"),
    }
    for key, result in texts.items():
        service.complete(session_factory, by_call[key], result, model="test", keywords=KEYWORDS)

    with session_factory() as session:
        # A phrase that crosses word boundaries, part of a word, a single character.
        wages = service.search(session, "欠工资")
        assert [(h.linkedid, h.leg) for h in wages] == [("1714528800.6", "caller")]
        assert wages[0].hit.at_seconds == pytest.approx(2.0) and "拖欠工资" in wages[0].hit.snippet
        support = service.search(session, "抚养费")
        assert sorted((h.linkedid, h.leg) for h in support) == [
            ("1714528800.7", "caller"),
            ("1714528800.7", "lawyer"),
        ]
        assert [h.leg for h in service.search(session, "仲")] == ["lawyer"]
        assert (
            service.search(session, "工资仲裁") == []
        )  # both bigrams' characters occur, the phrase does not
        assert service.search(session, "  ，。 ") == []
        assert service.search(session, "ＡＢＣ") == []


def test_watched_phrases_raise_one_alert_per_call(
    registry: RecordingRegistry, session_factory: sessionmaker[Session]
) -> None:
    sealed_recording(registry, "1714528800.8")
    with session_factory.begin() as session:
        service.enqueue(session)
    caller, lawyer = sorted(service.claim(session_factory, 2), key=lambda j: j.leg)
    alerts = service.complete(
        session_factory,
        caller,
        spoken("他", "经常", "家", "暴", "我", "上诉", "期", "快", "过", "了"),
        model="t",
        keywords=KEYWORDS,
    )
    assert sorted((a.keyword, a.category, a.leg) for a in alerts) == [
        ("上诉期", "deadline", "caller"),
        ("家暴", "safety", "caller"),
    ]
    assert {a.keyword: a.at_seconds for a in alerts} == {
        "家暴": pytest.approx(2.0),
        "上诉期": pytest.approx(3.5),
    }
    again = service.complete(
        session_factory, lawyer, spoken("家暴", "可以", "报警"), model="t", keywords=KEYWORDS
    )
    assert again == []  # the call is already flagged for it
    with session_factory() as session:
        assert session.scalar(select(func.count()).select_from(KeywordAlert)) == 2


def test_a_purged_recording_takes_its_transcripts_and_index_along(
    registry: RecordingRegistry, session_factory: sessionmaker[Session]
) -> None:
    sealed_recording(registry, "1714528800.9")
    with session_factory.begin() as session:
        service.enqueue(session)
    for job in service.claim(session_factory, 2):
        service.complete(session_factory, job, spoken("合同", "纠纷"), model="t", keywords={})
    with session_factory.begin() as session:
        recording = session.get(Recording, recording_id(session_factory, "1714528800.9"))
        assert recording is not None
        recording.retain_until = utcnow() - timedelta(seconds=1)
    assert len(registry.purge_expired()) == 1
    with session_factory() as session:
        assert service.search(session, "合同") == []
        assert service.transcripts_of(session, recording_id(session_factory, "1714528800.9")) == []
        assert session.scalar(select(func.count()).select_from(TranscriptGram)) == 0
