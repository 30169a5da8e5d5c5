"""The plugin kernel: one dispatcher with isolated handlers, supervised tasks, and a start that
stops whatever started when a later part fails."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
import pytest
from fastapi import APIRouter

from hotline.ami import events as ev
from hotline.app import PLUGINS, create_app
from hotline.auth.service import create_user
from hotline.kernel.compose import running
from hotline.kernel.deps import part
from hotline.kernel.dispatch import EventDispatcher
from hotline.kernel.health import health_model
from hotline.kernel.plugin import Consumer, Parts, Plugin, PluginOrderError, PluginSpec
from hotline.kernel.shared import Shared
from hotline.kernel.tasks import SupervisorClosed, TaskSupervisor
from hotline.settings import AsteriskSettings, Settings


def rated(linkedid: str, rating: int = 4) -> ev.CallbackRated:
    return ev.CallbackRated(1.0, linkedid, linkedid, "12348-20261204-0001", rating)


def settings_in(tmp_path: Path) -> Settings:
    return Settings(state_dir=tmp_path, asterisk=AsteriskSettings(root=tmp_path / "asterisk-root"))


# --- the dispatcher --------------------------------------------------------------------------------


def test_a_failing_handler_is_logged_with_the_call_counted_and_starves_no_other(
    caplog: pytest.LogCaptureFixture,
) -> None:
    dispatcher = EventDispatcher()
    seen: list[str] = []

    def boom(event: ev.Event) -> None:
        raise RuntimeError("broken handler")

    dispatcher.subscribe("first", lambda event: seen.append("first"))
    dispatcher.subscribe("boom", boom)
    dispatcher.subscribe("last", lambda event: seen.append("last"))
    with caplog.at_level(logging.ERROR):
        dispatcher.dispatch(rated("1712.7"))
        dispatcher.dispatch(rated("1712.8"))
    assert seen == ["first", "last", "first", "last"]
    assert dispatcher.failures == {"first": 0, "boom": 2, "last": 0}
    lines = [r.getMessage() for r in caplog.records]
    assert any("boom" in line and "call 1712.7" in line for line in lines), lines


def test_events_reach_only_the_handlers_of_their_type_in_arrival_order() -> None:
    dispatcher = EventDispatcher()
    ratings: list[str] = []
    everything: list[str] = []
    dispatcher.subscribe("ratings", lambda e: ratings.append(e.linkedid), (ev.CallbackRated,))  # type: ignore[attr-defined]
    dispatcher.subscribe("all", lambda e: everything.append(type(e).__name__))
    hangup = ev.Hangup.__new__(ev.Hangup) if hasattr(ev, "Hangup") else None
    for event in (rated("1.1"), rated("1.2")):
        dispatcher.dispatch(event)
    if hangup is not None:
        dispatcher.dispatch(hangup)
    assert ratings == ["1.1", "1.2"]
    assert everything[:2] == ["CallbackRated", "CallbackRated"]
    assert dispatcher.dispatched == len(everything)


def test_two_handlers_of_one_name_are_refused() -> None:
    dispatcher = EventDispatcher()
    dispatcher.subscribe("recorder", lambda e: None)
    with pytest.raises(ValueError, match="recorder"):
        dispatcher.subscribe("recorder", lambda e: None)


# --- supervised tasks ------------------------------------------------------------------------------


async def test_a_failing_task_is_logged_with_what_it_was_about(caplog: pytest.LogCaptureFixture) -> None:
    tasks = TaskSupervisor()

    async def fail() -> None:
        raise RuntimeError("database away")

    with caplog.at_level(logging.ERROR):
        task = tasks.spawn(fail(), name="rating-7", about="call 1712.9")
        await asyncio.gather(task, return_exceptions=True)
    assert tasks.failed == 1 and tasks.running == 0
    assert any("rating-7" in r.getMessage() and "call 1712.9" in r.getMessage() for r in caplog.records)


async def test_stop_awaits_the_running_tasks_then_takes_no_more() -> None:
    tasks = TaskSupervisor()
    finished: list[str] = []
    release = asyncio.Event()

    async def store() -> None:
        await release.wait()
        finished.append("stored")

    tasks.spawn(store(), name="store")
    stopping = asyncio.create_task(tasks.stop(grace=5))
    await asyncio.sleep(0)
    release.set()
    await stopping
    assert finished == ["stored"]

    async def late() -> None:
        finished.append("late")

    with pytest.raises(SupervisorClosed):
        tasks.spawn(late(), name="late")
    assert finished == ["stored"]


async def test_stop_cancels_what_outlasts_the_grace_period() -> None:
    tasks = TaskSupervisor()
    task = tasks.spawn(asyncio.Event().wait(), name="forever")
    await tasks.stop(grace=0.05)
    assert task.cancelled()


# --- composing plugins -----------------------------------------------------------------------------


class Probe:
    """A part that notes its start and stop."""

    def __init__(self, log: list[str], name: str) -> None:
        self.log, self.name = log, name

    @asynccontextmanager
    async def running(self) -> AsyncIterator[None]:
        self.log.append(f"start {self.name}")
        try:
            yield
        finally:
            self.log.append(f"stop {self.name}")


async def test_a_plugin_failing_to_build_stops_every_plugin_started_before_it(tmp_path: Path) -> None:
    log: list[str] = []

    def started(name: str) -> PluginSpec:
        async def build(_shared: Shared, _parts: Parts) -> Plugin:
            return Plugin(name, running=Probe(log, name).running)

        return PluginSpec(name, build)

    async def broken(_shared: Shared, _parts: Parts) -> Plugin:
        raise RuntimeError("the third plugin cannot start")

    specs = (started("one"), started("two"), PluginSpec("three", broken))
    with pytest.raises(RuntimeError, match="third plugin"):
        async with running(
            settings_in(tmp_path), specs, health_model(specs), clock=lambda: None, connect_ami=False
        ):  # type: ignore[arg-type,return-value]
            pytest.fail("the controller must not run without every plugin")
    assert log == ["start one", "start two", "stop two", "stop one"]


async def test_a_part_asked_for_before_any_plugin_provides_it_names_the_plugin_order(tmp_path: Path) -> None:
    class Catalogue:
        pass

    async def needs(_shared: Shared, parts: Parts) -> Plugin:
        parts.get(Catalogue)
        return Plugin("needs")

    specs = (PluginSpec("needs", needs),)
    with pytest.raises(PluginOrderError, match="No plugin provides a Catalogue"):
        async with running(
            settings_in(tmp_path), specs, health_model(specs), clock=lambda: None, connect_ami=False
        ):  # type: ignore[arg-type,return-value]
            pass


async def test_a_route_needing_a_part_no_plugin_provides_stops_the_start(tmp_path: Path) -> None:
    class Orphan:
        pass

    router = APIRouter()

    @router.get("/api/v1/orphan")
    def orphan(_part: object = part(Orphan)) -> dict[str, str]:
        return {}

    async def build(_shared: Shared, _parts: Parts) -> Plugin:
        return Plugin("orphan")

    app = create_app(
        settings_in(tmp_path), connect_ami=False, plugins=(*PLUGINS, PluginSpec("orphan", build, (router,)))
    )
    with pytest.raises(PluginOrderError, match="/api/v1/orphan: Orphan"):
        async with app.router.lifespan_context(app):
            pass


async def test_health_counts_a_failing_handler_and_the_others_still_see_the_event(tmp_path: Path) -> None:
    async def build(_shared: Shared, _parts: Parts) -> Plugin:
        def boom(event: ev.Event) -> None:
            raise RuntimeError("broken consumer")

        return Plugin("broken", consumes=(Consumer("boom", boom),))

    settings = settings_in(tmp_path)
    app = create_app(
        settings, connect_ami=False, daily_jobs=False, plugins=(*PLUGINS, PluginSpec("broken", build))
    )
    async with app.router.lifespan_context(app):
        runtime = app.state.runtime
        with runtime.session_factory.begin() as session:
            create_user(session, "watcher", "watcher-password-1", "supervisor")
        runtime.shared.events.dispatch(rated("1712.10"))
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
            token = (
                await http.post(
                    "/api/v1/auth/token", data={"username": "watcher", "password": "watcher-password-1"}
                )
            ).json()["access_token"]
            health = (await http.get("/api/v1/health", headers={"Authorization": f"Bearer {token}"})).json()
    assert health["handler_failures"]["broken.boom"] == 1
    assert health["failed_events"] == 1
    assert health["handler_failures"]["calls.recorder"] == 0
    assert health["events_seen"] == 1  # the recorder got the event the broken handler failed on
