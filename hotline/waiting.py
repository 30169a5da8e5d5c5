"""Waiting for an :class:`asyncio.Event` with a time limit, without losing a cancellation.

Python 3.11's ``asyncio.wait_for`` returns the inner result when the waiting task is cancelled in
the same loop turn as the event is set, so the cancellation is lost: a background loop that waits
this way may never stop (its owner's ``stop()`` waits forever). ``asyncio.timeout`` does not lose it.
"""

from __future__ import annotations

import asyncio
import contextlib


async def wait_set(event: asyncio.Event, timeout: float) -> bool:
    """Wait until ``event`` is set or ``timeout`` seconds pass; ``True`` when it is set."""
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(timeout):
            await event.wait()
    return event.is_set()
