"""What a running controller is made of, built from settings by the app or the CLI."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from hotline.ami.client import AmiClient, AmiEndpoint
from hotline.asterisk.layout import InstanceLayout
from hotline.calls.follower import SummaryFollower
from hotline.calls.monitor import Monitor
from hotline.calls.service import CallRecorder
from hotline.db.base import utcnow
from hotline.db.session import make_engine, make_session_factory
from hotline.ivr.service import IvrConfig
from hotline.private_files import secure_state
from hotline.recordings.audit import AuditLog
from hotline.recordings.service import RecordingRegistry
from hotline.routing.applier import RosterApplier
from hotline.secrets import ensure_secret
from hotline.settings import Settings
from hotline.sip.guard import SipGuard
from hotline.tickets.delivery import Deliverer
from hotline.tickets.service import TicketDesk
from hotline.transcription.worker import Transcriber


def ami_secret(settings: Settings) -> str:
    if settings.ami.secret is not None:
        return settings.ami.secret.get_secret_value()
    return ensure_secret(settings.secrets_dir / "ami_secret")


def ami_endpoint(settings: Settings) -> AmiEndpoint:
    ami = settings.ami
    return AmiEndpoint(ami.host, ami.connect_port or ami.port, ami.username, ami_secret(settings))


def instance_layout(settings: Settings) -> InstanceLayout:
    return InstanceLayout(settings.asterisk.root, settings.asterisk.instance)


def spool_dir(settings: Settings) -> Path:
    layout = instance_layout(settings)
    return layout.host(layout.spool)


@dataclass
class Runtime:
    settings: Settings
    engine: Engine
    session_factory: sessionmaker[Session]
    token_key: str
    layout: InstanceLayout
    # The keyed, anchored audit log of access to recordings (its key is generated on first use).
    audit: AuditLog
    recorder: CallRecorder | None = None
    summaries: SummaryFollower | None = None
    ami: AmiClient | None = None
    ivr: IvrConfig | None = None
    applier: RosterApplier | None = None
    monitor: Monitor | None = None
    recordings: RecordingRegistry | None = None
    # Back-office jobs (recordings, transcription, sampling); the roster applier has its own.
    scheduler: AsyncIOScheduler | None = None
    transcriber: Transcriber | None = None
    tickets: TicketDesk | None = None
    deliverer: Deliverer | None = None
    sip_guard: SipGuard | None = None
    started: list[str] = field(default_factory=list)
    # The moment "now" for deadlines and ticket views (tests pin it; the service uses the real clock).
    clock: Callable[[], datetime] = utcnow


def build_runtime(settings: Settings, clock: Callable[[], datetime] = utcnow) -> Runtime:
    # The state directories (private, with explicit modes) before anything is written in them.
    secure_state(settings)
    engine = make_engine(settings.resolved_database_url)
    session_factory = make_session_factory(engine)
    return Runtime(
        settings=settings,
        engine=engine,
        session_factory=session_factory,
        token_key=ensure_secret(settings.secrets_dir / "token_key", nbytes=48),
        layout=instance_layout(settings),
        audit=AuditLog.from_settings(settings, session_factory),
        clock=clock,
    )
