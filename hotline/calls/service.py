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
import logging
import threading
import time
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from datetime import datetime
from functools import partial
from typing import Any, NamedTuple, TypeVar, cast

from sqlalchemy import Table, bindparam, select
from sqlalchemy.orm import Session, sessionmaker

from hotline.ami import actions
from hotline.ami import events as ev
from hotline.ami.caller_id import clean_number
from hotline.ami.client import AmiClient
from hotline.background import BackgroundTask
from hotline.calls.models import Call, SummaryCursor
from hotline.calls.record import FACTS, RECORD_COLUMNS, Fact
from hotline.calls.state import (
    CallChanged,
    CallProgress,
    LiveState,
    Snapshot,
    classify,
    members_of,
    reduce,
    resync,
)
from hotline.calls.summaries import CallSummary, Cursor
from hotline.db.base import from_epoch, utcnow
from hotline.errors import HotlineError
from hotline.waiting import wait_set

log = logging.getLogger(__name__)
T = TypeVar("T")


def _epoch(value: datetime | None) -> float | None:
    return None if value is None else value.timestamp()


def _earliest(old: datetime | None, new: datetime | None) -> datetime | None:
    if old is None:
        return new
    if new is None:
        return old
    return min(old, new)


def _with_outcome(values: dict[str, Any], linkedid: str) -> dict[str, Any]:
    values["outcome"] = classify(
        CallProgress(
            linkedid=linkedid,
            answered_at=_epoch(values["answered_at"]),
            ended_at=_epoch(values["ended_at"]),
            voicemail_file=values["voicemail_file"],
            transferred_to=values["transferred_to"],
            direction=values["direction"],
            callback_queued_at=_epoch(values["callback_queued_at"]),
        )
    )
    return values


def _stored(fact: Fact, value: Any) -> Any:
    """A progress value as the record stores it."""
    if fact.kind == "time":
        return from_epoch(value)
    if fact.kind == "number":
        # Cleaned again at the last gate: whatever produced the progress, no raw number is stored.
        return clean_number(value)
    return value


def _merged(fact: Fact, old: Any, new: Any) -> Any:
    if fact.merge == "earliest":
        return _earliest(old, new)
    if fact.merge == "kept":
        return old or new
    if fact.merge == "latest-set":
        return new or old
    return new if new is not None else old


def merged_values(current: Mapping[str, Any] | None, call: CallProgress) -> dict[str, Any]:
    """The record's columns once what events say (``call``) is merged into ``current`` (its columns,
    or None for a new call), each fact by its rule (hotline/calls/record.py).

    The result does not depend on how often the same facts arrive, and facts learnt earlier are not
    lost to a partial picture (e.g. a call rebuilt from a snapshot after a restart). Once Asterisk's
    summary of the call was merged (``summarized_at``), its facts stand: events only fill what it
    left empty."""
    old: Mapping[str, Any] = current or {}
    values: dict[str, Any] = {
        fact.name: _merged(fact, old.get(fact.name), _stored(fact, getattr(call, fact.name)))
        for fact in FACTS
    }
    if old.get("summarized_at") is not None:
        values = {name: old[name] if old.get(name) is not None else values[name] for name in values}
    values["summarized_at"] = old.get("summarized_at")
    return _with_outcome(values, call.linkedid)


def summarized_values(
    current: Mapping[str, Any] | None, summary: CallProgress, moment: datetime
) -> dict[str, Any]:
    """The record's columns once Asterisk's summary of the call is merged into ``current``: every
    fact the summary states stands (it is Asterisk's own account), what it leaves empty is kept."""
    old: Mapping[str, Any] = current or {}
    values: dict[str, Any] = {}
    for fact in FACTS:
        value = _stored(fact, getattr(summary, fact.name))
        values[fact.name] = value if value is not None else old.get(fact.name)
    values["summarized_at"] = old.get("summarized_at") or moment
    return _with_outcome(values, summary.linkedid)


def _events_into(call: CallProgress, current: Mapping[str, Any] | None) -> dict[str, Any]:
    return merged_values(current, call)


def _summary_into(
    summary: CallProgress, moment: datetime, current: Mapping[str, Any] | None
) -> dict[str, Any]:
    return summarized_values(current, summary, moment)


CALLS = cast(Table, Call.__table__)
# Besides the facts: when Asterisk's summary was merged, and whether the call came after hours.
STORED_COLUMNS = (*RECORD_COLUMNS, "summarized_at", "after_hours")
_UPDATE_BY_ID = (
    CALLS.update()
    .where(CALLS.c.id == bindparam("row_id"))
    .values({name: bindparam(name) for name in (*STORED_COLUMNS, "updated_at")})
)


def merge_into(row: Call, call: CallProgress) -> None:
    """Merge ``call`` into an ORM row (see :func:`merged_values`)."""
    current = {name: getattr(row, name) for name in (*RECORD_COLUMNS, "summarized_at")}
    for name, value in merged_values(current, call).items():
        setattr(row, name, value)


def progress_of(row: Call) -> CallProgress:
    """A record as the reducer knows a call (times in epoch seconds)."""
    facts: dict[str, Any] = {
        fact.name: _epoch(getattr(row, fact.name)) if fact.kind == "time" else getattr(row, fact.name)
        for fact in FACTS
    }
    return CallProgress(row.linkedid, **facts)


RecordHook = Callable[[Session, Sequence[str]], object]


class EndedRecord(NamedTuple):
    """A call whose record says for the first time that it ended (once per call)."""

    linkedid: str
    queue: str | None
    outcome: str
    ended_at: datetime


# Told, after the commit, of the records that ended in it and of the commit's moment (epoch seconds).
EndedHook = Callable[[Sequence[EndedRecord], float], object]


class CallStore:
    """Synchronous persistence of call records and their recordings.

    Every write of a record reads its columns and writes them merged back: two such writes at once
    (the recorder's batch and a merged summary) would lose one's facts to the other, so they take
    turns on one lock (one writer path for the records).

    ``record_hooks`` run in the transaction that writes the records, with the linkedids whose
    record changed: what follows from a record is written with it (the call's ticket, its rating,
    the review a poor rating opens: hotline/tickets/plugin.py). Each hook has a savepoint of its
    own: one that fails is logged with the calls and undone alone, the records are still written,
    and the hook's own back-fill (the ticket sweep) catches up.

    ``ended_hooks`` run once that transaction is committed, with the records that ended in it
    (whether events or Asterisk's summary said so first) and the moment of the commit by ``clock``
    (the metrics: hotline/metrics/plugin.py). One that fails is logged; the records stand."""

    def __init__(
        self,
        session_factory: sessionmaker[Session],
        *,
        clock: Callable[[], float] = time.time,
        closed_at: Callable[[datetime], bool] | None = None,
    ) -> None:
        self._sessions = session_factory
        self._clock = clock
        # Whether the hotline is closed at a moment (the holiday calendar): a record's after_hours.
        self._closed_at = closed_at
        self._writing = threading.Lock()
        self.record_hooks: list[RecordHook] = []
        self.ended_hooks: list[EndedHook] = []
        self.hook_failures = 0

    def _after_write(self, session: Session, changed: Sequence[str]) -> None:
        if not changed:
            return
        for hook in self.record_hooks:
            try:
                with session.begin_nested():
                    hook(session, changed)
            except Exception:
                self.hook_failures += 1
                log.exception(
                    "%s failed for calls %s; the records are written, its back-fill catches up",
                    getattr(hook, "__qualname__", hook),
                    list(changed)[:5],
                )

    def _after_commit(self, ended: Sequence[EndedRecord]) -> None:
        if not ended or not self.ended_hooks:
            return
        committed_at = self._clock()
        for hook in self.ended_hooks:
            try:
                hook(ended, committed_at)
            except Exception:
                log.exception(
                    "%s failed for ended calls %s; the records are written",
                    getattr(hook, "__qualname__", hook),
                    [record.linkedid for record in ended[:5]],
                )

    def write(self, calls: Sequence[CallProgress]) -> None:
        """Upsert the records of ``calls`` (what events said) in one transaction."""
        if not calls:
            return
        with self._writing:
            with self._sessions.begin() as session:
                changed, ended = self._upsert(
                    session, [(call.linkedid, partial(_events_into, call)) for call in calls]
                )
                self._after_write(session, changed)
            self._after_commit(ended)

    def merge_summaries(self, summaries: Sequence[CallSummary], cursor: Cursor) -> None:
        """Merge Asterisk's summaries into the records and move the cursor past them, in one
        transaction (merging again after a crash changes nothing)."""
        now = utcnow()
        with self._writing:
            with self._sessions.begin() as session:
                changed, ended = self._upsert(
                    session,
                    [(s.linkedid, partial(_summary_into, s.progress(), now)) for s in summaries],
                )
                self._after_write(session, changed)
                row = session.get(SummaryCursor, 1)
                if row is None:
                    session.add(SummaryCursor(id=1, file=cursor.file, offset=cursor.offset))
                else:
                    row.file, row.offset = cursor.file, cursor.offset
            self._after_commit(ended)

    def summary_cursor(self) -> Cursor | None:
        with self._sessions() as session:
            row = session.get(SummaryCursor, 1)
            return None if row is None else Cursor(row.file, row.offset)

    def _after_hours(self, values: Mapping[str, Any], current: Mapping[str, Any] | None) -> bool | None:
        started = values["started_at"]
        if self._closed_at is None or started is None:
            return None if current is None else current["after_hours"]
        return self._closed_at(started)

    def _upsert(
        self,
        session: Session,
        changes: Sequence[tuple[str, Callable[[Mapping[str, Any] | None], dict[str, Any]]]],
    ) -> tuple[list[str], list[EndedRecord]]:
        """Apply each change (linkedid, columns from the current ones) with bulk statements: several
        changes of one call in the same batch merge in order. Returns the linkedids whose record
        was inserted or changed, and the records among them that ended in this change."""
        table = CALLS
        columns = [table.c.id, table.c.linkedid, *(table.c[name] for name in STORED_COLUMNS)]
        ids = list({linkedid for linkedid, _ in changes})
        existing: dict[str, Mapping[str, Any]] = {}
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            for row in session.execute(select(*columns).where(table.c.linkedid.in_(chunk))).mappings():
                existing[row["linkedid"]] = dict(row)
        merged: dict[str, dict[str, Any]] = {}
        for linkedid, change in changes:
            merged[linkedid] = change(merged.get(linkedid) or existing.get(linkedid))
        now = utcnow()
        inserts, updates, changed, ended = [], [], [], []
        for linkedid, values in merged.items():
            current = existing.get(linkedid)
            values["after_hours"] = self._after_hours(values, current)
            if current is None:
                inserts.append({"linkedid": linkedid, "updated_at": now, **values})
            elif any(values[name] != current[name] for name in STORED_COLUMNS):
                updates.append({"row_id": current["id"], "updated_at": now, **values})
            else:
                continue
            changed.append(linkedid)
            if values["ended_at"] is not None and (current is None or current["ended_at"] is None):
                ended.append(EndedRecord(linkedid, values["queue"], values["outcome"], values["ended_at"]))
        # Core executemany: one statement per batch (ORM bulk statements split it up).
        if inserts:
            session.execute(table.insert(), inserts)
        if updates:
            session.execute(_UPDATE_BY_ID, updates)
        return changed, ended

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
        self,
        store: CallStore,
        *,
        catch_up: Callable[[], Awaitable[object]] | None = None,
        flush_interval: float = 0.1,
        queue_status_timeout: float = 60.0,
    ) -> None:
        self.store = store
        # Merges Asterisk's summaries written so far (hotline.calls.follower): run at every re-sync,
        # after the snapshot of live channels, so that each call gone from it has its summary merged.
        self._catch_up = catch_up
        self._queue_status_timeout = queue_status_timeout
        self.state = LiveState()
        self._pending: dict[str, CallProgress] = {}
        self._buffer: list[ev.Event] | None = None
        self._flush_interval = flush_interval
        self._wakeup = asyncio.Event()
        self._flushing = BackgroundTask("call-records")
        self._members = BackgroundTask("queue-members")
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
        """Rebuild live state from snapshots; events arriving meanwhile are applied afterwards.

        ``QueueStatus`` lists every queue member: just after Asterisk boots it can take long, so it
        has a timeout of its own, and failing it keeps the channels' re-sync (members are then
        rebuilt from events) instead of dropping the connection and opening another gap."""
        self._buffer = []
        try:
            taken_at = time.time()
            channels = await client.send(actions.core_show_channels())
            queues = await self._queue_status(client)
            if self._catch_up is not None:
                await self._catch_up()
            snapshot = Snapshot(
                taken_at=taken_at,
                channels=_decoded(channels, "CoreShowChannel", ev.decode_channel_snapshot),
                queue_entries=_decoded(queues or (), "QueueEntry", ev.decode_queue_entry),
                members=None if queues is None else _decoded(queues, "QueueMember", ev.decode_queue_member),
            )
            if queues is None:
                self._members_later(client)
            self.state, effects = resync(self.state, snapshot)
            self._collect(effects)
        finally:
            buffered, self._buffer = self._buffer or [], None
            for event in buffered:
                self._apply(event)
            if self.on_change is not None:
                self.on_change()

    async def _queue_status(self, client: AmiClient) -> list[Any] | None:
        """Every queue entry and member; None when Asterisk is too slow to list them."""
        try:
            answer = await client.send(actions.queue_status(), timeout=self._queue_status_timeout)
        except HotlineError as exc:
            if exc.error_id != "ami-action-timeout":
                raise
            log.warning("Re-sync goes on with the queue members known before: %s", exc.message)
            return None
        return list(answer)

    def _members_later(self, client: AmiClient) -> None:
        """Ask for the queue members again in the background (after a slow ``QueueStatus``)."""

        async def again() -> None:
            for _ in range(3):
                try:
                    queues = await self._queue_status(client)
                except HotlineError as exc:
                    log.warning("Queue members not re-read: %s", exc.message)
                    return
                if queues is not None:
                    members = _decoded(queues, "QueueMember", ev.decode_queue_member)
                    self.state = self.state._replace(members=members_of(members))
                    if self.on_change is not None:
                        self.on_change()
                    return

        self._members.start(again)

    def forget_ended(self, linkedids: Iterable[str]) -> None:
        """Drop calls whose summary was merged from live state (their hangup fell in a gap)."""
        calls = self.state.calls
        for linkedid in linkedids:
            if linkedid in calls:
                calls = calls.delete(linkedid)
        if calls is not self.state.calls:
            self.state = self.state._replace(calls=calls)
            if self.on_change is not None:
                self.on_change()

    # --- persistence --------------------------------------------------------------------------

    def start(self) -> None:
        self._flushing.start(self._flush_loop)

    async def stop(self) -> None:
        await self._members.stop()
        await self._flushing.stop()
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
            await wait_set(self._wakeup, 1.0)
            self._wakeup.clear()
            try:
                await self.flush()
            except Exception:
                log.exception("Call record flush failed; retrying")
                await asyncio.sleep(1.0)
            await asyncio.sleep(self._flush_interval)
