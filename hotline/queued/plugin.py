"""The queued plugin: what a waiting caller hears (position, expected wait, the offer to be
called back) and the queued callbacks (排队回电) of those who pressed 1."""

from __future__ import annotations

from hotline.ami import events as ev
from hotline.ivr.service import IvrConfig
from hotline.kernel.plugin import Consumer, Job, OnConnect, Parts, Plugin, PluginSpec
from hotline.kernel.shared import Shared
from hotline.queued.announce import Rules
from hotline.queued.announcer import Announcer
from hotline.queued.callbacks import QueuedCallbacks
from hotline.queued.service import Retries
from hotline.tickets.service import TicketDesk

PLACE_EVERY_SECONDS = 2.0  # how often requests due are placed


async def build(shared: Shared, parts: Parts) -> Plugin:
    settings = shared.settings
    waiting = settings.waiting
    ivr = parts.get(IvrConfig)
    rules = Rules(
        every_seconds=waiting.announce_seconds,
        default_handling_seconds=waiting.default_handling_seconds,
        wrapup_seconds=settings.asterisk.wrapup_seconds,
        positions=ivr.waiting.positions,
        minutes=ivr.waiting.minutes,
    )
    queues = [queue for queue, _label in ivr.catalog.queue_labels()]
    announcer = Announcer(shared.ami, shared.tasks, queues, rules, clock=shared.clock)
    callbacks = QueuedCallbacks(
        shared.session_factory,
        shared.tasks,
        parts.get(TicketDesk),
        shared.ami,
        retries=Retries(waiting.retries, waiting.retry_seconds),
        keep_place_seconds=waiting.keep_place_seconds,
        clock=shared.clock,
    )
    once = {"coalesce": True, "max_instances": 1}
    consumes = [
        Consumer(
            "announcements",
            announcer.on_event,
            (ev.CallerAnnounced, ev.ChannelCreated, ev.QueueCallerLeft, ev.ChannelHungUp),
        )
    ]
    jobs = [Job("waiting-announce", announcer.tick, "interval", {"seconds": waiting.check_seconds, **once})]
    on_connect = []
    if waiting.queued_callback and settings.asterisk.outside_trunk is not None:
        consumes.append(
            Consumer(
                "queued callbacks",
                callbacks.on_event,
                (
                    ev.QueuedCallbackRequested,
                    ev.CallbackStarted,
                    ev.CallbackAnswered,
                    ev.CallbackFailed,
                    ev.ChannelHungUp,
                ),
            )
        )
        jobs.append(
            Job(
                "queued-callbacks-place",
                callbacks.place_due,
                "interval",
                {"seconds": PLACE_EVERY_SECONDS, **once},
            )
        )
        on_connect.append(OnConnect("queued callbacks kept in Asterisk", callbacks.on_connected))
    return Plugin(
        "queued",
        parts=(announcer, callbacks),
        consumes=tuple(consumes),
        on_connect=tuple(on_connect),
        jobs=tuple(jobs),
    )


PLUGIN = PluginSpec("queued", build)
