"""The statistics plugin: the KPIs of any period (GET /api/v1/stats), defined once for the API, the
monthly report and the wallboard's "today"."""

from __future__ import annotations

from hotline.ivr.service import IvrConfig
from hotline.kernel.plugin import Parts, Plugin, PluginSpec
from hotline.kernel.shared import Shared
from hotline.settings import Settings
from hotline.stats import api
from hotline.stats.definitions import Thresholds
from hotline.stats.service import Statistics


def thresholds_of(settings: Settings) -> Thresholds:
    return Thresholds(
        service_level_seconds=settings.console.service_level_seconds,
        short_abandon_seconds=settings.stats.short_abandon_seconds,
        callback_promise_hours=settings.stats.callback_promise_hours,
        wrap_up_seconds=settings.asterisk.wrapup_seconds,
    )


async def build(shared: Shared, parts: Parts) -> Plugin:
    timezone = parts.get(IvrConfig).calendar.timezone
    return Plugin("stats", parts=(Statistics(thresholds_of(shared.settings), timezone, shared.clock),))


PLUGIN = PluginSpec("stats", build, routers=(api.router,))
