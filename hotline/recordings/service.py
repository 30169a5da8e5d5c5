"""The recording registry: register what Asterisk wrote, seal it in the store, purge it when its time is up.

All methods are synchronous (run in a worker thread) and own their transactions:

- :meth:`RecordingRegistry.register_finished` registers the files of recently ended calls once
  Asterisk has closed them (each leg's WAV header agrees with its size);
- :meth:`RecordingRegistry.seal_pending` encrypts spooled files into the store, records their
  checksum and key id, and only then removes the plaintext from Asterisk's spool;
- :meth:`RecordingRegistry.purge_expired` deletes the files whose retention date has passed,
  writes an audit entry per recording and returns what it purged.
"""

from __future__ import annotations

import logging
import wave
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from hotline.calls.models import Call
from hotline.db.base import utcnow
from hotline.errors import NotFoundError
from hotline.recordings.audit import AuditAction, AuditLog
from hotline.recordings.crypto import (
    ALGORITHM,
    Keyring,
    SealedReader,
    encrypt_file,
    ensure_key_file,
    parse_keyring,
    reencrypt,
)
from hotline.recordings.models import Leg, Recording, RecordingFile, RecordingState
from hotline.settings import Settings

log = logging.getLogger(__name__)

SCHEMA_VERSION = 2
SEALED_SUFFIX = ".wav.hlrec"
SYSTEM_ACTOR = "system"


def _iso(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def metadata_of(recording: Recording) -> dict[str, Any]:
    """A ``recording.v2`` document (recordings_schema/recording.v2.json) for one registered recording."""
    sealed = recording.state == RecordingState.sealed
    return {
        "schema_version": SCHEMA_VERSION,
        "id": recording.id,
        "linkedid": recording.linkedid,
        "kind": recording.kind,
        "format": recording.format,
        "duration_seconds": recording.duration_seconds,
        "state": recording.state,
        "created_at": _iso(recording.created_at),
        "retain_until": _iso(recording.retain_until),
        "sealed_at": _iso(recording.sealed_at),
        "purged_at": _iso(recording.purged_at),
        "files": [
            {
                "leg": file.leg,
                "location": {"store": "sealed" if sealed else "spool", "path": file.path},
                "size_bytes": file.size_bytes,
                "duration_seconds": file.duration_seconds,
                "sha256": file.sha256,
                "encryption": {"algorithm": ALGORITHM, "key_id": file.key_id} if file.key_id else None,
            }
            for file in recording.files
        ],
    }


def load_keyring(settings: Settings) -> Keyring:
    """The recording keys: ``HOTLINE_RECORDINGS__KEYS`` if set, else the key file (created on first use)."""
    if settings.recordings.keys is not None:
        return parse_keyring(settings.recordings.keys.get_secret_value(), source="HOTLINE_RECORDINGS__KEYS")
    return ensure_key_file(key_file(settings))


def key_file(settings: Settings) -> Path:
    return settings.recordings.key_file or settings.secrets_dir / "recording_keys"


# The files MixMonitor writes for a call: the mix, the caller's leg, the lawyer's leg.
MONITOR_SUFFIXES = (".wav", "-caller.wav", "-lawyer.wav")


def wav_duration(path: Path) -> float | None:
    """Seconds of audio in a finished WAV file; None while Asterisk is still writing it.

    Asterisk fills in the header's data size when it closes the file: until then the header and
    the file size disagree, and the file is not registered yet (the next pass tries again)."""
    try:
        with wave.open(str(path), "rb") as audio:
            rate, frames, frame_size = audio.getframerate(), audio.getnframes(), audio.getsampwidth()
            size = path.stat().st_size
    except (OSError, wave.Error, EOFError):
        return None
    if not rate or abs(size - 44 - frames * frame_size) > frame_size * 2:
        return None
    return frames / rate


@dataclass(frozen=True, slots=True)
class Purged:
    recording_id: int
    linkedid: str
    kind: str
    retain_until: datetime
    files: int
    bytes: int


class RecordingRegistry:
    def __init__(
        self,
        sessions: sessionmaker[Session],
        *,
        spool: Path,
        store: Path,
        keyring: Keyring,
        call_retention: timedelta,
        voicemail_retention: timedelta,
        audit: AuditLog,
    ) -> None:
        self.sessions = sessions
        self.audit = audit
        self.spool = spool
        self.store = store
        self.keyring = keyring
        # A recorded criticism (投诉留言) is kept like a voicemail.
        self._retention = {
            "call": call_retention,
            "voicemail": voicemail_retention,
            "criticism": voicemail_retention,
        }
        # Run in the purge's transaction for each purged recording (e.g. drop its transcripts).
        self.purge_hooks: list[Callable[[Session, int], None]] = []

    @classmethod
    def from_settings(
        cls, settings: Settings, sessions: sessionmaker[Session], spool: Path, audit: AuditLog
    ) -> RecordingRegistry:
        return cls(
            sessions,
            spool=spool,
            store=settings.recording_store,
            keyring=load_keyring(settings),
            call_retention=timedelta(days=settings.recordings.call_retention_days),
            voicemail_retention=timedelta(days=settings.recordings.voicemail_retention_days),
            audit=audit,
        )

    # --- registration -------------------------------------------------------------------------

    def register_finished(self, *, window: timedelta = timedelta(minutes=10)) -> list[int]:
        """Register the files of ended calls whose record changed within ``window`` (however long
        ago they ended: a call completed from Asterisk's summary after a long outage counts from
        when its record was completed) once Asterisk has finished writing them."""
        registered: list[int] = []
        with self.sessions.begin() as session:
            pending = session.scalars(
                select(Call).where(
                    Call.ended_at.is_not(None),
                    Call.updated_at > utcnow() - window,
                    Call.recording_id.is_(None),
                    (Call.recording_file.is_not(None)) | (Call.voicemail_file.is_not(None)),
                )
            )
            for call in pending:
                if call.answered_at is None and call.recording_file:
                    self._drop_silent_monitor_files(call.recording_file)
                recording = self._recording_for(call)
                if recording is None:
                    continue
                session.add(recording)
                session.flush()
                call.recording_id = recording.id
                registered.append(recording.id)
        return registered

    def register_message(
        self, session: Session, linkedid: str, file: str, kind: str, ended_at: datetime
    ) -> Recording | None:
        """Register a message recorded into the voicemail directory (``file``, without ``.wav``)
        that is not a call's voicemail (e.g. a criticism); None while Asterisk has not finished it."""
        relative = f"hotline-voicemail/{file}.wav"
        duration = wav_duration(self.spool / relative)
        if duration is None:
            return None
        recording = Recording(
            linkedid=linkedid,
            kind=kind,
            format="wav",
            duration_seconds=duration,
            state=RecordingState.spooled,
            retain_until=ended_at + self._retention[kind],
            files=[
                RecordingFile(
                    leg=str(Leg.caller),
                    path=relative,
                    size_bytes=(self.spool / relative).stat().st_size,
                    duration_seconds=duration,
                )
            ],
        )
        session.add(recording)
        session.flush()
        return recording

    def _drop_silent_monitor_files(self, recording_file: str) -> None:
        """The queue starts MixMonitor only when a lawyer answers, so a call without a lawyer has
        no files; header-only files (a monitor started at the intake, as before) are removed."""
        for suffix in MONITOR_SUFFIXES:
            path = self.spool / "monitor" / f"{recording_file}{suffix}"
            if path.exists() and wav_duration(path) == 0:
                path.unlink(missing_ok=True)

    def _recording_for(self, call: Call) -> Recording | None:
        if call.answered_at is not None and call.recording_file:
            base, kind = f"monitor/{call.recording_file}", "call"
            legs = {
                Leg.mix: f"{base}.wav",
                Leg.caller: f"{base}-caller.wav",
                Leg.lawyer: f"{base}-lawyer.wav",
            }
        elif call.voicemail_file:
            kind = "voicemail"
            legs = {Leg.caller: f"hotline-voicemail/{call.voicemail_file}.wav"}
        else:
            return None
        files = []
        for leg, relative in legs.items():
            duration = wav_duration(self.spool / relative)
            if duration is None:
                return None
            files.append(
                RecordingFile(
                    leg=str(leg),
                    path=relative,
                    size_bytes=(self.spool / relative).stat().st_size,
                    duration_seconds=duration,
                )
            )
        ended = call.ended_at or utcnow()
        return Recording(
            linkedid=call.linkedid,
            kind=kind,
            format="wav",
            duration_seconds=files[0].duration_seconds,
            state=RecordingState.spooled,
            retain_until=ended + self._retention[kind],
            files=files,
        )

    # --- sealing ------------------------------------------------------------------------------

    def sealed_path(self, recording: Recording, leg: str) -> str:
        # A call's second recording (a criticism left after it) is named by its kind too.
        kind = "" if recording.kind in ("call", "voicemail") else f"{recording.kind}-"
        return f"{recording.created_at:%Y/%m/%d}/{recording.linkedid}-{kind}{leg}{SEALED_SUFFIX}"

    def seal_pending(self) -> list[int]:
        """Encrypt every spooled recording into the store; returns the ids sealed."""
        with self.sessions() as session:
            ids = list(session.scalars(select(Recording.id).where(Recording.state == RecordingState.spooled)))
        sealed = []
        for recording_id in ids:
            try:
                self._seal(recording_id)
            except OSError:
                log.exception("Sealing recording %s failed; will retry", recording_id)
                continue
            sealed.append(recording_id)
        return sealed

    def _seal(self, recording_id: int) -> None:
        plaintext: list[Path] = []
        with self.sessions.begin() as session:
            recording = session.get(Recording, recording_id)
            if recording is None or recording.state != RecordingState.spooled:
                return
            for file in recording.files:
                source = self.spool / file.path
                target = self.sealed_path(recording, file.leg)
                result = encrypt_file(source, self.store / target, self.keyring)
                file.path, file.sha256, file.key_id = target, result.sha256, result.key_id
                file.size_bytes = result.plaintext_size
                plaintext.append(source)
            recording.state = RecordingState.sealed
            recording.sealed_at = utcnow()
        # The plaintext goes only once the sealed files are on record.
        for path in plaintext:
            path.unlink(missing_ok=True)

    def reseal(self) -> int:
        """Re-encrypt with the current key every sealed file another key sealed (after a key rotation)."""
        changed = 0
        with self.sessions.begin() as session:
            files = session.scalars(
                select(RecordingFile)
                .join(Recording)
                .where(Recording.state == RecordingState.sealed, RecordingFile.key_id != self.keyring.current)
            )
            for file in files:
                if reencrypt(self.store / file.path, self.keyring):
                    changed += 1
                file.key_id = self.keyring.current
        return changed

    # --- access -------------------------------------------------------------------------------

    def check_playable(self, recording: Recording, leg: str | None = None) -> RecordingFile:
        """The sealed file of ``leg`` (any leg: None), on disk; a 404 when it is not there (yet)."""
        files = [f for f in recording.files if leg is None or f.leg == leg]
        if recording.state != RecordingState.sealed or not files:
            what = f"{leg} file" if leg else "file"
            raise NotFoundError(
                "recording-file-missing",
                f"Recording {recording.id} has no playable {what} (state {recording.state}): "
                "it is not sealed yet (try again in a few seconds), was purged, or has no such leg.",
                recording_id=recording.id,
                leg=leg,
            )
        return files[0]

    def open(self, recording: Recording, leg: str) -> SealedReader:
        """A reader of one leg's plaintext; raises a 404 when the leg does not exist or is gone."""
        return SealedReader(self.store / self.check_playable(recording, leg).path, self.keyring)

    # --- retention ----------------------------------------------------------------------------

    def purge_expired(self, now: datetime | None = None) -> list[Purged]:
        """Delete the files of every recording kept until before ``now``; one audit entry per recording."""
        moment = now or utcnow()
        purged: list[Purged] = []
        with self.sessions() as session:
            ids = list(
                session.scalars(
                    select(Recording.id).where(
                        Recording.state != RecordingState.purged, Recording.retain_until <= moment
                    )
                )
            )
        for recording_id in ids:
            result = self._purge(recording_id, moment)
            if result is not None:
                purged.append(result)
                self.audit.append(
                    actor=SYSTEM_ACTOR,
                    role=SYSTEM_ACTOR,
                    action=AuditAction.purge,
                    reason=f"retention: kept until {result.retain_until.isoformat(timespec='seconds')}",
                    recording_id=result.recording_id,
                    linkedid=result.linkedid,
                )
                log.info(
                    "Purged recording %s of call %s (%s, %d files, %d bytes, kept until %s)",
                    result.recording_id,
                    result.linkedid,
                    result.kind,
                    result.files,
                    result.bytes,
                    result.retain_until.isoformat(timespec="seconds"),
                )
        return purged

    def _purge(self, recording_id: int, moment: datetime) -> Purged | None:
        with self.sessions.begin() as session:
            recording = session.get(Recording, recording_id)
            if recording is None or recording.state == RecordingState.purged:
                return None
            root = self.store if recording.state == RecordingState.sealed else self.spool
            size = 0
            for file in recording.files:
                (root / file.path).unlink(missing_ok=True)
                size += file.size_bytes
            result = Purged(
                recording.id,
                recording.linkedid,
                recording.kind,
                recording.retain_until,
                len(recording.files),
                size,
            )
            recording.files.clear()
            recording.state = RecordingState.purged
            recording.purged_at = moment
            for hook in self.purge_hooks:
                hook(session, recording.id)
        return result


def get_recording(session: Session, recording_id: int) -> Recording:
    recording = session.get(Recording, recording_id)
    if recording is None:
        raise NotFoundError(
            "recording-not-found", f"There is no recording {recording_id}.", recording_id=recording_id
        )
    return recording
