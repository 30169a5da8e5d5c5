"""The staff plugin: the users admins manage on /admin."""

from __future__ import annotations

from hotline.kernel.plugin import Parts, Plugin, PluginSpec
from hotline.kernel.shared import Shared
from hotline.staff import api


async def build(_shared: Shared, _parts: Parts) -> Plugin:
    return Plugin("staff")


PLUGIN = PluginSpec("staff", build, routers=(api.users,))
