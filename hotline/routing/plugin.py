"""The routing plugin: the duty roster applied to Asterisk's queues at every shift boundary, at
every AMI login and after every roster change."""

from __future__ import annotations

from pydantic import BaseModel

from hotline.ivr.service import IvrConfig
from hotline.kernel.plugin import OnConnect, Parts, Plugin, PluginSpec
from hotline.kernel.shared import Shared
from hotline.routing import api
from hotline.routing.applier import RosterApplier
from hotline.routing.changes import LawyerChanges


class RoutingHealth(BaseModel):
    # The lawyers the last application of the roster put on duty.
    roster_on_duty: list[str]


async def build(shared: Shared, parts: Parts) -> Plugin:
    applier = RosterApplier(
        shared.session_factory,
        parts.get(IvrConfig).catalog,
        ami=shared.ami,
        scheduler=shared.scheduler,
        interval_seconds=shared.settings.routing.apply_interval_seconds,
    )

    def health() -> RoutingHealth:
        return RoutingHealth(roster_on_duty=applier.last.on_duty if applier.last else [])

    return Plugin(
        "routing",
        parts=(applier, LawyerChanges()),
        on_connect=(OnConnect("roster applied", applier.on_connected),),
        jobs=(applier.job(),),
        health=health,
    )


PLUGIN = PluginSpec("routing", build, routers=(api.router,), health_model=RoutingHealth)
