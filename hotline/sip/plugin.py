"""The SIP guard plugin: Asterisk's security events (refused SIP requests) -> bans of the sender."""

from __future__ import annotations

from hotline.ami import events as ev
from hotline.asterisk.layout import instance_layout
from hotline.kernel.plugin import Consumer, Parts, Plugin, PluginSpec, lifetime
from hotline.kernel.shared import Shared
from hotline.sip.guard import SipGuard


async def build(shared: Shared, _parts: Parts) -> Plugin:
    if not shared.settings.sip_guard.enabled:
        return Plugin("sip")
    guard = SipGuard.of(shared.settings, instance_layout(shared.settings))
    return Plugin(
        "sip",
        parts=(guard,),
        consumes=(Consumer("guard", guard.on_event, (ev.SecurityFailure,)),),
        running=lifetime(guard.start, guard.stop),
    )


PLUGIN = PluginSpec("sip", build)
