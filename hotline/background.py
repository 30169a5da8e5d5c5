"""A part's long-running background task: started once, cancelled and awaited when the part stops.

Every loop of the controller (the call records' flush, the summary follower, the SIP guard, the
claiming loops, the AMI connection) runs as one of these, entered and left by its plugin's
lifetime; short work that belongs to one event is spawned on the kernel's supervisor
(hotline/kernel/tasks.py). Nothing is fire-and-forget.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Coroutine
from typing import Any


class BackgroundTask:
    def __init__(self, name: str) -> None:
        self.name = name
        self._task: asyncio.Task[None] | None = None

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    def start(self, work: Callable[[], Coroutine[Any, Any, None]]) -> None:
        """Run ``work()`` unless it runs already."""
        if not self.running:
            self._task = asyncio.get_running_loop().create_task(work(), name=self.name)

    async def stop(self) -> None:
        """Cancel the task and wait until it has ended."""
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
