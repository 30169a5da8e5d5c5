"""Live push to the pages: a change feed and Server-Sent Events.

The call recorder bumps the feed after every change of the live state or the records; each open
page's stream wakes up, computes its view and sends it when it differs from the last one sent.
Without changes a stream still sends a comment every :data:`KEEPALIVE_SECONDS` so that proxies
keep the connection and a closed browser tab is noticed.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

from fastapi import Request
from fastapi.responses import StreamingResponse

from hotline.waiting import wait_set

KEEPALIVE_SECONDS = 15.0
# Changes closer together than this are sent as one (a burst of AMI events, one page update).
COALESCE_SECONDS = 0.05


class ChangeFeed:
    """A version number that goes up on every change, and a way to wait for the next one."""

    def __init__(self) -> None:
        self.version = 0
        self._changed = asyncio.Event()

    def bump(self) -> None:
        self.version += 1
        self._changed.set()

    async def wait(self, seen: int, timeout: float) -> int:
        """The version after ``seen``, or the same one when ``timeout`` passes first."""
        while self.version == seen:
            self._changed.clear()
            if not await wait_set(self._changed, timeout) and self.version == seen:
                break
        return self.version


def sse_response(
    request: Request, feed: ChangeFeed, produce: Callable[[], Awaitable[Any]]
) -> StreamingResponse:
    """A ``text/event-stream`` of ``produce()`` as JSON: now, and after every change of it."""

    async def events() -> AsyncIterator[str]:
        seen, last = -1, None
        while True:
            version = feed.version
            if version != seen:
                seen = version
                payload = json.dumps(await produce(), ensure_ascii=False, default=str)
                if payload != last:
                    last = payload
                    yield f"data: {payload}\n\n"
            elif await request.is_disconnected():
                return
            else:
                yield ": keepalive\n\n"
            if await feed.wait(seen, KEEPALIVE_SECONDS) != seen:
                await asyncio.sleep(COALESCE_SECONDS)

    return StreamingResponse(
        events(),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )
