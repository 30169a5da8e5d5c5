"""The auth plugin: bearer tokens (OAuth2 password flow); the browser's sign-in is the pages'."""

from __future__ import annotations

from hotline.auth import api
from hotline.kernel.plugin import Parts, Plugin, PluginSpec
from hotline.kernel.shared import Shared


async def build(_shared: Shared, _parts: Parts) -> Plugin:
    return Plugin("auth")


PLUGIN = PluginSpec("auth", build, routers=(api.router,))
