"""The controller's jobs: the ones that run at an hour of the day are scheduled in service and
left out of the tests' apps, so no test's outcome depends on the hour the suite runs."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import select

from hotline.app import create_app
from hotline.calls.models import Call
from hotline.kernel.compose import Runtime
from hotline.settings import AsteriskSettings, Settings
from hotline.stats.models import RollupDay
from tests.helpers import ManualClock, app_without_asterisk

DAILY = {"quality-sample", "recordings-purge", "monthly-report"}


def job_ids(runtime: Runtime) -> set[str]:
    assert runtime.scheduler is not None
    return {job.id for job in runtime.scheduler.get_jobs()}


async def test_the_service_runs_the_nightly_sample_and_the_purge(tmp_path: Path) -> None:
    settings = Settings(state_dir=tmp_path, asterisk=AsteriskSettings(root=tmp_path / "asterisk-root"))
    app = create_app(settings, connect_ami=False)
    async with app.router.lifespan_context(app):
        assert job_ids(app.state.runtime) >= DAILY


async def test_the_tests_apps_leave_the_hour_of_day_jobs_out(tmp_path: Path) -> None:
    async with app_without_asterisk(tmp_path) as (_app, runtime):
        ids = job_ids(runtime)
        assert not DAILY & ids
        assert {"recordings-sweep", "tickets-sweep"} <= ids  # the every-second work goes on


async def test_the_monthly_report_runs_on_the_first_at_two_local_time(tmp_path: Path) -> None:
    settings = Settings(state_dir=tmp_path, asterisk=AsteriskSettings(root=tmp_path / "asterisk-root"))
    app = create_app(settings, connect_ami=False)
    async with app.router.lifespan_context(app):
        scheduler = app.state.runtime.scheduler
        assert scheduler is not None
        trigger = scheduler.get_job("monthly-report").trigger
        fields = {field.name: str(field) for field in trigger.fields}
        assert (fields["day"], fields["hour"], fields["minute"]) == ("1", "2", "0")
        assert str(trigger.timezone) == "Asia/Shanghai"


async def test_the_past_days_statistics_are_stored_every_ten_minutes(tmp_path: Path) -> None:
    clock = ManualClock(datetime.fromisoformat("2026-11-20T10:00:00+08:00"))
    async with app_without_asterisk(tmp_path, clock) as (_app, runtime):
        assert runtime.scheduler is not None
        job = runtime.scheduler.get_job("stats-rollup")
        assert job.trigger.interval == timedelta(minutes=10)
        with runtime.session_factory.begin() as session:
            session.add(
                Call(linkedid="yesterday", started_at=clock.now - timedelta(days=1), outcome="answered")
            )
        await job.func()
        with runtime.session_factory() as session:
            days = list(session.scalars(select(RollupDay.day)))
    # Every day from the first call's up to today (20 November, local): today is never stored.
    assert days == ["2026-11-19"]
