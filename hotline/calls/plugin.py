"""The calls plugin: AMI events reduced to live state and call records, Asterisk's summaries merged,
and the call records' API."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from pydantic import BaseModel

from hotline.api_types import Count
from hotline.asterisk.layout import instance_layout
from hotline.calls import api
from hotline.calls.follower import SummaryFollower
from hotline.calls.service import CallRecorder, CallStore
from hotline.ivr.calendar import is_open
from hotline.ivr.service import IvrConfig
from hotline.kernel.plugin import Consumer, OnConnect, Parts, Plugin, PluginSpec
from hotline.kernel.shared import Shared


class CallsHealth(BaseModel):
    live_calls: Count
    events_seen: Count


async def build(shared: Shared, parts: Parts) -> Plugin:
    layout = instance_layout(shared.settings)
    calendar = parts.get(IvrConfig).calendar
    store = CallStore(shared.session_factory, closed_at=lambda moment: not is_open(calendar, moment))
    follower = SummaryFollower(store, layout.host(layout.summaries))
    recorder = CallRecorder(store, catch_up=follower.catch_up)
    follower.on_merged = recorder.forget_ended

    @asynccontextmanager
    async def running() -> AsyncIterator[None]:
        await recorder.load_open_calls()
        recorder.start()
        try:
            follower.start()
            try:
                yield
            finally:
                await follower.stop()
        finally:
            await recorder.stop()  # the last changes written

    def health() -> CallsHealth:
        return CallsHealth(live_calls=len(recorder.state.calls), events_seen=recorder.events_seen)

    return Plugin(
        "calls",
        parts=(store, recorder, follower),
        consumes=(Consumer("recorder", recorder.on_event),),
        # Live state rebuilt from Asterisk's snapshots before events are trusted again.
        on_connect=(OnConnect("re-sync of live calls", recorder.resync, essential=True),),
        running=running,
        health=health,
    )


PLUGIN = PluginSpec("calls", build, routers=(api.router,), health_model=CallsHealth)
