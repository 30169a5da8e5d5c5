"""The tickets plugin: a ticket per answered call and voicemail, deadlines and escalation, the
citizen's rating after a callback, and the hand-off of tickets to case records and 12345."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from sqlalchemy.orm import Session

from hotline.ami import events as ev
from hotline.calls.service import CallStore
from hotline.ivr.service import IvrConfig
from hotline.kernel.plugin import Consumer, OnConnect, Parts, Plugin, PluginSpec, lifetime
from hotline.kernel.shared import Shared
from hotline.recordings.jobs import RecordingJobs
from hotline.tickets import api
from hotline.tickets.delivery import Deliverer, endpoints_of, handoff_secret
from hotline.tickets.events import CallbackRatings
from hotline.tickets.jobs import TicketJobs
from hotline.tickets.service import TicketDesk


async def build(shared: Shared, parts: Parts) -> Plugin:
    settings = shared.settings
    ivr = parts.get(IvrConfig)
    desk = TicketDesk.of(
        ivr.calendar,
        settings.tickets.deadlines,
        settings.tickets.number_prefix,
        ivr.catalog.topic_label,
        settings.quality.low_rating_max,
        abandon_seconds=settings.tickets.abandon_callback_seconds,
        callable_min_digits=settings.tickets.callable_min_digits,
    )
    deliverer = Deliverer(
        shared.session_factory,
        endpoints_of(settings.handoff),
        await asyncio.to_thread(handoff_secret, settings),
        settings.handoff,
    )
    jobs = TicketJobs(shared.session_factory, desk, clock=shared.clock)
    ratings = CallbackRatings(shared.session_factory, shared.tasks, desk)

    def follow_records(session: Session, linkedids: Sequence[str]) -> None:
        desk.on_records(session, linkedids, shared.clock())

    # A call's ticket, its rating and the review a poor rating opens: written in the transaction
    # that writes the call's record (the sweep stays as a slow back-fill).
    parts.get(CallStore).record_hooks.append(follow_records)
    parts.get(RecordingJobs).sealed_hooks.append(jobs.review_sealed)
    return Plugin(
        "tickets",
        parts=(desk, deliverer, jobs, ratings),
        consumes=(Consumer("callbacks", ratings.on_event, (ev.CallbackRated, ev.CallbackAnswered)),),
        on_connect=(OnConnect("callbacks kept in Asterisk", ratings.on_connected),),
        running=lifetime(deliverer.start, deliverer.stop),
        jobs=jobs.jobs(escalate_every=settings.tickets.escalate_every_seconds),
    )


PLUGIN = PluginSpec("tickets", build, routers=(api.router, api.handoffs))
