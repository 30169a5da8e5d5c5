"""The routing plugin: the duty roster applied to Asterisk's queues at every shift boundary, at
every AMI login and after every roster change; the lawyers' presence in the queues read from
Asterisk's queue_log."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from pydantic import BaseModel

from hotline.api_types import Count
from hotline.asterisk.layout import instance_layout
from hotline.ivr.service import IvrConfig
from hotline.kernel.plugin import OnConnect, Parts, Plugin, PluginSpec
from hotline.kernel.shared import Shared
from hotline.routing import api
from hotline.routing.applier import RosterApplier
from hotline.routing.changes import LawyerChanges
from hotline.routing.presence_follower import PresenceFollower


class RoutingHealth(BaseModel):
    # The lawyers the last application of the roster put on duty.
    roster_on_duty: list[str]
    # queue_log lines the presence follower could not read (skipped) since the start.
    presence_lines_skipped: Count
    # Why the last reading of the queue_log failed (None: it did not).
    presence_error: str | None


async def build(shared: Shared, parts: Parts) -> Plugin:
    applier = RosterApplier(
        shared.session_factory,
        parts.get(IvrConfig).catalog,
        ami=shared.ami,
        scheduler=shared.scheduler,
        interval_seconds=shared.settings.routing.apply_interval_seconds,
    )
    layout = instance_layout(shared.settings)
    presence = PresenceFollower(shared.session_factory, layout.host(layout.queue_log))

    @asynccontextmanager
    async def running() -> AsyncIterator[None]:
        presence.start()
        try:
            yield
        finally:
            await presence.stop()

    def health() -> RoutingHealth:
        return RoutingHealth(
            roster_on_duty=applier.last.on_duty if applier.last else [],
            presence_lines_skipped=presence.lines_skipped,
            presence_error=presence.last_error,
        )

    return Plugin(
        "routing",
        parts=(applier, LawyerChanges(), presence),
        on_connect=(OnConnect("roster applied", applier.on_connected),),
        running=running,
        jobs=(applier.job(),),
        health=health,
    )


PLUGIN = PluginSpec("routing", build, routers=(api.router,), health_model=RoutingHealth)
