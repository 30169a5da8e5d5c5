"""The quality plugin: the nightly 双随机 sample, reviews and scorecards."""

from __future__ import annotations

from hotline.ivr.service import IvrConfig
from hotline.kernel.plugin import Parts, Plugin, PluginSpec
from hotline.kernel.shared import Shared
from hotline.quality import api, service
from hotline.quality.jobs import SamplingJob
from hotline.recordings.need_to_know import NeedToKnow


async def build(shared: Shared, parts: Parts) -> Plugin:
    timezone = parts.get(IvrConfig).calendar.timezone
    sampling = SamplingJob(shared.session_factory, shared.settings.quality, timezone, clock=shared.clock)
    # Who may hear a recording: a reviewer, the calls of their own reviews.
    need_to_know = NeedToKnow(service.is_assigned, service.assigned_recording_ids)
    return Plugin(
        "quality", parts=(sampling, need_to_know), jobs=(sampling.job(),) if shared.daily_jobs else ()
    )


PLUGIN = PluginSpec("quality", build, routers=(api.router,))
