"""The web plugin: the zh-CN pages (sign-in, desk, wallboard, review, admin)."""

from __future__ import annotations

from hotline.kernel.plugin import Parts, Plugin, PluginSpec
from hotline.kernel.shared import Shared
from hotline.web import feedback, pages, video


async def build(_shared: Shared, _parts: Parts) -> Plugin:
    return Plugin("web")


PLUGIN = PluginSpec("web", build, routers=(pages.router, feedback.router, video.router))
