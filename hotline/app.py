"""The controller: a FastAPI app composed of the bounded contexts' plugins.

The plugin list below is the whole wiring. Each plugin is built in this order from the same shared
dependencies (:class:`~hotline.kernel.shared.Shared`) and may use the parts of the plugins before
it; the kernel (:mod:`hotline.kernel.compose`) starts them in this order and stops them in reverse.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Annotated, Any

from fastapi import Depends, FastAPI, Request
from fastapi.responses import Response
from fastapi.staticfiles import StaticFiles

from hotline.api_errors import ERROR_RESPONSES, install_error_handlers
from hotline.assessment import plugin as assessment
from hotline.auth import plugin as auth
from hotline.auth.deps import require
from hotline.auth.permissions import Permission
from hotline.calls import plugin as calls
from hotline.consoles import plugin as consoles
from hotline.criticism import plugin as criticism
from hotline.db.base import utcnow
from hotline.http.headers import SecurityHeaders
from hotline.http.proxies import ForwardedHeaders
from hotline.ivr import plugin as ivr
from hotline.kernel.compose import Runtime, running
from hotline.kernel.deps import get_runtime, missing_parts
from hotline.kernel.health import health_model
from hotline.kernel.plugin import PluginOrderError, PluginSpec
from hotline.metrics import plugin as metrics
from hotline.private_files import restrict_umask
from hotline.quality import plugin as quality
from hotline.queued import plugin as queued
from hotline.recordings import plugin as recordings
from hotline.reports import plugin as reports
from hotline.routing import plugin as routing
from hotline.settings import Settings
from hotline.sip import plugin as sip
from hotline.staff import plugin as staff
from hotline.stats import plugin as stats
from hotline.tickets import plugin as tickets
from hotline.transcription import plugin as transcription
from hotline.video import plugin as video
from hotline.web import pages as web_pages
from hotline.web import plugin as web
from hotline.webphone import plugin as webphone

# In build order: a plugin may use the parts of those above it.
PLUGINS: tuple[PluginSpec, ...] = (
    ivr.PLUGIN,  # topics, calendar, flows
    calls.PLUGIN,  # AMI events -> live state -> call records
    recordings.PLUGIN,  # register, seal, purge; audited access
    transcription.PLUGIN,  # sealed recordings -> Vosk transcripts
    quality.PLUGIN,  # sampling, reviews, scorecards
    tickets.PLUGIN,  # tickets, deadlines, callback ratings, hand-offs
    routing.PLUGIN,  # roster -> queue members
    queued.PLUGIN,  # what waiting callers hear; queued callbacks (排队回电)
    criticism.PLUGIN,  # citizens' criticism (群众批评意见), the duty leader (领导值守)
    webphone.PLUGIN,  # the desk's browser phone: credentials issued, renewed, locked
    video.PLUGIN,  # video consultations (视频咨询): endpoints lent, calls followed
    stats.PLUGIN,  # KPIs of any period: the API, the report's and the wallboard's figures
    consoles.PLUGIN,  # wallboard, desk
    assessment.PLUGIN,  # the lawyers' monthly assessment (动态考核)
    reports.PLUGIN,  # the monthly report: kept, scheduled, downloaded, submitted
    sip.PLUGIN,  # refused SIP requests -> bans
    auth.PLUGIN,  # bearer tokens
    staff.PLUGIN,  # users, desk accounts, supervisors' phones
    web.PLUGIN,  # pages
    metrics.PLUGIN,  # /metrics for Prometheus
)


def create_app(
    settings: Settings,
    *,
    connect_ami: bool = True,
    clock: Callable[[], datetime] = utcnow,
    daily_jobs: bool = True,
    plugins: tuple[PluginSpec, ...] = PLUGINS,
) -> FastAPI:
    """The controller. ``clock`` is "now" for deadlines; ``daily_jobs=False`` leaves out the jobs
    that run at an hour of the day (the nightly sample, the retention purge), which tests run by
    calling them rather than by the wall clock."""
    health = health_model(plugins)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        restrict_umask()  # what the controller writes from now on is its own (0600, 0700)
        async with running(
            settings, plugins, health, clock=clock, connect_ami=connect_ami, daily_jobs=daily_jobs
        ) as runtime:
            routes = [route for spec in plugins for router in spec.routers for route in router.routes]
            missing = missing_parts(routes, runtime.parts)
            if missing:
                raise PluginOrderError("Routes need parts no plugin provides: " + "; ".join(missing))
            app.state.runtime = runtime
            yield

    # Every route documents the error shape (hotline/api_errors.py) for its 4xx and 5xx answers.
    app = FastAPI(title="12348 hotline", version="0.1.0", lifespan=lifespan, responses=ERROR_RESPONSES)

    install_error_handlers(app)  # every error: error_id, message, message_zh, details

    @app.exception_handler(web_pages.PageDenied)
    async def page_denied(_request: Request, exc: web_pages.PageDenied) -> Response:
        return exc.response

    # Outermost last: forwarded headers are resolved before anything reads the client's address.
    webrtc = settings.webrtc  # the browser phone's WebSocket is the one connection elsewhere
    app.add_middleware(SecurityHeaders, connect=[webrtc.origin] if webrtc.enabled else [])
    app.add_middleware(ForwardedHeaders, trusted_proxies=settings.web.trusted_proxies)
    app.mount("/static", StaticFiles(directory=web_pages.STATIC_DIR), name="static")
    for spec in plugins:
        for router in spec.routers:
            app.include_router(router)

    @app.get("/api/v1/health", tags=["health"], response_model=health)
    def health_route(
        runtime: Annotated[Runtime, Depends(get_runtime)],
        _user: Annotated[object, Depends(require(Permission.view_health))],
    ) -> Any:
        return runtime.health()

    return app
