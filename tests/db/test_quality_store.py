"""Quality review storage on SQLite and PostgreSQL: the sample, grades with 不适用, calibration."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from hotline.auth.models import Role
from hotline.auth.service import Actor, create_user
from hotline.calls.models import Call
from hotline.calls.service import CallStore
from hotline.calls.state import CallProgress
from hotline.quality import service
from hotline.quality.models import Review
from hotline.recordings.audit import AuditLog
from hotline.recordings.crypto import new_key_line, parse_keyring
from hotline.recordings.models import Recording
from hotline.recordings.service import RecordingRegistry
from tests.helpers import sealed_recording

DAY = date(2026, 11, 27)
START = datetime(2026, 11, 26, 16, 30, tzinfo=UTC)  # 00:30 in Beijing


@pytest.fixture
def seeded(session_factory: sessionmaker[Session], spool: Path, tmp_path: Path) -> sessionmaker[Session]:
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
    calls = [
        CallProgress(
            linkedid=f"1795800000.{i}",
            caller="13800000000",
            started_at=(START + timedelta(minutes=30 * i)).timestamp(),
            answered_at=(START + timedelta(minutes=30 * i, seconds=5)).timestamp(),
            ended_at=(START + timedelta(minutes=30 * i, seconds=90)).timestamp(),
            lawyer="8001" if i % 2 else "8002",
            rating=1 if i == 4 else 5,
        )
        for i in range(20)
    ]
    CallStore(session_factory).write(calls)
    for call in calls:
        sealed_recording(registry, call.linkedid, seconds=0.2)
    with session_factory.begin() as session:
        for recording_id, linkedid in session.execute(select(Recording.id, Recording.linkedid)).all():
            session.execute(update(Call).where(Call.linkedid == linkedid).values(recording_id=recording_id))
        for name in ("reviewer-a", "reviewer-b", "reviewer-c"):
            create_user(session, name, "reviewer-password", "reviewer")
    return session_factory


def test_the_sample_grades_and_calibration_round_trip(seeded: sessionmaker[Session]) -> None:
    with seeded.begin() as session:
        result = service.run_sampling(
            session, DAY, timezone="Asia/Shanghai", percent=5, low_rating_max=2, rng=random.Random(3)
        )
    assert result.plan.calls_per_lawyer == {"8001": 10, "8002": 10}
    assert sorted((r.lawyer, r.reason) for r in result.created) == [
        ("8001", "sample"),
        ("8002", "low-rating"),
        ("8002", "sample"),
    ]
    first = result.created[0]
    actor = Actor(0, first.reviewer, Role.reviewer)
    with seeded.begin() as session:
        card = service.definition_of(service.active_scorecard(session))
        scores = {item.key: item.points for item in card.items} | {"closing": None}
        service.save_review(session, first.id, actor, scores=scores, comments={}, comment="好", submit=True)
    with seeded() as session:
        stored = session.get(Review, first.id)
        assert stored is not None and stored.state == "submitted" and stored.total == 100.0
        assert stored.scores["closing"] is None and stored.scores["accuracy"] == 25

    with seeded.begin() as session:
        free = session.scalars(
            select(Recording.id)
            .where(Recording.id.not_in(select(Review.recording_id)))
            .order_by(Recording.id)
        ).first()
        assert free is not None
        group = service.start_calibration(
            session, free, ["reviewer-a", "reviewer-b", "reviewer-c"], assigned_by="sup"
        )
    for name, accuracy in (("reviewer-a", 25), ("reviewer-b", 20), ("reviewer-c", 5)):
        with seeded.begin() as session:
            [mine] = session.scalars(
                select(Review).where(Review.calibration_group == group, Review.reviewer == name)
            ).all()
            service.save_review(
                session,
                mine.id,
                Actor(0, name, Role.reviewer),
                scores={**scores, "accuracy": accuracy},
                comments={},
                comment="",
                submit=True,
            )
    with seeded() as session:
        report = service.calibration_report(session, group)
    accuracy_item = next(item for item in report.items if item.key == "accuracy")
    assert (accuracy_item.min, accuracy_item.max, accuracy_item.spread) == (5, 25, 20)
    assert report.submitted == ["reviewer-a", "reviewer-b", "reviewer-c"] and report.total_spread == 21.1
