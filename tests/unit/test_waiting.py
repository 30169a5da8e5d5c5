"""Background loops wait for their wake-up event without losing a cancellation."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable

from hotline.waiting import wait_set


async def test_wait_set_tells_a_set_event_from_a_timeout() -> None:
    event = asyncio.Event()
    assert await wait_set(event, 0.01) is False
    event.set()
    assert await wait_set(event, 10) is True


async def _stops_when_cancelled_as_woken(wait: Callable[[asyncio.Event], Awaitable[object]]) -> bool:
    """A loop like the recorder's, claim loops' and the SIP guard's: stopped (cancelled) in the
    same turn as it is woken, as a controller shutting down during a burst of events does."""
    event = asyncio.Event()

    async def loop() -> None:
        while True:
            await wait(event)
            event.clear()

    task = asyncio.create_task(loop())
    await asyncio.sleep(0)
    event.set()
    task.cancel()
    done, _ = await asyncio.wait({task}, timeout=1.0)
    if not done:
        task.cancel()
    return bool(done) and task.cancelled()


async def test_a_loop_cancelled_as_its_event_is_set_stops() -> None:
    assert await _stops_when_cancelled_as_woken(lambda event: wait_set(event, 10))


async def test_wait_for_would_lose_that_cancellation() -> None:
    """Why the loops do not use asyncio.wait_for (Python 3.11, the project's version): a
    controller's shutdown hung on it, waiting for a loop that never stopped."""

    async def old(event: asyncio.Event) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(event.wait(), 10)

    assert not await _stops_when_cancelled_as_woken(old)
