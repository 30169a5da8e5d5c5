"""The recordings' jobs on the controller's scheduler: register and seal new files, purge old ones."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from hotline.recordings.service import Purged, RecordingRegistry

log = logging.getLogger(__name__)


class RecordingJobs:
    def __init__(
        self, registry: RecordingRegistry, *, on_sealed: Callable[[list[int]], Awaitable[None]] | None = None
    ) -> None:
        self.registry = registry
        self.on_sealed = on_sealed
        self.last_purge: list[Purged] | None = None

    def schedule(
        self, scheduler: AsyncIOScheduler, *, purge_at: str | None, sweep_seconds: float = 1.0
    ) -> None:
        """The sweep every ``sweep_seconds``; the purge daily at ``purge_at`` (HH:MM; None: never)."""
        scheduler.add_job(
            self.sweep,
            "interval",
            seconds=sweep_seconds,
            id="recordings-sweep",
            coalesce=True,
            max_instances=1,
        )
        if purge_at is None:
            return
        hour, minute = (int(part) for part in purge_at.split(":"))
        scheduler.add_job(
            self.purge,
            "cron",
            hour=hour,
            minute=minute,
            id="recordings-purge",
            coalesce=True,
            max_instances=1,
        )

    async def sweep(self) -> None:
        """Register what Asterisk finished writing and seal it; tell the transcription queue."""
        try:
            sealed = await asyncio.to_thread(self._register_and_seal)
        except Exception:
            log.exception("Registering or sealing recordings failed; the next sweep retries")
            return
        if sealed and self.on_sealed is not None:
            try:
                await self.on_sealed(sealed)
            except Exception:
                log.exception(
                    "Queueing recordings %s for transcription failed; the queue catches up later", sealed
                )

    def _register_and_seal(self) -> list[int]:
        self.registry.register_finished()
        return self.registry.seal_pending()

    async def purge(self) -> list[Purged]:
        try:
            purged = await asyncio.to_thread(self.registry.purge_expired)
        except Exception:
            log.exception(
                "Purging expired recordings failed; it runs again tomorrow or with `hotline recordings purge`"
            )
            return []
        log.info("Retention: purged %d recordings", len(purged))
        self.last_purge = purged
        return purged
