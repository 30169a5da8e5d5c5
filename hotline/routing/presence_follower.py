"""Follow Asterisk's queue_log and keep when each lawyer was in the queues, paused or not.

Each reading takes the complete lines written since the cursor (hotline/routing/queue_log.py),
folds them into the members' presence (hotline/routing/presence.py) and writes the intervals they
closed together with the new cursor and the presence still open, in one transaction
(hotline/routing/duty_hours.py). After a controller restart or crash the reading goes on from the
kept cursor with the kept presence: no line is read twice and none is lost. The file is read from
its start the first time, and Asterisk writes it whether the controller runs or not.
"""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

from sqlalchemy.orm import Session, sessionmaker

from hotline.background import BackgroundTask
from hotline.routing.duty_hours import presence_reading, record_presence
from hotline.routing.presence import Presence, reduce
from hotline.routing.queue_log import Batch, Cursor, read_new

log = logging.getLogger(__name__)


class PresenceFollower:
    def __init__(self, session_factory: sessionmaker[Session], path: Path, *, interval: float = 1.0) -> None:
        self._sessions = session_factory
        self._path = path
        self._interval = interval
        self._lock = asyncio.Lock()
        self._task = BackgroundTask("duty-presence")
        self._loaded = False
        self._cursor: Cursor | None = None
        self._presence: Presence = {}
        self.lines_read = 0
        self.lines_skipped = 0
        self.last_error: str | None = None

    def _load(self) -> tuple[Cursor | None, Presence]:
        with self._sessions() as session:
            return presence_reading(session)

    def _read_and_keep(self, cursor: Cursor | None, presence: Presence) -> tuple[Batch, Presence] | None:
        """One reading (in a worker thread): the lines after ``cursor`` folded into ``presence``,
        the intervals they closed, the new cursor and presence kept in one transaction. None when
        nothing was written since."""
        batch = read_new(self._path, cursor)
        if batch.cursor is None or (batch.cursor == cursor and not batch.lines):
            return None
        after, closed = reduce(presence, batch.lines)
        with self._sessions.begin() as session:
            record_presence(session, closed, batch.cursor, after, batch.lines)
        return batch, after

    async def catch_up(self) -> int:
        """Read every complete line written so far; returns how many were read."""
        async with self._lock:
            if not self._loaded:
                self._cursor, self._presence = await asyncio.to_thread(self._load)
                self._loaded = True
            total = 0
            while True:
                read = await asyncio.to_thread(self._read_and_keep, self._cursor, self._presence)
                if read is None:
                    return total
                batch, self._presence = read
                self._cursor = batch.cursor
                total += len(batch.lines)
                self.lines_read += len(batch.lines)
                self.lines_skipped += len(batch.skipped)
                if not batch.more:
                    return total

    def start(self) -> None:
        self._task.start(self._run)

    async def stop(self) -> None:
        await self._task.stop()

    async def _run(self) -> None:
        while True:
            try:
                await self.catch_up()
                self.last_error = None
            except Exception as exc:
                # Nothing was kept: the same lines are read again at the next try.
                self.last_error = str(exc)
                log.exception("Reading the queue_log for the lawyers' presence failed; retrying")
            await asyncio.sleep(self._interval)
