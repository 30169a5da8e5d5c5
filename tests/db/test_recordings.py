"""The recording registry on SQLite and PostgreSQL: registration, sealing, key rotation, retention
(the audit log itself: test_audit_log.py)."""

from __future__ import annotations

import hashlib
import time
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from hotline.calls.models import Call
from hotline.calls.service import CallStore
from hotline.calls.state import CallProgress
from hotline.db.base import utcnow
from hotline.recordings.audit import AuditLog
from hotline.recordings.crypto import MAGIC, Keyring, decrypt_file, new_key_line, parse_keyring
from hotline.recordings.models import AuditEntry, Recording, RecordingState
from hotline.recordings.service import RecordingRegistry, metadata_of
from tests.helpers import write_wav

KEYRING = parse_keyring(new_key_line("k1"), source="test")
AUDIT_KEYRING = parse_keyring(new_key_line("a1"), source="test")


@pytest.fixture
def registry(session_factory: sessionmaker[Session], spool: Path, tmp_path: Path) -> RecordingRegistry:
    return RecordingRegistry(
        session_factory,
        spool=spool,
        store=tmp_path / "store",
        keyring=KEYRING,
        call_retention=timedelta(days=730),
        voicemail_retention=timedelta(days=180),
        audit=AuditLog(session_factory, AUDIT_KEYRING, tmp_path / "audit_anchor.json"),
    )


def recordings(session_factory: sessionmaker[Session]) -> list[Recording]:
    with session_factory() as session:
        return list(session.scalars(select(Recording).order_by(Recording.id)))


def recording_of(session_factory: sessionmaker[Session], linkedid: str) -> int | None:
    with session_factory() as session:
        return session.scalar(select(Call.recording_id).where(Call.linkedid == linkedid))


def recently_answered(linkedid: str) -> CallProgress:
    """An answered call that ended a minute ago (recordings are looked for shortly after the end)."""
    now = time.time()
    return CallProgress(
        linkedid=linkedid,
        caller="13800000001",
        started_at=now - 120,
        queue="legal",
        queued_at=now - 115,
        answered_at=now - 100,
        lawyer="8001",
        ended_at=now - 60,
        wait_seconds=15,
        talk_seconds=40,
        recording_file=f"20240501/{linkedid}",
    )


def spool_call(spool: Path, call: CallProgress, seconds: float = 1.5) -> dict[str, bytes]:
    """The three files MixMonitor writes for ``call`` (different content per leg)."""
    base = spool / "monitor" / f"{call.recording_file}"
    return {
        "mix": write_wav(base.with_name(base.name + ".wav"), seconds, sample=b"\x01\x00"),
        "caller": write_wav(base.with_name(base.name + "-caller.wav"), seconds, sample=b"\x02\x00"),
        "lawyer": write_wav(base.with_name(base.name + "-lawyer.wav"), seconds, sample=b"\x03\x00"),
    }


def test_answered_call_is_registered_once_with_every_leg(
    store: CallStore, registry: RecordingRegistry, session_factory: sessionmaker[Session], spool: Path
) -> None:
    call = recently_answered("1714528800.30")
    store.write([call])
    content = spool_call(spool, call)

    [registered] = registry.register_finished()
    [recording] = recordings(session_factory)
    assert recording.id == registered and recording.linkedid == call.linkedid and recording.kind == "call"
    assert recording.state == RecordingState.spooled
    assert {f.leg: f.path for f in recording.files} == {
        "mix": f"monitor/{call.recording_file}.wav",
        "caller": f"monitor/{call.recording_file}-caller.wav",
        "lawyer": f"monitor/{call.recording_file}-lawyer.wav",
    }
    assert {f.leg: f.size_bytes for f in recording.files} == {leg: len(data) for leg, data in content.items()}
    assert recording.duration_seconds == pytest.approx(1.5, abs=0.01)
    assert recording.retain_until - utcnow() > timedelta(days=729)
    assert recording_of(session_factory, call.linkedid) == recording.id

    # Nothing twice: not on the next pass, not after the same progress is written again.
    assert registry.register_finished() == []
    store.write([call])
    assert registry.register_finished() == []
    assert len(recordings(session_factory)) == 1


def test_a_recording_waits_until_asterisk_has_closed_every_leg(
    store: CallStore, registry: RecordingRegistry, session_factory: sessionmaker[Session], spool: Path
) -> None:
    call = recently_answered("1714528800.31")
    store.write([call])
    assert registry.register_finished() == []  # no file yet
    spool_call(spool, call)
    lawyer_leg = spool / "monitor" / f"{call.recording_file}-lawyer.wav"
    lawyer_leg.write_bytes(lawyer_leg.read_bytes()[:-100] + b"\x00" * 400)  # header and size disagree
    assert registry.register_finished() == []
    assert recording_of(session_factory, call.linkedid) is None

    spool_call(spool, call, seconds=0.25)
    assert len(registry.register_finished()) == 1


def test_a_recording_learnt_long_after_the_call_ended_is_registered_and_sealed(
    store: CallStore, registry: RecordingRegistry, session_factory: sessionmaker[Session], spool: Path
) -> None:
    """After a long outage, the call's summary tells its recording hours after it ended: its files
    are registered and sealed all the same, and no plaintext stays in the spool."""
    call = recently_answered("1714528800.32")
    hours_ago = call._replace(
        started_at=call.started_at - 7200,  # type: ignore[operator]
        queued_at=call.queued_at - 7200,  # type: ignore[operator]
        answered_at=call.answered_at - 7200,  # type: ignore[operator]
        ended_at=call.ended_at - 7200,  # type: ignore[operator]
    )
    spool_call(spool, hours_ago)
    store.write([hours_ago._replace(recording_file=None)])  # what the events had
    with session_factory.begin() as session:  # ... and it was written two hours ago
        session.execute(Call.__table__.update().values(updated_at=utcnow() - timedelta(hours=2)))
    assert registry.register_finished() == []
    store.write([hours_ago])  # the recording, learnt now
    assert len(registry.register_finished()) == 1
    assert len(registry.seal_pending()) == 1
    assert not list((spool / "monitor").rglob("*.wav"))


def test_voicemail_is_registered_as_the_callers_leg(
    store: CallStore, registry: RecordingRegistry, session_factory: sessionmaker[Session], spool: Path
) -> None:
    now = time.time()
    call = CallProgress(
        linkedid="1714528800.32",
        caller="13800000002",
        started_at=now - 100,
        queue="legal",
        queued_at=now - 95,
        ended_at=now - 30,
        wait_seconds=60,
        recording_file="20240501/1714528800.32",  # MixMonitor started, never bridged
        voicemail_file="1714528800.32",
    )
    store.write([call])
    write_wav(spool / "hotline-voicemail" / "1714528800.32.wav", seconds=2.0)

    assert len(registry.register_finished()) == 1
    [recording] = recordings(session_factory)
    assert recording.kind == "voicemail"
    assert [(f.leg, f.path) for f in recording.files] == [("caller", "hotline-voicemail/1714528800.32.wav")]
    assert recording.retain_until - utcnow() < timedelta(days=181)


def test_calls_without_a_finished_recording_are_left_alone(
    store: CallStore, registry: RecordingRegistry, session_factory: sessionmaker[Session], spool: Path
) -> None:
    ongoing = CallProgress(**{**recently_answered("1714528800.33")._asdict(), "ended_at": None})
    long_ago = CallProgress(
        **{**recently_answered("1714528800.34")._asdict(), "ended_at": time.time() - 7200}
    )
    abandoned = CallProgress(
        linkedid="1714528800.35",
        started_at=time.time() - 30,
        ended_at=time.time() - 10,
        recording_file="20240501/1714528800.35",
    )
    store.write([ongoing, long_ago, abandoned])
    with session_factory.begin() as session:  # a record nobody changed for two hours is not looked at again
        session.execute(
            Call.__table__.update()
            .where(Call.linkedid == long_ago.linkedid)
            .values(updated_at=utcnow() - timedelta(hours=2))
        )
    for call in (ongoing, long_ago, abandoned):
        spool_call(spool, call, seconds=0.1)
    broken = recently_answered("1714528800.37")
    store.write([broken])
    (spool / "monitor" / f"{broken.recording_file}.wav").write_bytes(b"RIFF\x00\x00")

    # A call that never reached a lawyer: MixMonitor left headers without audio, which go.
    silent = abandoned._replace(linkedid="1714528800.36", recording_file="20240501/1714528800.36")
    store.write([silent])
    spool_call(spool, silent, seconds=0)

    assert registry.register_finished() == []
    assert recordings(session_factory) == []
    assert not list((spool / "monitor").glob("20240501/1714528800.36*"))
    assert len(list((spool / "monitor").glob("20240501/1714528800.35*"))) == 3  # audio: kept


def test_sealing_encrypts_every_leg_and_removes_the_plaintext(
    store: CallStore,
    registry: RecordingRegistry,
    session_factory: sessionmaker[Session],
    spool: Path,
) -> None:
    call = recently_answered("1714528800.40")
    store.write([call])
    content = spool_call(spool, call)
    [recording_id] = registry.register_finished()

    assert registry.seal_pending() == [recording_id]
    assert registry.seal_pending() == []
    [recording] = recordings(session_factory)
    assert recording.state == RecordingState.sealed and recording.sealed_at is not None
    for file in recording.files:
        sealed = registry.store / file.path
        raw = sealed.read_bytes()
        assert raw.startswith(MAGIC) and content[file.leg][44:1000] not in raw
        assert file.sha256 == hashlib.sha256(content[file.leg]).hexdigest()
        assert file.key_id == "k1"
        assert decrypt_file(sealed, KEYRING) == content[file.leg]
    assert not list((spool / "monitor").rglob("*.wav"))  # no plaintext left behind
    document = metadata_of(recording)
    assert {f["location"]["store"] for f in document["files"]} == {"sealed"}


def test_after_a_key_rotation_old_files_still_play_and_reseal_moves_them(
    store: CallStore,
    registry: RecordingRegistry,
    session_factory: sessionmaker[Session],
    spool: Path,
) -> None:
    call = recently_answered("1714528800.41")
    store.write([call])
    content = spool_call(spool, call)
    registry.register_finished()
    registry.seal_pending()

    rotated = Keyring({**KEYRING.keys, **parse_keyring(new_key_line("k2"), source="test").keys}, "k2")
    registry.keyring = rotated
    with session_factory() as session:
        recording = session.scalars(select(Recording)).one()
        with registry.open(recording, "caller") as reader:
            assert b"".join(reader.read_range(0, reader.size - 1)) == content["caller"]
    assert registry.reseal() == 3
    assert registry.reseal() == 0
    only_new = Keyring({"k2": rotated.keys["k2"]}, "k2")
    registry.keyring = only_new
    [recording] = recordings(session_factory)
    assert {f.key_id for f in recording.files} == {"k2"}
    assert decrypt_file(registry.store / recording.files[0].path, only_new) == content[recording.files[0].leg]


def test_retention_purges_expired_recordings_says_what_and_audits_it(
    store: CallStore,
    registry: RecordingRegistry,
    session_factory: sessionmaker[Session],
    spool: Path,
) -> None:
    old, new = recently_answered("1714528800.42"), recently_answered("1714528800.43")
    store.write([old, new])
    spool_call(spool, old)
    spool_call(spool, new)
    registry.register_finished()
    registry.seal_pending()
    with session_factory.begin() as session:
        expired = session.scalars(select(Recording).where(Recording.linkedid == old.linkedid)).one()
        expired.retain_until = utcnow() - timedelta(days=1)
        sealed_files = [registry.store / f.path for f in expired.files]

    [purged] = registry.purge_expired()
    assert purged.linkedid == old.linkedid and purged.files == 3 and purged.bytes > 0
    assert not any(path.exists() for path in sealed_files)
    assert registry.purge_expired() == []
    by_call = {r.linkedid: r for r in recordings(session_factory)}
    assert by_call[old.linkedid].state == RecordingState.purged and by_call[old.linkedid].files == []
    assert by_call[new.linkedid].state == RecordingState.sealed
    assert metadata_of(by_call[old.linkedid])["files"] == []
    with session_factory() as session:
        [entry] = session.scalars(select(AuditEntry)).all()
        assert (entry.actor, entry.action, entry.linkedid) == ("system", "purge", old.linkedid)
        assert registry.audit.verify(session).intact
