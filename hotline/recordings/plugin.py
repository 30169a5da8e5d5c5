"""The recordings plugin: register and seal what Asterisk wrote, the retention purge, audited access."""

from __future__ import annotations

import asyncio

from hotline.asterisk.layout import spool_dir
from hotline.ivr.service import IvrConfig
from hotline.kernel.plugin import Parts, Plugin, PluginSpec
from hotline.kernel.shared import Shared
from hotline.recordings import api
from hotline.recordings.audit import AuditLog
from hotline.recordings.jobs import RecordingJobs
from hotline.recordings.service import RecordingRegistry


async def build(shared: Shared, parts: Parts) -> Plugin:
    settings = shared.settings
    audit = await asyncio.to_thread(AuditLog.from_settings, settings, shared.session_factory)
    registry = await asyncio.to_thread(
        RecordingRegistry.from_settings, settings, shared.session_factory, spool_dir(settings), audit
    )
    jobs = RecordingJobs(registry)
    purge_at = settings.recordings.purge_at if shared.daily_jobs else None
    return Plugin(
        "recordings",
        parts=(audit, registry, jobs),
        jobs=jobs.jobs(purge_at=purge_at, timezone=parts.get(IvrConfig).calendar.timezone),
    )


PLUGIN = PluginSpec("recordings", build, routers=(api.router, api.audit_router))
