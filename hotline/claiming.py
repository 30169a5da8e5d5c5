"""A supervised background loop that claims due jobs from the database and runs a few at once.

The transcription dispatcher and the hand-off deliverer are both this: wake on a signal or every
``poll_seconds``, claim as many due jobs as there is room for (in a worker thread), run each as a
tracked task, and on stop cancel what is in flight. Subclasses say how to claim and run a job.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from typing import Generic, TypeVar

from hotline.background import BackgroundTask
from hotline.waiting import wait_set

log = logging.getLogger(__name__)

J = TypeVar("J")


class ClaimingLoop(Generic[J]):
    name = "jobs"

    def __init__(self, *, poll_seconds: float) -> None:
        self._poll = poll_seconds
        self._wakeup = asyncio.Event()
        self._task = BackgroundTask(self.name)
        self._in_flight: set[asyncio.Task[None]] = set()

    # --- what a subclass says -------------------------------------------------------------------

    @property
    def capacity(self) -> int:
        """How many jobs may run at once (0: none now)."""
        raise NotImplementedError

    async def claim(self, free: int) -> Sequence[J]:
        raise NotImplementedError

    async def run(self, job: J) -> None:
        raise NotImplementedError

    async def prepare(self) -> None:
        """Once, before the first round."""

    async def before_round(self) -> None:
        """Before each claim (e.g. catch-up work)."""

    async def closed(self) -> None:
        """After stop, once nothing is in flight."""

    # --- the loop -------------------------------------------------------------------------------

    def wake(self) -> None:
        self._wakeup.set()

    def start(self) -> None:
        self._task.start(self._loop)

    async def stop(self) -> None:
        await self._task.stop()
        for job in list(self._in_flight):
            job.cancel()
        await asyncio.gather(*self._in_flight, return_exceptions=True)
        await self.closed()

    async def fill(self) -> int:
        """Claim as many due jobs as there is room for and start them; returns how many."""
        free = self.capacity - len(self._in_flight)
        if free <= 0:
            return 0
        jobs = await self.claim(free)
        loop = asyncio.get_running_loop()
        for job in jobs:
            task = loop.create_task(self.run(job), name=f"{self.name}-job")
            self._in_flight.add(task)
            task.add_done_callback(self._finished)
        return len(jobs)

    def _finished(self, task: asyncio.Task[None]) -> None:
        self._in_flight.discard(task)
        self.wake()  # room for the next one

    async def run_until_idle(self) -> None:
        """Work through every job due now, then return (CLI commands)."""
        while True:
            await self.fill()
            if not self._in_flight:
                return
            await asyncio.wait(set(self._in_flight), return_when=asyncio.FIRST_COMPLETED)

    async def _loop(self) -> None:
        await self.prepare()
        while True:
            try:
                await self.before_round()
                await self.fill()
            except Exception:
                log.exception("%s: claiming due jobs failed; retrying", self.name)
            await wait_set(self._wakeup, self._poll)
            self._wakeup.clear()
