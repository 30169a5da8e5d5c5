"""The criticism plugin: citizens' criticism from every channel and the duty leader's handling."""

from __future__ import annotations

import asyncio

from hotline.criticism import api
from hotline.criticism.service import CriticismDesk
from hotline.criticism.taxonomy import default_taxonomy, load_taxonomy
from hotline.ivr.service import IvrConfig
from hotline.kernel.plugin import Parts, Plugin, PluginSpec
from hotline.kernel.shared import Shared


async def build(shared: Shared, parts: Parts) -> Plugin:
    settings = shared.settings.criticism
    path = settings.taxonomy
    taxonomy = await asyncio.to_thread(default_taxonomy if path is None else lambda: load_taxonomy(path))
    desk = CriticismDesk.of(parts.get(IvrConfig).calendar, taxonomy, settings.reply_deadline)
    return Plugin("criticism", parts=(desk,))


PLUGIN = PluginSpec("criticism", build, routers=(api.router, api.leaders))
