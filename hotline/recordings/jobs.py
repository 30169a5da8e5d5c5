"""The recordings' jobs on the controller's scheduler: register and seal new files, purge old ones."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from hotline.kernel.plugin import Job
from hotline.recordings.service import Purged, RecordingRegistry

log = logging.getLogger(__name__)


class RecordingJobs:
    def __init__(self, registry: RecordingRegistry) -> None:
        self.registry = registry
        # Told the ids of the recordings each sweep sealed (the transcription queue).
        self.sealed_hooks: list[Callable[[list[int]], Awaitable[None]]] = []
        self.last_purge: list[Purged] | None = None

    def jobs(self, *, purge_at: str | None, timezone: str, sweep_seconds: float = 1.0) -> tuple[Job, ...]:
        """The sweep every ``sweep_seconds``; the purge daily at ``purge_at`` (HH:MM in ``timezone``;
        None: never)."""
        once = {"coalesce": True, "max_instances": 1}
        sweep = Job("recordings-sweep", self.sweep, "interval", {"seconds": sweep_seconds, **once})
        if purge_at is None:
            return (sweep,)
        hour, minute = (int(part) for part in purge_at.split(":"))
        purge = Job(
            "recordings-purge",
            self.purge,
            "cron",
            {"hour": hour, "minute": minute, "timezone": timezone, **once},
        )
        return sweep, purge

    async def sweep(self) -> None:
        """Register what Asterisk finished writing and seal it; tell the transcription queue."""
        try:
            sealed = await asyncio.to_thread(self._register_and_seal)
        except Exception:
            log.exception("Registering or sealing recordings failed; the next sweep retries")
            return
        for hook in self.sealed_hooks if sealed else ():
            try:
                await hook(sealed)
            except Exception:
                log.exception(
                    "Telling %s of the sealed recordings %s failed; it catches up later", hook, sealed
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
