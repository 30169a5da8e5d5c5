"""Supervised background tasks: tracked, their failures logged with what they were doing, and every
one of them awaited (or cancelled after a grace period) when the controller stops.

Nothing in the controller calls ``create_task`` and forgets the task: short work that belongs to
one event (store a rating) is ``spawn``-ed here; a context's long-running loop is a lifetime the
kernel enters and leaves (:class:`~hotline.kernel.plugin.Plugin.running`).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine
from typing import Any, TypeVar

log = logging.getLogger(__name__)

T = TypeVar("T")


class SupervisorClosed(RuntimeError):
    pass


class TaskSupervisor:
    def __init__(self) -> None:
        self._tasks: dict[asyncio.Task[Any], str] = {}
        self._closed = False
        self.failed = 0

    def spawn(self, work: Coroutine[Any, Any, T], *, name: str, about: str = "") -> asyncio.Task[T]:
        """Run ``work`` as a tracked task; ``about`` (e.g. "call 1712.3") goes into a failure's log line."""
        if self._closed:
            work.close()
            raise SupervisorClosed(f"The controller is stopping; {name} was not started")
        task = asyncio.get_running_loop().create_task(work, name=name)
        self._tasks[task] = about
        task.add_done_callback(self._finished)
        return task

    def _finished(self, task: asyncio.Task[Any]) -> None:
        about = self._tasks.pop(task, "")
        if task.cancelled():
            return
        error = task.exception()
        if error is not None:
            self.failed += 1
            log.error(
                "Background task %s failed%s", task.get_name(), f" ({about})" if about else "", exc_info=error
            )

    @property
    def running(self) -> int:
        return len(self._tasks)

    async def stop(self, grace: float = 5.0) -> None:
        """Take no new work; wait up to ``grace`` seconds for what runs, then cancel the rest."""
        self._closed = True
        pending = set(self._tasks)
        if not pending:
            return
        _done, late = await asyncio.wait(pending, timeout=grace)
        for task in late:
            log.warning("Background task %s still running at shutdown; cancelled", task.get_name())
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)
