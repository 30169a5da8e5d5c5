"""The video plugin: the public video consultation page (视频咨询) and its consultations' calls."""

from __future__ import annotations

from hotline.ami import events as ev
from hotline.ivr.service import IvrConfig
from hotline.kernel.plugin import Consumer, Job, OnConnect, Parts, Plugin, PluginSpec
from hotline.kernel.shared import Shared
from hotline.video.service import VideoConsultations

EXPIRE_EVERY_SECONDS = 15
FOLLOWED = (
    ev.ChannelCreated,
    ev.QueueCallerJoined,
    ev.AgentConnected,
    ev.AgentCompleted,
    ev.CallerRated,
    ev.ChannelHungUp,
)


async def build(shared: Shared, parts: Parts) -> Plugin:
    consultations = VideoConsultations(shared.settings, parts.get(IvrConfig).catalog, shared.clock)
    once = {"coalesce": True, "max_instances": 1}
    return Plugin(
        "video",
        parts=(consultations,),
        consumes=(Consumer("video consultations", consultations.on_event, FOLLOWED),),
        on_connect=(OnConnect("video consultation endpoints locked", consultations.lock_all),),
        jobs=(
            Job("video-expire", consultations.expire, "interval", {"seconds": EXPIRE_EVERY_SECONDS, **once}),
        ),
    )


# The page and its requests are the web plugin's (hotline/web/video.py).
PLUGIN = PluginSpec("video", build)
