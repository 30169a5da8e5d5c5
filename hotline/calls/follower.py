"""Follow Asterisk's call summaries and merge each into its call's record as it comes.

The dialplan writes one summary line per call at the citizen's hangup (hotline.calls.summaries),
whatever happens to the controller or its AMI connection. Reading them from where the last reading
stopped (the cursor is kept in the database, in the transaction that merges the lines) makes every
record end up equal to Asterisk's own account of the call: after an AMI cut, an Asterisk restart or
a controller crash of any length, nothing is lost and nothing is counted twice (records are keyed
by linkedid; merging a line again changes nothing).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from pathlib import Path

from hotline.background import BackgroundTask
from hotline.calls.service import CallStore
from hotline.calls.summaries import Cursor, cursor_at, read_new

log = logging.getLogger(__name__)

# With no cursor yet (a new database, or one from before the summaries were followed), the reading
# starts this long before the newest record (or now).
FIRST_LOOKBACK = 2 * 86400.0


class SummaryFollower:
    def __init__(
        self,
        store: CallStore,
        directory: Path,
        *,
        interval: float = 0.5,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._store = store
        self._directory = directory
        self._interval = interval
        self._clock = clock
        self._cursor: Cursor | None = None
        self._lock = asyncio.Lock()
        self._task = BackgroundTask("call-summaries")
        self.merged = 0
        self.last_error: str | None = None
        # Called on the event loop with the linkedids just merged (the recorder drops them from live state).
        self.on_merged: Callable[[list[str]], None] | None = None

    async def _start_cursor(self) -> Cursor:
        cursor = await asyncio.to_thread(self._store.summary_cursor)
        if cursor is not None:
            return cursor
        latest = await asyncio.to_thread(self._store.latest_start)
        return cursor_at((latest or self._clock()) - FIRST_LOOKBACK)

    async def catch_up(self) -> int:
        """Merge every complete line written so far; returns how many were merged."""
        async with self._lock:
            if self._cursor is None:
                self._cursor = await self._start_cursor()
            total = 0
            while True:
                batch = await asyncio.to_thread(read_new, self._directory, self._cursor, now=self._clock())
                if batch.cursor == self._cursor and not batch.summaries:
                    return total
                await asyncio.to_thread(self._store.merge_summaries, batch.summaries, batch.cursor)
                self._cursor = batch.cursor
                total += len(batch.summaries)
                self.merged += len(batch.summaries)
                if batch.summaries and self.on_merged is not None:
                    self.on_merged([summary.linkedid for summary in batch.summaries])
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
                # The cursor did not move: the same lines are merged at the next try.
                self.last_error = str(exc)
                log.exception("Merging call summaries failed; retrying")
            await asyncio.sleep(self._interval)
