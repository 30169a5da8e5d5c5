"""The assessment plugin: the lawyers' monthly assessment (动态考核) from the statistics, the roster
and presence, and upheld criticism."""

from __future__ import annotations

import asyncio

from hotline.assessment import api
from hotline.assessment.scheme import default_scheme, load_scheme
from hotline.assessment.service import Assessor
from hotline.kernel.plugin import Parts, Plugin, PluginSpec
from hotline.kernel.shared import Shared
from hotline.settings import AssessmentSettings
from hotline.stats.service import Statistics


def assessor_of(settings: AssessmentSettings, statistics: Statistics) -> Assessor:
    """The configured assessment (its scheme read from the file the settings name, or the default)."""
    path = settings.scheme
    return Assessor(
        statistics,
        default_scheme() if path is None else load_scheme(path),
        grace_minutes=settings.grace_minutes,
        pause_allowance_minutes=settings.pause_allowance_minutes,
    )


async def build(shared: Shared, parts: Parts) -> Plugin:
    assessor = await asyncio.to_thread(assessor_of, shared.settings.assessment, parts.get(Statistics))
    return Plugin("assessment", parts=(assessor,))


PLUGIN = PluginSpec("assessment", build, routers=(api.router,))
