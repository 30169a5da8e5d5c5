"""The IVR plugin: the topic catalog, the calendar and the flows, loaded once at start."""

from __future__ import annotations

import asyncio
from zoneinfo import ZoneInfo

from pydantic import BaseModel

from hotline.api_types import Count
from hotline.ivr.calendar import missing_years
from hotline.ivr.service import load_ivr
from hotline.kernel.plugin import Parts, Plugin, PluginSpec
from hotline.kernel.shared import Shared


class IvrHealth(BaseModel):
    # Years without a holiday file (ivr_flows/holidays/<year>.yaml): add them.
    calendar_missing_years: list[Count]


async def build(shared: Shared, _parts: Parts) -> Plugin:
    ivr = await asyncio.to_thread(load_ivr, shared.settings)
    zone = ZoneInfo(ivr.calendar.timezone)

    def health() -> IvrHealth:
        today = shared.clock().astimezone(zone).date()
        return IvrHealth(calendar_missing_years=missing_years(ivr.calendar, today))

    return Plugin("ivr", parts=(ivr,), health=health)


PLUGIN = PluginSpec("ivr", build, health_model=IvrHealth)
