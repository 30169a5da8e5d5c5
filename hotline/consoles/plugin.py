"""The consoles plugin: the wallboard's and the desk's views over the live state and the records,
pushed to the pages on every change, and what the consoles do to calls."""

from __future__ import annotations

from hotline.calls.service import CallRecorder
from hotline.consoles import api
from hotline.consoles.monitor import Monitor
from hotline.criticism.events import CriticismFollower
from hotline.ivr.service import IvrConfig
from hotline.kernel.plugin import Parts, Plugin, PluginSpec
from hotline.kernel.shared import Shared
from hotline.routing.changes import LawyerChanges
from hotline.stats.service import Statistics


async def build(shared: Shared, parts: Parts) -> Plugin:
    settings = shared.settings
    ivr = parts.get(IvrConfig)
    recorder = parts.get(CallRecorder)
    monitor = Monitor(
        shared.session_factory,
        recorder,
        ivr.catalog,
        parts.get(Statistics),
        pause_labels=settings.routing.pause_reasons,
    )
    recorder.on_change = monitor.feed.bump  # live pages follow every change
    parts.get(LawyerChanges).subscribe(monitor.forget_lawyers)
    monitor.notices.append(parts.get(CriticismFollower).notice)  # criticism past its reply deadline
    return Plugin("consoles", parts=(monitor,))


PLUGIN = PluginSpec("consoles", build, routers=(api.router,))
