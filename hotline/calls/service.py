"""Call records: write what the reducer says, idempotently, keyed by linkedid.

:class:`CallStore` is the synchronous persistence (run in a worker thread): it merges each
call's progress into its row so that replaying the same events changes nothing, and registers
the recording files once Asterisk has written them.

:class:`CallRecorder` wires the AMI client to the reducer and the store: events are reduced as
they arrive, changed calls are collected and flushed in one transaction at a short interval, and
after every (re)connect live state is rebuilt from Asterisk's snapshots before events are trusted
again.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import wave
from collections.abc import Iterable, Sequence
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from hotline.ami import actions
from hotline.ami import events as ev
from hotline.ami.client import AmiClient
from hotline.calls.models import Call
from hotline.calls.state import CallChanged, CallProgress, LiveState, Snapshot, classify, reduce, resync
from hotline.db.base import from_epoch, utcnow
from hotline.recordings.models import Recording

log = logging.getLogger(__name__)


def _epoch(value: datetime | None) -> float | None:
    return None if value is None else value.timestamp()


def _earliest(old: datetime | None, new: datetime | None) -> datetime | None:
    if old is None:
        return new
    if new is None:
        return old
    return min(old, new)


def merge_into(row: Call, call: CallProgress) -> None:
    """Merge what is now known of a call into its row: the result does not depend on how often
    the same facts arrive, and facts learnt earlier are not lost to a partial picture."""
    row.caller = call.caller or row.caller
    row.started_at = _earliest(row.started_at, from_epoch(call.started_at))
    row.queued_at = _earliest(row.queued_at, from_epoch(call.queued_at))
    row.answered_at = _earliest(row.answered_at, from_epoch(call.answered_at))
    row.ended_at = row.ended_at or from_epoch(call.ended_at)
    row.queue = call.queue or row.queue
    row.lawyer = call.lawyer or row.lawyer
    for name in ("wait_seconds", "talk_seconds", "rating", "recording_file", "voicemail_file"):
        value = getattr(call, name)
        if value is not None:
            setattr(row, name, value)
    merged = CallProgress(
        linkedid=row.linkedid,
        answered_at=_epoch(row.answered_at),
        ended_at=_epoch(row.ended_at),
        voicemail_file=row.voicemail_file,
    )
    row.outcome = classify(merged)


def progress_of(row: Call) -> CallProgress:
    return CallProgress(
        linkedid=row.linkedid,
        caller=row.caller,
        started_at=_epoch(row.started_at),
        queue=row.queue,
        queued_at=_epoch(row.queued_at),
        answered_at=_epoch(row.answered_at),
        lawyer=row.lawyer,
        ended_at=_epoch(row.ended_at),
        wait_seconds=row.wait_seconds,
        talk_seconds=row.talk_seconds,
        rating=row.rating,
        recording_file=row.recording_file,
        voicemail_file=row.voicemail_file,
    )


def wav_duration(path: Path) -> float | None:
    try:
        with wave.open(str(path), "rb") as audio:
            rate = audio.getframerate()
            return audio.getnframes() / rate if rate else None
    except (OSError, wave.Error, EOFError):
        return None


class CallStore:
    """Synchronous persistence of call records and their recordings."""

    def __init__(self, session_factory: sessionmaker[Session], spool_dir: Path | None = None) -> None:
        self._sessions = session_factory
        self._spool = spool_dir

    def write(self, calls: Sequence[CallProgress]) -> None:
        if not calls:
            return
        with self._sessions.begin() as session:
            ids = [call.linkedid for call in calls]
            rows = {row.linkedid: row for row in session.scalars(select(Call).where(Call.linkedid.in_(ids)))}
            for call in calls:
                row = rows.get(call.linkedid)
                if row is None:
                    row = Call(linkedid=call.linkedid)
                    session.add(row)
                    rows[call.linkedid] = row
                merge_into(row, call)

    def open_calls(self) -> list[CallProgress]:
        with self._sessions() as session:
            rows = session.scalars(select(Call).where(Call.ended_at.is_(None)))
            return [progress_of(row) for row in rows]

    def register_recordings(self, *, window: timedelta = timedelta(minutes=10)) -> int:
        """Register the files of recently ended calls that Asterisk has finished writing."""
        if self._spool is None:
            return 0
        registered = 0
        with self._sessions.begin() as session:
            pending = session.scalars(
                select(Call).where(
                    Call.ended_at.is_not(None),
                    Call.ended_at > utcnow() - window,
                    Call.recording_id.is_(None),
                    (Call.recording_file.is_not(None)) | (Call.voicemail_file.is_not(None)),
                )
            )
            for call in pending:
                recording = self._recording_for(call)
                if recording is None:
                    continue
                session.add(recording)
                session.flush()
                call.recording_id = recording.id
                registered += 1
        return registered

    def _recording_for(self, call: Call) -> Recording | None:
        assert self._spool is not None
        if call.answered_at is not None and call.recording_file:
            relative = f"monitor/{call.recording_file}"
            kind = "call"
        elif call.voicemail_file:
            relative = f"hotline-voicemail/{call.voicemail_file}"
            kind = "voicemail"
        else:
            return None
        mix = self._spool / f"{relative}.wav"
        duration = wav_duration(mix)
        if duration is None:
            return None
        return Recording(
            linkedid=call.linkedid,
            kind=kind,
            path=f"{relative}.wav",
            caller_leg_path=f"{relative}-caller.wav" if kind == "call" else None,
            lawyer_leg_path=f"{relative}-lawyer.wav" if kind == "call" else None,
            format="wav",
            duration_seconds=duration,
            size_bytes=mix.stat().st_size,
        )


class CallRecorder:
    """Events in, records out: reduces AMI events and flushes changed calls in batches."""

    def __init__(self, store: CallStore, *, flush_interval: float = 0.1) -> None:
        self.store = store
        self.state = LiveState()
        self._pending: dict[str, CallProgress] = {}
        self._buffer: list[ev.Event] | None = None
        self._flush_interval = flush_interval
        self._wakeup = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self.events_seen = 0
        self.flushes = 0
        self.last_flush_error: str | None = None

    # --- events -------------------------------------------------------------------------------

    def on_event(self, event: ev.Event) -> None:
        self.events_seen += 1
        if self._buffer is not None:
            self._buffer.append(event)
            return
        self._apply(event)

    def _apply(self, event: ev.Event) -> None:
        self.state, effects = reduce(self.state, event)
        self._collect(effects)

    def _collect(self, effects: Iterable[CallChanged]) -> None:
        for effect in effects:
            self._pending[effect.call.linkedid] = effect.call
        if self._pending:
            self._wakeup.set()

    # --- (re)connect --------------------------------------------------------------------------

    def load_open_calls(self) -> None:
        """Calls the database still has open: they ended or go on; the next snapshot tells which."""
        calls = {call.linkedid: call for call in self.store.open_calls()}
        calls.update(self.state.calls)
        self.state = replace(self.state, calls=calls)

    async def resync(self, client: AmiClient) -> None:
        """Rebuild live state from snapshots; events arriving meanwhile are applied afterwards."""
        self._buffer = []
        try:
            taken_at = time.time()
            channels = await client.send(actions.core_show_channels())
            queues = await client.send(actions.queue_status())
            snapshot = Snapshot(
                taken_at=taken_at,
                channels=tuple(
                    ev.decode_channel_snapshot(m) for m in channels if m.get("event") == "CoreShowChannel"
                ),
                queue_entries=tuple(
                    ev.decode_queue_entry(m) for m in queues if m.get("event") == "QueueEntry"
                ),
                members=tuple(ev.decode_queue_member(m) for m in queues if m.get("event") == "QueueMember"),
            )
            self.state, effects = resync(self.state, snapshot)
            self._collect(effects)
        finally:
            buffered, self._buffer = self._buffer or [], None
            for event in buffered:
                self._apply(event)

    # --- persistence --------------------------------------------------------------------------

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._flush_loop(), name="call-records")

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await self.flush()

    async def flush(self) -> None:
        if not self._pending:
            return
        batch, self._pending = self._pending, {}
        try:
            await asyncio.to_thread(self.store.write, list(batch.values()))
            self.last_flush_error = None
        except Exception as exc:
            # Keep the batch: newer progress of the same call (already pending) wins.
            for linkedid, call in batch.items():
                self._pending.setdefault(linkedid, call)
            self.last_flush_error = str(exc)
            log.exception(
                "Writing %d call records failed; will retry (linkedids %s)", len(batch), list(batch)[:5]
            )
            raise
        self.flushes += 1

    async def _flush_loop(self) -> None:
        last_registration = 0.0
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wakeup.wait(), timeout=1.0)
            self._wakeup.clear()
            try:
                await self.flush()
                if time.monotonic() - last_registration >= 1.0:
                    last_registration = time.monotonic()
                    await asyncio.to_thread(self.store.register_recordings)
            except Exception:
                log.exception("Call record flush failed; retrying")
                await asyncio.sleep(1.0)
            await asyncio.sleep(self._flush_interval)
