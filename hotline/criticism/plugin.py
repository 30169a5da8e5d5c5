"""The criticism plugin: citizens' criticism from every channel and the duty leader's handling."""

from __future__ import annotations

import asyncio

from hotline.ami import events as ev
from hotline.criticism import api
from hotline.criticism.events import CriticismFollower
from hotline.criticism.service import CriticismDesk, heard_by_leaders, leader_hears
from hotline.criticism.taxonomy import load_taxonomy
from hotline.ivr.service import IvrConfig
from hotline.kernel.plugin import Consumer, Job, OnConnect, Parts, Plugin, PluginSpec
from hotline.kernel.shared import Shared
from hotline.recordings.need_to_know import NeedToKnow
from hotline.recordings.service import RecordingRegistry
from hotline.transcription.worker import Transcriber

REGISTER_EVERY_SECONDS = 5.0


async def build(shared: Shared, parts: Parts) -> Plugin:
    settings = shared.settings.criticism
    taxonomy = await asyncio.to_thread(load_taxonomy, settings.taxonomy)  # None: the packaged one
    desk = CriticismDesk.of(parts.get(IvrConfig).calendar, taxonomy, settings.reply_deadline)
    # A duty leader hears the messages and the calls criticism is about (need-to-know, audited).
    parts.get(NeedToKnow).grant(leader_hears, heard_by_leaders)
    follower = CriticismFollower(
        shared.session_factory, shared.tasks, desk, parts.get(RecordingRegistry), clock=shared.clock
    )
    # A recorded message's transcript becomes its text and suggests its category.
    parts.get(Transcriber).transcribed_hooks.append(follower.transcribed)
    once = {"coalesce": True, "max_instances": 1}
    return Plugin(
        "criticism",
        parts=(desk, follower),
        consumes=(Consumer("criticism", follower.on_event, (ev.CriticismLeft,)),),
        on_connect=(OnConnect("criticism kept in Asterisk", follower.on_connected),),
        jobs=(
            Job(
                "criticism-recordings",
                follower.register_messages,
                "interval",
                {"seconds": REGISTER_EVERY_SECONDS, **once},
            ),
        ),
    )


PLUGIN = PluginSpec("criticism", build, routers=(api.router, api.leaders))
