"""What a plugin is: a bounded context's contribution to the controller, built from :class:`Shared`.

A context's ``plugin.py`` holds one :class:`PluginSpec`: its routers (known when the app is made)
and an async ``build`` that makes its parts from the shared dependencies and the parts of the
plugins before it, and returns a :class:`Plugin` saying what it adds. ``hotline/app.py`` lists the
specs in order; the kernel (:mod:`hotline.kernel.compose`) builds and starts them one by one.
"""

from __future__ import annotations

import inspect
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass, field
from typing import Any, TypeVar

from fastapi import APIRouter
from pydantic import BaseModel

from hotline.ami.client import AmiClient
from hotline.kernel.dispatch import EventHandler
from hotline.kernel.shared import Shared

T = TypeVar("T")


class PluginOrderError(RuntimeError):
    """A plugin asked for a part no earlier plugin provides: the plugin list is out of order."""


@dataclass(frozen=True)
class Consumer:
    """An AMI event handler (see :mod:`hotline.kernel.dispatch`); ``types`` None: every event."""

    name: str
    handler: EventHandler
    types: tuple[type, ...] | None = None


@dataclass(frozen=True)
class OnConnect:
    """Work after every AMI login, in plugin order. ``essential``: if it fails, the session is
    dropped and retried (state re-sync); otherwise the failure is logged and the next login retries."""

    name: str
    run: Callable[[AmiClient], Awaitable[object]]
    essential: bool = False


@dataclass(frozen=True)
class Job:
    """A job on the shared scheduler: APScheduler's trigger name and arguments."""

    id: str
    run: Callable[[], Awaitable[object]]
    trigger: str
    options: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Plugin:
    name: str
    # What routes and later plugins may use, each under its own type.
    parts: tuple[object, ...] = ()
    consumes: tuple[Consumer, ...] = ()
    on_connect: tuple[OnConnect, ...] = ()
    # Entered once every part is built, in plugin order; left in reverse order at shutdown (also
    # when a later plugin fails to start).
    running: Callable[[], AbstractAsyncContextManager[object]] | None = None
    jobs: tuple[Job, ...] = ()
    # Figures for /api/v1/health: an instance of the spec's ``health_model``.
    health: Callable[[], BaseModel] | None = None


class Parts:
    """The parts plugins provide, by type; complete and frozen before the first request."""

    def __init__(self) -> None:
        self._parts: dict[type, object] = {}
        self._frozen = False

    def add(self, part: object) -> None:
        if self._frozen:
            raise RuntimeError("Parts are frozen once the controller has started")
        kind = type(part)
        if kind in self._parts:
            raise PluginOrderError(f"Two plugins provide a {kind.__name__}")
        self._parts[kind] = part

    def get(self, kind: type[T]) -> T:
        part = self._parts.get(kind)
        if part is None:
            raise PluginOrderError(
                f"No plugin provides a {kind.__name__} (yet): check the plugin order in hotline/app.py"
            )
        assert isinstance(part, kind)
        return part

    def __contains__(self, kind: type) -> bool:
        return kind in self._parts

    def freeze(self) -> None:
        self._frozen = True


@dataclass(frozen=True)
class PluginSpec:
    name: str
    build: Callable[[Shared, Parts], Awaitable[Plugin]]
    routers: tuple[APIRouter, ...] = ()
    # The fields this plugin adds to /api/v1/health (None: none).
    health_model: type[BaseModel] | None = None


def lifetime(
    start: Callable[[], object], stop: Callable[[], object]
) -> Callable[[], AbstractAsyncContextManager[None]]:
    """A plugin's ``running`` from a part's ``start()`` and ``stop()`` (plain or async)."""

    @asynccontextmanager
    async def run() -> AsyncIterator[None]:
        started = start()
        if inspect.isawaitable(started):
            await started
        try:
            yield
        finally:
            stopped = stop()
            if inspect.isawaitable(stopped):
                await stopped

    return run
