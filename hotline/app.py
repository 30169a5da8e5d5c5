"""The controller: a FastAPI app whose lifespan wires the database, the AMI client and the call recorder."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import date, datetime
from typing import Annotated

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from fastapi import Depends, FastAPI, Request
from fastapi.responses import Response
from fastapi.staticfiles import StaticFiles
from pydantic import BaseModel
from sqlalchemy import text

from hotline.ami import events as ev
from hotline.ami.client import AmiClient
from hotline.api_errors import ERROR_RESPONSES, install_error_handlers
from hotline.api_types import Count
from hotline.auth import api as auth_api
from hotline.auth.permissions import Permission
from hotline.calls import api as calls_api
from hotline.calls import consoles as consoles_api
from hotline.calls.follower import SummaryFollower
from hotline.calls.monitor import Monitor
from hotline.calls.service import CallRecorder, CallStore
from hotline.db.base import utcnow
from hotline.db.migrate import upgrade
from hotline.deps import RuntimeDep, require
from hotline.ivr.calendar import missing_years
from hotline.ivr.service import load_ivr
from hotline.private_files import restrict_umask
from hotline.quality import api as quality_api
from hotline.quality.jobs import SamplingJob
from hotline.recordings import api as recordings_api
from hotline.recordings.jobs import RecordingJobs
from hotline.recordings.service import RecordingRegistry
from hotline.routing import api as routing_api
from hotline.routing.applier import RosterApplier
from hotline.runtime import Runtime, ami_endpoint, build_runtime, spool_dir
from hotline.settings import Settings
from hotline.sip.guard import SipGuard
from hotline.tickets import api as tickets_api
from hotline.tickets.delivery import Deliverer, endpoints_of, handoff_secret
from hotline.tickets.events import CallbackRatings
from hotline.tickets.jobs import TicketJobs
from hotline.tickets.service import TicketDesk
from hotline.transcription import api as transcription_api
from hotline.transcription import service as transcription_service
from hotline.transcription.worker import build_transcriber
from hotline.web import pages as web_pages
from hotline.web.headers import SecurityHeaders
from hotline.web.proxies import ForwardedHeaders

log = logging.getLogger(__name__)


class Health(BaseModel):
    ok: bool
    ami_connected: bool
    ami_error: str | None
    database_reachable: bool
    database_error: str | None
    live_calls: Count
    events_seen: Count
    malformed_events: Count
    failed_events: Count
    scheduler_running: bool
    roster_on_duty: list[str]
    # Years without a holiday file (ivr_flows/holidays/<year>.yaml): add them.
    calendar_missing_years: list[Count]
    # The speech model transcribing recordings (None: HOTLINE_TRANSCRIPTION__MODEL_DIR is not set,
    # recordings wait in the queue) and the queue's jobs by state.
    transcription_model: str | None
    transcription_jobs: dict[str, Count]


def create_app(
    settings: Settings,
    *,
    connect_ami: bool = True,
    clock: Callable[[], datetime] = utcnow,
    daily_jobs: bool = True,
) -> FastAPI:
    """The controller. ``clock`` is "now" for deadlines; ``daily_jobs=False`` leaves out the jobs
    that run at an hour of the day (the nightly sample, the retention purge), which tests run by
    calling them rather than by the wall clock."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        restrict_umask()  # what the controller writes from now on is its own (0600, 0700)
        runtime = build_runtime(settings, clock)
        upgrade(runtime.engine)
        app.state.runtime = runtime
        layout = runtime.layout
        store = CallStore(runtime.session_factory)
        follower = SummaryFollower(store, layout.host(layout.summaries))
        recorder = CallRecorder(store, catch_up=follower.catch_up)
        follower.on_merged = recorder.forget_ended
        await recorder.load_open_calls()
        runtime.recorder = recorder
        runtime.summaries = follower
        recorder.start()
        follower.start()
        runtime.ivr = await asyncio.to_thread(load_ivr, settings)
        runtime.monitor = Monitor(
            runtime.session_factory,
            recorder,
            runtime.ivr.catalog,
            timezone=runtime.ivr.calendar.timezone,
            service_level_seconds=settings.console.service_level_seconds,
            pause_labels=settings.routing.pause_reasons,
        )
        recorder.on_change = runtime.monitor.feed.bump  # live pages follow every change
        runtime.recordings = await asyncio.to_thread(
            RecordingRegistry.from_settings,
            settings,
            runtime.session_factory,
            spool_dir(settings),
            runtime.audit,
        )
        runtime.recordings.purge_hooks.append(transcription_service.forget)
        runtime.transcriber = build_transcriber(settings, runtime.session_factory, runtime.recordings)
        scheduler = AsyncIOScheduler(timezone=runtime.ivr.calendar.timezone)
        RecordingJobs(runtime.recordings, on_sealed=runtime.transcriber.enqueue).schedule(
            scheduler, purge_at=settings.recordings.purge_at if daily_jobs else None
        )
        if daily_jobs:
            SamplingJob(runtime.session_factory, settings.quality, runtime.ivr.calendar.timezone).schedule(
                scheduler
            )
        runtime.tickets = TicketDesk.of(
            runtime.ivr.calendar,
            settings.tickets.deadlines,
            settings.tickets.number_prefix,
            runtime.ivr.catalog.topic_label,
            settings.quality.low_rating_max,
        )
        runtime.deliverer = Deliverer(
            runtime.session_factory,
            endpoints_of(settings.handoff),
            await asyncio.to_thread(handoff_secret, settings),
            settings.handoff,
        )
        runtime.deliverer.start()
        TicketJobs(runtime.session_factory, runtime.tickets, clock=clock).schedule(
            scheduler, escalate_every=settings.tickets.escalate_every_seconds
        )
        runtime.transcriber.start()
        runtime.scheduler = scheduler
        scheduler.start()
        stream = None
        if connect_ami:
            stream = settings.ami.save_stream.open("ab", buffering=0) if settings.ami.save_stream else None
            applier = RosterApplier(
                runtime.session_factory,
                runtime.ivr.catalog,
                interval_seconds=settings.routing.apply_interval_seconds,
            )

            ratings = CallbackRatings(runtime.session_factory)

            async def on_connected(ami: AmiClient) -> None:
                await recorder.resync(ami)
                await applier.on_connected(ami)
                try:
                    taken = await ratings.on_connected(ami)
                except Exception:
                    log.exception(
                        "Reading the callback ratings kept in Asterisk failed; the next connect retries"
                    )
                else:
                    if taken:
                        log.info("Took %d callback ratings given while the controller was away", taken)

            # Refused SIP requests (Asterisk's security events) -> bans of the sending address.
            guard = SipGuard.of(settings, runtime.layout) if settings.sip_guard.enabled else None

            def on_event(event: ev.Event) -> None:
                recorder.on_event(event)
                ratings.on_event(event)
                if guard is not None:
                    guard.on_event(event)

            client = AmiClient(
                ami_endpoint(settings),
                on_event=on_event,
                on_connected=on_connected,
                action_timeout=settings.ami.action_timeout,
                login_timeout=settings.ami.login_timeout,
                backoff_initial=settings.ami.backoff_initial,
                backoff_max=settings.ami.backoff_max,
                save_stream=stream,
            )
            runtime.ami = client
            runtime.applier = applier
            applier.start(client)
            if guard is not None:
                runtime.sip_guard = guard
                guard.start()
            client.start()
        try:
            yield
        finally:
            scheduler.shutdown(wait=False)
            await runtime.transcriber.stop()
            await runtime.deliverer.stop()
            if runtime.applier is not None:
                runtime.applier.stop()
            if runtime.ami is not None:
                await runtime.ami.stop()
            if runtime.sip_guard is not None:
                await runtime.sip_guard.stop()
            if stream is not None:
                stream.close()
            await follower.stop()
            await recorder.stop()
            runtime.engine.dispose()

    # Every route documents the error shape (hotline/api_errors.py) for its 4xx and 5xx answers.
    app = FastAPI(title="12348 hotline", version="0.1.0", lifespan=lifespan, responses=ERROR_RESPONSES)

    install_error_handlers(app)

    @app.exception_handler(web_pages.PageDenied)
    async def page_denied(_request: Request, exc: web_pages.PageDenied) -> Response:
        return exc.response

    # Outermost last: forwarded headers are resolved before anything reads the client's address.
    app.add_middleware(SecurityHeaders)
    app.add_middleware(ForwardedHeaders, trusted_proxies=settings.web.trusted_proxies)
    app.mount("/static", StaticFiles(directory=web_pages.STATIC_DIR), name="static")
    app.include_router(auth_api.router)
    app.include_router(auth_api.users)
    app.include_router(calls_api.router)
    app.include_router(routing_api.router)
    app.include_router(consoles_api.router)
    app.include_router(recordings_api.router)
    app.include_router(recordings_api.audit_router)
    app.include_router(transcription_api.router)
    app.include_router(quality_api.router)
    app.include_router(tickets_api.router)
    app.include_router(tickets_api.handoffs)
    app.include_router(web_pages.router)

    @app.get("/api/v1/health", tags=["health"])
    def health(
        runtime: RuntimeDep, _user: Annotated[object, Depends(require(Permission.view_health))]
    ) -> Health:
        return health_of(runtime)

    return app


def health_of(runtime: Runtime) -> Health:
    database_error = None
    try:
        with runtime.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except Exception as exc:
        database_error = str(exc).splitlines()[0]
    ami: AmiClient | None = runtime.ami
    recorder = runtime.recorder
    pool = runtime.transcriber.pool if runtime.transcriber is not None else None
    jobs: dict[str, int] = {}
    if database_error is None:
        with runtime.session_factory() as session:
            jobs = transcription_service.job_counts(session)
    connected = bool(ami and ami.connected)
    return Health(
        ok=connected and database_error is None,
        ami_connected=connected,
        ami_error=None if connected or ami is None or ami.last_error is None else str(ami.last_error),
        database_reachable=database_error is None,
        database_error=database_error,
        live_calls=len(recorder.state.calls) if recorder else 0,
        events_seen=recorder.events_seen if recorder else 0,
        malformed_events=ami.malformed_events if ami else 0,
        failed_events=ami.failed_events if ami else 0,
        scheduler_running=bool(runtime.scheduler and runtime.scheduler.running)
        and (runtime.ami is None or bool(runtime.applier and runtime.applier.running)),
        roster_on_duty=runtime.applier.last.on_duty if runtime.applier and runtime.applier.last else [],
        calendar_missing_years=missing_years(runtime.ivr.calendar, date.today()) if runtime.ivr else [],
        transcription_model=pool.model_name if pool is not None else None,
        transcription_jobs=jobs,
    )
