"""The quality plugin: the nightly 双随机 sample, reviews and scorecards."""

from __future__ import annotations

from hotline.ivr.service import IvrConfig
from hotline.kernel.plugin import Parts, Plugin, PluginSpec
from hotline.kernel.shared import Shared
from hotline.quality import api
from hotline.quality.jobs import SamplingJob


async def build(shared: Shared, parts: Parts) -> Plugin:
    timezone = parts.get(IvrConfig).calendar.timezone
    sampling = SamplingJob(shared.session_factory, shared.settings.quality, timezone, clock=shared.clock)
    return Plugin("quality", parts=(sampling,), jobs=(sampling.job(),) if shared.daily_jobs else ())


PLUGIN = PluginSpec("quality", build, routers=(api.router,))
