"""Call records: write what the reducer says, idempotently, keyed by linkedid.

:class:`CallStore` is the synchronous persistence (run in a worker thread): it merges each
call's progress into its row so that replaying the same events changes nothing.

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
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar, cast

from sqlalchemy import Table, bindparam, select
from sqlalchemy.orm import Session, sessionmaker

from hotline.ami import actions
from hotline.ami import events as ev
from hotline.ami.caller_id import clean_number
from hotline.ami.client import AmiClient
from hotline.calls.board import EndedCall
from hotline.calls.models import Call
from hotline.calls.state import CallChanged, CallProgress, LiveState, Snapshot, classify, reduce, resync
from hotline.calls.summaries import read_summaries
from hotline.db.base import from_epoch, utcnow

log = logging.getLogger(__name__)
T = TypeVar("T")

# After a restart with no records at all, look this far back in Asterisk's call summaries.
SUMMARY_LOOKBACK = 2 * 86400.0
SUMMARY_MARGIN = 300.0


def _epoch(value: datetime | None) -> float | None:
    return None if value is None else value.timestamp()


def _earliest(old: datetime | None, new: datetime | None) -> datetime | None:
    if old is None:
        return new
    if new is None:
        return old
    return min(old, new)


_LATEST_WINS = (
    "wait_seconds",
    "talk_seconds",
    "rating",
    "recording_file",
    "voicemail_file",
    "language",
    "topic",
    "ivr_path",
    "transferred_to",
)
RECORD_COLUMNS = (
    "caller",
    "started_at",
    "queued_at",
    "answered_at",
    "ended_at",
    "queue",
    "lawyer",
    *_LATEST_WINS,
    "outcome",
)


def merged_values(current: Mapping[str, Any] | None, call: CallProgress) -> dict[str, Any]:
    """The record's columns once ``call`` is merged into ``current`` (its columns, or None for a new call).

    The result does not depend on how often the same facts arrive, and facts learnt earlier are not
    lost to a partial picture (e.g. a call rebuilt from a snapshot after a restart)."""
    old: Mapping[str, Any] = current or {}
    values: dict[str, Any] = {
        # Cleaned again at the last gate: whatever produced the progress, no raw number is stored.
        "caller": clean_number(call.caller) or old.get("caller"),
        "started_at": _earliest(old.get("started_at"), from_epoch(call.started_at)),
        "queued_at": _earliest(old.get("queued_at"), from_epoch(call.queued_at)),
        "answered_at": _earliest(old.get("answered_at"), from_epoch(call.answered_at)),
        "ended_at": old.get("ended_at") or from_epoch(call.ended_at),
        "queue": call.queue or old.get("queue"),
        "lawyer": call.lawyer or old.get("lawyer"),
    }
    for name in _LATEST_WINS:
        value = getattr(call, name)
        values[name] = value if value is not None else old.get(name)
    values["outcome"] = classify(
        CallProgress(
            linkedid=call.linkedid,
            answered_at=_epoch(values["answered_at"]),
            ended_at=_epoch(values["ended_at"]),
            voicemail_file=values["voicemail_file"],
            transferred_to=values["transferred_to"],
        )
    )
    return values


CALLS = cast(Table, Call.__table__)
_UPDATE_BY_ID = (
    CALLS.update()
    .where(CALLS.c.id == bindparam("row_id"))
    .values({name: bindparam(name) for name in (*RECORD_COLUMNS, "updated_at")})
)


def merge_into(row: Call, call: CallProgress) -> None:
    """Merge ``call`` into an ORM row (see :func:`merged_values`)."""
    current = {name: getattr(row, name) for name in RECORD_COLUMNS}
    for name, value in merged_values(current, call).items():
        setattr(row, name, value)


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
        language=row.language,
        topic=row.topic,
        ivr_path=row.ivr_path,
        transferred_to=row.transferred_to,
    )


class CallStore:
    """Synchronous persistence of call records and their recordings."""

    def __init__(self, session_factory: sessionmaker[Session]) -> None:
        self._sessions = session_factory

    def write(self, calls: Sequence[CallProgress]) -> None:
        """Upsert the records of ``calls`` in one transaction (bulk statements, no per-row ORM work)."""
        if not calls:
            return
        table = CALLS
        columns = [table.c.id, table.c.linkedid, *(table.c[name] for name in RECORD_COLUMNS)]
        with self._sessions.begin() as session:
            ids = list({call.linkedid for call in calls})
            existing: dict[str, Mapping[str, Any]] = {
                row["linkedid"]: row  # type: ignore[misc]
                for row in session.execute(select(*columns).where(table.c.linkedid.in_(ids))).mappings()
            }
            # Several stages of one call in the same batch merge in order.
            merged: dict[str, dict[str, Any]] = {}
            for call in calls:
                merged[call.linkedid] = merged_values(
                    merged.get(call.linkedid) or existing.get(call.linkedid), call
                )
            now = utcnow()
            inserts, updates = [], []
            for linkedid, values in merged.items():
                current = existing.get(linkedid)
                if current is None:
                    inserts.append({"linkedid": linkedid, "updated_at": now, **values})
                elif any(values[name] != current[name] for name in RECORD_COLUMNS):
                    updates.append({"row_id": current["id"], "updated_at": now, **values})
            # Core executemany: one statement per batch (ORM bulk statements split it up).
            if inserts:
                session.execute(table.insert(), inserts)
            if updates:
                session.execute(_UPDATE_BY_ID, updates)

    def unknown(self, linkedids: Sequence[str]) -> set[str]:
        """The linkedids that have no record yet."""
        known: set[str] = set()
        with self._sessions() as session:
            for start in range(0, len(linkedids), 500):
                chunk = linkedids[start : start + 500]
                known.update(session.scalars(select(Call.linkedid).where(Call.linkedid.in_(chunk))))
        return set(linkedids) - known

    def latest_start(self) -> float | None:
        with self._sessions() as session:
            value = session.scalar(select(Call.started_at).order_by(Call.started_at.desc()).limit(1))
        return _epoch(value)

    def open_calls(self) -> list[CallProgress]:
        with self._sessions() as session:
            rows = session.scalars(select(Call).where(Call.ended_at.is_(None)))
            return [progress_of(row) for row in rows]


def _decoded(messages: Iterable[Any], event: str, decode: Callable[[ev.Headers], T]) -> tuple[T, ...]:
    """The items ``event`` of a list answer, decoded. A malformed one is logged and left out: one
    channel whose caller ID still holds injected text must not stop the re-sync of all the others."""
    decoded = []
    for message in messages:
        if message.get("Event") != event:
            continue
        try:
            decoded.append(decode(ev.headers_of(message)))
        except ev.MalformedEvent as exc:
            log.warning("Re-sync skipped a malformed %s item: %s", event, exc)
    return tuple(decoded)


class CallRecorder:
    """Events in, records out: reduces AMI events and flushes changed calls in batches."""

    def __init__(
        self, store: CallStore, *, summaries_dir: Path | None = None, flush_interval: float = 0.1
    ) -> None:
        self.store = store
        self._summaries_dir = summaries_dir
        self.state = LiveState()
        self._pending: dict[str, CallProgress] = {}
        self._buffer: list[ev.Event] | None = None
        self._flush_interval = flush_interval
        self._wakeup = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self.events_seen = 0
        self.flushes = 0
        self.last_flush_error: str | None = None
        # Called (on the event loop) after the live state or the records changed: live pages.
        self.on_change: Callable[[], None] | None = None

    # --- events -------------------------------------------------------------------------------

    def on_event(self, event: ev.Event) -> None:
        """Called for every decoded event (hot path: kept flat)."""
        self.events_seen += 1
        if self._buffer is not None:
            self._buffer.append(event)
            return
        before = self.state
        self.state, effects = reduce(before, event)
        if effects:
            self._collect(effects)
        if self.state is not before and self.on_change is not None:
            self.on_change()

    def _apply(self, event: ev.Event) -> None:
        self.state, effects = reduce(self.state, event)
        self._collect(effects)

    def _collect(self, effects: Iterable[CallChanged]) -> None:
        for effect in effects:
            self._pending[effect.call.linkedid] = effect.call
        if self._pending:
            self._wakeup.set()

    # --- (re)connect --------------------------------------------------------------------------

    async def load_open_calls(self) -> None:
        """Calls the database still has open: they ended or go on; the next snapshot tells which."""
        open_calls = await asyncio.to_thread(self.store.open_calls)
        calls = self.state.calls
        for call in open_calls:
            if call.linkedid not in calls:
                calls = calls.set(call.linkedid, call)
        self.state = self.state._replace(calls=calls)

    async def resync(self, client: AmiClient) -> None:
        """Rebuild live state from snapshots; events arriving meanwhile are applied afterwards."""
        self._buffer = []
        try:
            taken_at = time.time()
            channels = await client.send(actions.core_show_channels())
            queues = await client.send(actions.queue_status())
            snapshot = Snapshot(
                taken_at=taken_at,
                channels=_decoded(channels, "CoreShowChannel", ev.decode_channel_snapshot),
                queue_entries=_decoded(queues, "QueueEntry", ev.decode_queue_entry),
                members=_decoded(queues, "QueueMember", ev.decode_queue_member),
                finished=await self._finished_while_away(taken_at),
            )
            self.state, effects = resync(self.state, snapshot)
            self._collect(effects)
        finally:
            buffered, self._buffer = self._buffer or [], None
            for event in buffered:
                self._apply(event)
            if self.on_change is not None:
                self.on_change()

    async def _finished_while_away(self, now: float) -> dict[str, CallProgress]:
        """Asterisk's summaries of calls we know as open, or never saw, that ended before ``now``."""
        if self._summaries_dir is None:
            return {}
        starts = [call.started_at for call in self.state.calls.values() if call.started_at is not None]
        latest = await asyncio.to_thread(self.store.latest_start)
        if latest is not None:
            starts.append(latest)
        since = (min(starts) if starts else now - SUMMARY_LOOKBACK) - SUMMARY_MARGIN
        summaries = await asyncio.to_thread(read_summaries, self._summaries_dir, since, now)
        others = [s.linkedid for s in summaries if s.linkedid not in self.state.calls]
        unknown = await asyncio.to_thread(self.store.unknown, others) if others else set()
        return {
            s.linkedid: s.progress()
            for s in summaries
            if s.linkedid in self.state.calls or s.linkedid in unknown
        }

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
        if self.on_change is not None:
            self.on_change()

    async def _flush_loop(self) -> None:
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wakeup.wait(), timeout=1.0)
            self._wakeup.clear()
            try:
                await self.flush()
            except Exception:
                log.exception("Call record flush failed; retrying")
                await asyncio.sleep(1.0)
            await asyncio.sleep(self._flush_interval)


# --- queries for the consoles -------------------------------------------------------------------


def ended_calls_since(session: Session, since: datetime) -> list[EndedCall]:
    """The calls started since ``since`` that have ended (for today's totals)."""
    rows = session.execute(
        select(
            Call.queue, Call.lawyer, Call.answered_at, Call.wait_seconds, Call.talk_seconds, Call.rating
        ).where(Call.started_at >= since, Call.ended_at.is_not(None))
    )
    return [
        EndedCall(queue, lawyer, answered_at is not None, wait, talk, rating)
        for queue, lawyer, answered_at, wait, talk, rating in rows
    ]


def previous_calls(session: Session, caller: str, *, excluding: str, limit: int = 5) -> list[Call]:
    """The caller's latest earlier calls, newest first (the desk's screen pop)."""
    return list(
        session.scalars(
            select(Call)
            .where(Call.caller == caller, Call.linkedid != excluding)
            .order_by(Call.started_at.desc(), Call.id.desc())
            .limit(limit)
        )
    )
