"""Build the controller from its plugins and run it: one ``AsyncExitStack`` holds every part that
started, so whatever started is stopped (in reverse order), also when a later part fails to start."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import TypeVar

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from hotline.ami.client import AmiClient
from hotline.ami.endpoint import ami_endpoint
from hotline.db.migrate import upgrade
from hotline.db.session import open_database
from hotline.kernel.dispatch import EventDispatcher
from hotline.kernel.health import CoreHealth, health_of
from hotline.kernel.plugin import OnConnect, Parts, Plugin, PluginSpec
from hotline.kernel.shared import Shared
from hotline.kernel.tasks import TaskSupervisor
from hotline.private_files import secure_state
from hotline.secrets import ensure_secret
from hotline.settings import Settings

log = logging.getLogger(__name__)

T = TypeVar("T")


class ConnectHooks:
    """The plugins' work after every AMI login, in plugin order (the AMI client's ``on_connected``)."""

    def __init__(self) -> None:
        self._hooks: list[tuple[str, OnConnect]] = []

    def add(self, plugin: str, hook: OnConnect) -> None:
        self._hooks.append((plugin, hook))

    async def run(self, ami: AmiClient) -> None:
        for plugin, hook in self._hooks:
            if hook.essential:
                await hook.run(ami)
                continue
            try:
                await hook.run(ami)
            except Exception:
                log.exception("%s: %s after the AMI login failed; the next login retries", plugin, hook.name)


@dataclass(frozen=True)
class Runtime:
    """The running controller: the shared dependencies and every plugin's parts, complete."""

    shared: Shared
    parts: Parts
    plugins: tuple[Plugin, ...]
    health_model: type[CoreHealth]

    def part(self, kind: type[T]) -> T:
        return self.parts.get(kind)

    def health(self) -> CoreHealth:
        return health_of(self.shared, self.plugins, self.health_model)

    # The shared dependencies, by their own names.
    @property
    def settings(self) -> Settings:
        return self.shared.settings

    @property
    def engine(self) -> Engine:
        return self.shared.engine

    @property
    def session_factory(self) -> sessionmaker[Session]:
        return self.shared.session_factory

    @property
    def clock(self) -> Callable[[], datetime]:
        return self.shared.clock

    @property
    def token_key(self) -> str:
        return self.shared.token_key

    @property
    def ami(self) -> AmiClient:
        return self.shared.ami

    @property
    def scheduler(self) -> AsyncIOScheduler:
        return self.shared.scheduler


@asynccontextmanager
async def running(
    settings: Settings,
    specs: Sequence[PluginSpec],
    health_model: type[CoreHealth],
    *,
    clock: Callable[[], datetime],
    connect_ami: bool = True,
    daily_jobs: bool = True,
) -> AsyncIterator[Runtime]:
    """Build the shared dependencies and every plugin in order, start them, connect to Asterisk;
    on leaving, stop all of it in reverse order."""
    async with AsyncExitStack() as stack:
        # The state directories (private, with explicit modes) before anything is written in them.
        await asyncio.to_thread(secure_state, settings)
        token_key = await asyncio.to_thread(ensure_secret, settings.secrets_dir / "token_key", nbytes=48)
        database = open_database(settings.resolved_database_url)
        stack.callback(database.dispose)
        await asyncio.to_thread(upgrade, database.engine)
        events = EventDispatcher()
        hooks = ConnectHooks()
        stream = None
        if connect_ami and settings.ami.save_stream is not None:
            stream = stack.enter_context(settings.ami.save_stream.open("ab", buffering=0))
        ami = AmiClient(
            ami_endpoint(settings),
            on_event=events.dispatch,
            on_connected=hooks.run,
            action_timeout=settings.ami.action_timeout,
            login_timeout=settings.ami.login_timeout,
            backoff_initial=settings.ami.backoff_initial,
            backoff_max=settings.ami.backoff_max,
            save_stream=stream,
        )
        tasks = TaskSupervisor()
        stack.push_async_callback(tasks.stop)
        shared = Shared(
            settings=settings,
            engine=database.engine,
            session_factory=database.session_factory,
            clock=clock,
            token_key=token_key,
            ami=ami,
            scheduler=AsyncIOScheduler(timezone="UTC"),
            events=events,
            tasks=tasks,
            daily_jobs=daily_jobs,
        )
        parts = Parts()
        plugins: list[Plugin] = []
        for spec in specs:
            plugin = await spec.build(shared, parts)
            for part in plugin.parts:
                parts.add(part)
            for consumer in plugin.consumes:
                events.subscribe(f"{plugin.name}.{consumer.name}", consumer.handler, consumer.types)
            for hook in plugin.on_connect:
                hooks.add(plugin.name, hook)
            for job in plugin.jobs:
                shared.scheduler.add_job(job.run, job.trigger, id=job.id, **job.options)
            if plugin.running is not None:
                await stack.enter_async_context(plugin.running())
            plugins.append(plugin)
        parts.freeze()
        shared.scheduler.start()
        stack.callback(shared.scheduler.shutdown, wait=False)
        if connect_ami:
            ami.start()
            stack.push_async_callback(ami.stop)
        yield Runtime(shared, parts, tuple(plugins), health_model)
