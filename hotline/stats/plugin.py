"""The statistics plugin: the KPIs of any period (GET /api/v1/stats), defined once for the API, the
monthly report and the wallboard's "today"."""

from __future__ import annotations

import asyncio
import logging

from hotline.ivr.service import IvrConfig
from hotline.kernel.plugin import Job, Parts, Plugin, PluginSpec
from hotline.kernel.shared import Shared
from hotline.settings import Settings
from hotline.stats import api
from hotline.stats.definitions import Thresholds
from hotline.stats.rollup import Rollups
from hotline.stats.service import Statistics

log = logging.getLogger(__name__)


def thresholds_of(settings: Settings) -> Thresholds:
    return Thresholds(
        service_level_seconds=settings.console.service_level_seconds,
        short_abandon_seconds=settings.stats.short_abandon_seconds,
        callback_promise_hours=settings.stats.callback_promise_hours,
        wrap_up_seconds=settings.asterisk.wrapup_seconds,
    )


async def build(shared: Shared, parts: Parts) -> Plugin:
    timezone = parts.get(IvrConfig).calendar.timezone
    thresholds = thresholds_of(shared.settings)
    rollups = Rollups(thresholds, timezone, shared.clock)

    async def refresh() -> None:
        def run() -> None:
            done = rollups.refresh(shared.session_factory)
            if done.days:
                log.info(
                    "stats roll-ups: %d days stored again (%d rows) in %.1f s",
                    len(done.days),
                    done.rows,
                    done.seconds,
                )

        await asyncio.to_thread(run)

    every = {"minutes": shared.settings.stats.rollup_minutes, "coalesce": True, "max_instances": 1}
    # Not an hour-of-day job: it runs in every app (a read is exact whether it has run or not).
    jobs = (Job("stats-rollup", refresh, "interval", every),)
    return Plugin(
        "stats", parts=(Statistics(thresholds, timezone, shared.clock, rollups), rollups), jobs=jobs
    )


PLUGIN = PluginSpec("stats", build, routers=(api.router,))
