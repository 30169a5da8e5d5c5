"""The metrics plugin: ``/metrics`` for Prometheus, read from the other plugins' parts."""

from __future__ import annotations

from hotline.calls.service import CallRecorder, CallStore
from hotline.ivr.service import IvrConfig
from hotline.kernel.plugin import Parts, Plugin, PluginSpec
from hotline.kernel.shared import Shared
from hotline.metrics import api
from hotline.metrics.collector import HotlineMetrics, Sources, Stored, stored_figures
from hotline.metrics.token import ScrapeToken, scrape_token_path


async def build(shared: Shared, parts: Parts) -> Plugin:
    catalog = parts.get(IvrConfig).catalog
    recorder = parts.get(CallRecorder)

    def stored() -> Stored:
        with shared.session_factory() as session:
            return stored_figures(session)

    metrics = HotlineMetrics(
        Sources(
            live_state=lambda: recorder.state,
            queues=catalog.queue_labels,
            ami=shared.ami,
            handler_failures=lambda: shared.events.failures,
            stored=stored,
        ),
        queues=[queue for queue, _label in catalog.queue_labels()],
    )
    parts.get(CallStore).ended_hooks.append(metrics.records_ended)
    return Plugin("metrics", parts=(metrics, ScrapeToken(scrape_token_path(shared.settings))))


PLUGIN = PluginSpec("metrics", build, routers=(api.router,))
