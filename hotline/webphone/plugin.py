"""The webphone plugin: the desk's browser phone (浏览器话机), its credentials and their ends."""

from __future__ import annotations

from hotline.kernel.plugin import Job, OnConnect, Parts, Plugin, PluginSpec
from hotline.kernel.shared import Shared
from hotline.routing.applier import RosterApplier
from hotline.routing.changes import LawyerChanges
from hotline.webphone import api
from hotline.webphone.service import BrowserPhones

EXPIRE_EVERY_SECONDS = 15


async def build(shared: Shared, parts: Parts) -> Plugin:
    phones = BrowserPhones(
        shared.settings,
        shared.session_factory,
        shared.clock,
        applier=parts.get(RosterApplier),
        changes=parts.get(LawyerChanges),
    )
    once = {"coalesce": True, "max_instances": 1}
    return Plugin(
        "webphone",
        parts=(phones,),
        on_connect=(OnConnect("browser phone credentials locked", phones.lock_all),),
        jobs=(Job("webphone-expire", phones.expire, "interval", {"seconds": EXPIRE_EVERY_SECONDS, **once}),),
    )


PLUGIN = PluginSpec("webphone", build, routers=(api.router,))
