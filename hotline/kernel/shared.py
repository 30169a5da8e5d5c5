"""The one fixed, typed set of dependencies every plugin is built from."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from hotline.ami.client import AmiClient
from hotline.kernel.dispatch import EventDispatcher
from hotline.kernel.tasks import TaskSupervisor
from hotline.settings import Settings


@dataclass(frozen=True)
class Shared:
    settings: Settings
    engine: Engine
    session_factory: sessionmaker[Session]
    # "Now" for deadlines, sessions and day boundaries (tests pin it; the service uses the real clock).
    clock: Callable[[], datetime]
    # Signs bearer tokens, login nonces and listening grants (generated on first start).
    token_key: str
    # The only user of the AMI socket; started by the kernel after every plugin has started.
    ami: AmiClient
    # The one scheduler (UTC; a job at an hour of the day names its own time zone).
    scheduler: AsyncIOScheduler
    events: EventDispatcher
    tasks: TaskSupervisor
    # False: the jobs that run at an hour of the day are left out (tests call them instead).
    daily_jobs: bool = True
