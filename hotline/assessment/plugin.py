"""The assessment plugin: the lawyers' monthly assessment (动态考核) from the statistics, the roster
and presence, and upheld criticism."""

from __future__ import annotations

import asyncio

from hotline.assessment import api
from hotline.assessment.scheme import default_scheme, load_scheme
from hotline.assessment.service import Assessor
from hotline.kernel.plugin import Parts, Plugin, PluginSpec
from hotline.kernel.shared import Shared
from hotline.stats.service import Statistics


async def build(shared: Shared, parts: Parts) -> Plugin:
    settings = shared.settings.assessment
    path = settings.scheme
    scheme = await asyncio.to_thread(default_scheme if path is None else lambda: load_scheme(path))
    assessor = Assessor(
        parts.get(Statistics),
        scheme,
        grace_minutes=settings.grace_minutes,
        pause_allowance_minutes=settings.pause_allowance_minutes,
    )
    return Plugin("assessment", parts=(assessor,))


PLUGIN = PluginSpec("assessment", build, routers=(api.router,))
