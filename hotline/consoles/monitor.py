"""The consoles' views, assembled: live state from the recorder, totals and names from the database.

Database reads run off the event loop and are cached until the records change (the recorder
flushed), so a dozen open wallboards cost one query per change, not a dozen.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import asdict
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session, sessionmaker

from hotline.calls.service import CallRecorder
from hotline.consoles import board
from hotline.consoles.queries import active_lawyers, browser_phones, previous_calls
from hotline.http.live import ChangeFeed
from hotline.ivr.catalog import Catalog
from hotline.stats import definitions
from hotline.stats.service import Statistics

# Names of lawyers are read again at least this often (seconds), changes or not.
LAWYERS_TTL = 30.0
# Notices are read again at most this often (seconds).
NOTICES_TTL = 60.0


def start_of_day(now: float, timezone: str) -> datetime:
    local = datetime.fromtimestamp(now, ZoneInfo(timezone))
    return local.replace(hour=0, minute=0, second=0, microsecond=0)


class Monitor:
    def __init__(
        self,
        session_factory: sessionmaker[Session],
        recorder: CallRecorder,
        catalog: Catalog,
        statistics: Statistics,
        *,
        pause_labels: dict[str, str],
    ) -> None:
        self._sessions = session_factory
        self._recorder = recorder
        self._catalog = catalog
        self._statistics = statistics
        self._timezone = statistics.timezone
        self._pause_labels = pause_labels
        self.feed = ChangeFeed()
        self._totals: tuple[tuple[int, datetime], board.DayTotals] | None = None
        self._lawyers: tuple[float, list[tuple[str, str]], frozenset[str]] | None = None
        self._history: dict[str, list[dict[str, Any]]] = {}
        self._lock = asyncio.Lock()
        # Notices for the wallboard from other plugins (e.g. a monthly report to submit): each
        # returns a zh-CN sentence or None; read off the event loop, at most once a minute.
        self.notices: list[Callable[[], str | None]] = []
        self._notices: tuple[float, list[str]] | None = None

    # --- database reads (cached) ------------------------------------------------------------

    async def _day_totals(self, now: float) -> board.DayTotals:
        key = (self._recorder.flushes, start_of_day(now, self._timezone))
        if self._totals is None or self._totals[0] != key:

            def read() -> board.DayTotals:
                moment = datetime.fromtimestamp(now, UTC)
                with self._sessions() as session:
                    queues, lawyers = self._statistics.today_each(
                        session, (("queue",), ("lawyer",)), now=moment
                    )
                return board.DayTotals(
                    queues={
                        queue: board.QueueTotals(
                            answered=tally.answered,
                            abandoned=tally.abandoned,
                            service_level=definitions.service_level(tally),
                            average_wait=definitions.asa(tally),
                            average_rating=definitions.average_rating(tally),
                        )
                        for (queue,), tally in queues.items()
                        if queue is not None
                    },
                    lawyers={
                        lawyer: board.LawyerTotals(tally.answered, tally.talk)
                        for (lawyer,), tally in lawyers.items()
                        if lawyer is not None
                    },
                )

            self._totals = (key, await asyncio.to_thread(read))
        return self._totals[1]

    async def _lawyer_names(self) -> tuple[list[tuple[str, str]], frozenset[str]]:
        """The active lawyers (extension, name) and those of them on the browser phone."""
        if self._lawyers is None or time.monotonic() - self._lawyers[0] > LAWYERS_TTL:

            def read() -> tuple[list[tuple[str, str]], frozenset[str]]:
                with self._sessions() as session:
                    return active_lawyers(session), browser_phones(session)

            names, browser = await asyncio.to_thread(read)
            self._lawyers = (time.monotonic(), names, browser)
        return self._lawyers[1], self._lawyers[2]

    def forget_lawyers(self) -> None:
        """Read the lawyers again on the next view (one was added or changed)."""
        self._lawyers = None

    async def _previous(self, caller: str | None, linkedid: str) -> list[dict[str, Any]]:
        if not caller:
            return []
        if linkedid not in self._history:

            def read() -> list[dict[str, Any]]:
                with self._sessions() as session:
                    return [
                        {
                            "started_at": call.started_at.isoformat() if call.started_at else None,
                            "topic": self._catalog.topic_label(call.topic) or call.topic,
                            "lawyer": call.lawyer,
                            "outcome": call.outcome,
                            "rating": call.rating,
                        }
                        for call in previous_calls(session, caller, excluding=linkedid)
                    ]

            if len(self._history) > 1000:
                self._history.clear()
            self._history[linkedid] = await asyncio.to_thread(read)
        return self._history[linkedid]

    # --- views --------------------------------------------------------------------------------

    async def board(self) -> dict[str, Any]:
        async with self._lock:
            now = time.time()
            totals = await self._day_totals(now)
            lawyers, browser = await self._lawyer_names()
        view = board.build_board(
            self._recorder.state,
            now,
            queues=self._catalog.queue_labels(),
            lawyers=lawyers,
            totals=totals,
            browser=browser,
        )
        data = asdict(view)
        for row in data["lawyers"]:
            row["pause_label"] = self._pause_labels.get(row["pause_reason"], row["pause_reason"])
        data["notices"] = await self._current_notices()
        return data

    async def _current_notices(self) -> list[str]:
        if self._notices is None or time.monotonic() - self._notices[0] > NOTICES_TTL:

            def read() -> list[str]:
                return [text for notice in self.notices if (text := notice())]

            self._notices = (time.monotonic(), await asyncio.to_thread(read))
        return self._notices[1]

    async def desk(self, extension: str) -> dict[str, Any]:
        async with self._lock:
            now = time.time()
            totals = await self._day_totals(now)
            lawyers, browser = await self._lawyer_names()
        state = self._recorder.state
        names = [(ext, name) for ext, name in lawyers if ext == extension] or [(extension, extension)]
        (row,) = board.lawyer_rows(state, names, totals.lawyers, browser)
        call = board.desk_call(state, extension, now)
        data: dict[str, Any] = {
            "at": now,
            "me": asdict(row) | {"pause_label": self._pause_labels.get(row.pause_reason, row.pause_reason)},
            "call": None,
        }
        if call is not None:
            data["call"] = asdict(call) | {
                "topic_label": self._catalog.topic_label(call.topic),
                "language_label": self._catalog.language_label(call.language),
                "previous": await self._previous(call.caller, call.linkedid),
            }
        return data
