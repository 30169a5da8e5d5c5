"""The controller's writers at once on one database, each in a thread of its own as the app runs
them (``asyncio.to_thread``): call records in batches, the ticket sweep, the recordings sweep
(register and seal) and the audit log. None of them may be refused ("database is locked" on
SQLite), and every answered call gets its ticket."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from hotline.calls.models import Call
from hotline.calls.service import CallStore
from hotline.calls.state import CallProgress
from hotline.db.base import utcnow
from hotline.ivr.calendar import load_calendar
from hotline.recordings.audit import AuditAction, AuditLog
from hotline.recordings.crypto import new_key_line, parse_keyring
from hotline.recordings.models import Recording, RecordingState
from hotline.recordings.service import RecordingRegistry
from hotline.settings import TicketSettings
from hotline.tickets.models import Ticket
from hotline.tickets.service import TicketDesk
from tests.helpers import write_wav

FLOWS = Path(__file__).resolve().parents[2] / "ivr_flows"
BATCHES = 60
CALLS_PER_BATCH = 4


@pytest.fixture
def desk() -> TicketDesk:
    calendar = load_calendar(FLOWS / "calendar.yaml", FLOWS / "holidays")
    return TicketDesk.of(calendar, TicketSettings().deadlines, "12348")


@pytest.fixture
def audit(session_factory: sessionmaker[Session], tmp_path: Path) -> AuditLog:
    keyring = parse_keyring(new_key_line("a1"), source="test")
    return AuditLog(session_factory, keyring, tmp_path / "audit_anchor.json")


@pytest.fixture
def registry(
    session_factory: sessionmaker[Session], spool: Path, tmp_path: Path, audit: AuditLog
) -> RecordingRegistry:
    return RecordingRegistry(
        session_factory,
        spool=spool,
        store=tmp_path / "store",
        keyring=parse_keyring(new_key_line("k1"), source="test"),
        call_retention=timedelta(days=730),
        voicemail_retention=timedelta(days=180),
        audit=audit,
    )


def answered_call(linkedid: str, started: float) -> CallProgress:
    return CallProgress(
        linkedid=linkedid,
        caller="13800000001",
        started_at=started,
        queue="hotline",
        queued_at=started + 1,
        answered_at=started + 2,
        lawyer="8001",
        topic="labour",
        language="mandarin",
    )


def test_the_writers_at_once_are_never_refused_and_every_answered_call_gets_its_ticket(
    session_factory: sessionmaker[Session],
    desk: TicketDesk,
    registry: RecordingRegistry,
    audit: AuditLog,
    spool: Path,
) -> None:
    store = CallStore(session_factory)
    # Real time: the recordings sweep looks at the calls ended in the last ten minutes.
    started = time.time() - 60
    writing = threading.Event()
    writing.set()
    errors: list[tuple[str, BaseException]] = []

    def write_calls() -> None:
        talking: list[CallProgress] = []
        for batch in range(BATCHES):
            new = [answered_call(f"{int(started)}.{batch}-{k}", started) for k in range(CALLS_PER_BATCH)]
            ended = []
            for call in talking:
                base = f"rec-{call.linkedid}"
                for suffix in ("", "-caller", "-lawyer"):
                    write_wav(spool / "monitor" / f"{base}{suffix}.wav", 0.05)
                ended.append(
                    call._replace(ended_at=started + 30, talk_seconds=28, rating=5, recording_file=base)
                )
            try:
                store.write([*new, *ended])
            except Exception as exc:
                errors.append(("call records", exc))
                new = []  # as if these calls were never heard of
            talking = new
        writing.clear()

    def repeat(name: str, work: Callable[[], object]) -> Callable[[], None]:
        def run() -> None:
            while writing.is_set():
                try:
                    work()
                except Exception as exc:  # the app's jobs log it and retry on the next run
                    errors.append((name, exc))

        return run

    def sweep_tickets() -> None:
        with session_factory.begin() as session:
            desk.sweep(session, utcnow())

    def sweep_recordings() -> None:
        registry.register_finished()
        registry.seal_pending()

    def listen() -> None:
        audit.append(actor="supervisor", role="supervisor", action=AuditAction.play, reason="抽查")

    threads = [
        threading.Thread(target=write_calls, name="call records"),
        threading.Thread(target=repeat("tickets", sweep_tickets), name="tickets"),
        threading.Thread(target=repeat("recordings", sweep_recordings), name="recordings"),
        threading.Thread(target=repeat("audit", listen), name="audit"),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads)
    assert [f"{name}: {exc}" for name, exc in errors] == []

    sweep_tickets()  # the calls of the last batch
    with session_factory() as session:
        answered = set(session.scalars(select(Call.linkedid).where(Call.answered_at.is_not(None))))
        ticketed = set(session.scalars(select(Ticket.linkedid)))
        numbers = list(session.scalars(select(Ticket.number)))
        sealed = session.scalars(select(Recording.state)).all()
    assert len(answered) == BATCHES * CALLS_PER_BATCH
    assert ticketed == answered
    assert len(set(numbers)) == len(numbers)
    assert sealed and set(sealed) == {RecordingState.sealed}
