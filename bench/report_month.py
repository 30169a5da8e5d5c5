"""The monthly report, the statistics API and the wallboard's "today" at a province's scale.

Times, on each database, over one month of 1,000,000 calls (November 2026) and 50,000 calls of
"today" (5 December 2026, a working day, up to 18:00 local), as filled by
``bench/synthetic_month.py``:

* the whole monthly report: ``MonthlyBuilder.build`` for the month (its queries), then the XLSX
  and the PDF rendered from it (goal: 10 s on PostgreSQL);
* ``GET /api/v1/stats?from=2026-11-01&until=2026-12-01&by=day`` through the real app (its
  lifespan running, over httpx's ASGI transport, signed in as a supervisor; the JSON included;
  goal: 1 s), and for information ``by=day,topic`` and ``by=lawyer``;
* the wallboard's figures of today: ``Statistics.today_each`` by queue and by lawyer, from one
  reading, as the Monitor reads them (goal: 100 ms).

Before the timings, the past days' roll-ups are stored (``hotline/stats/rollup.py``, as the app's
job does every few minutes; the refresh is timed and printed): the report and the API read
November from them, and the open tickets' deadlines live.

Each run is timed on its own (wall clock); the script prints every run, then min-max, median and
the share of the goal. The clock stands at 2026-12-05 18:00 Asia/Shanghai throughout.

The data is checked first (the schema against the models, the calls of the month and of today);
when it is missing or out of date, or with ``--fill``, the database is filled again with
``synthetic_month.fill`` (its hotline tables are dropped). A filled database has no Alembic
version table (the filler creates the schema from the models): it is stamped at the head
revision, which the app's start-up then finds current. The app's start also writes a supervisor
account (``bench-supervisor``) if missing, and signing in writes its session.

    .venv/bin/python bench/report_month.py [--engines postgresql,sqlite] [--url URL ...]
        [--runs 5] [--fill]
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine, func, inspect, select
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # bench.synthetic_month, when run as a script
    sys.path.insert(0, str(ROOT))

from bench.synthetic_month import ensure_database, fill  # noqa: E402
from hotline.app import create_app  # noqa: E402
from hotline.auth.models import User  # noqa: E402
from hotline.auth.service import create_user  # noqa: E402
from hotline.calls.models import Call  # noqa: E402
from hotline.db.migrate import alembic_config  # noqa: E402
from hotline.db.models import metadata  # noqa: E402
from hotline.db.session import Database, open_database  # noqa: E402
from hotline.ivr.calendar import load_calendar  # noqa: E402
from hotline.ivr.catalog import load_catalog  # noqa: E402
from hotline.reports.monthly import MonthlyBuilder  # noqa: E402
from hotline.reports.pdf import render_pdf  # noqa: E402
from hotline.reports.xlsx import render_xlsx  # noqa: E402
from hotline.settings import AsteriskSettings, Settings, SipGuardSettings  # noqa: E402
from hotline.stats.periods import Period, local_midnight, month_period  # noqa: E402
from hotline.stats.plugin import thresholds_of  # noqa: E402
from hotline.stats.rollup import Rollups  # noqa: E402
from hotline.stats.service import Grouped, Statistics  # noqa: E402

URLS = {
    "postgresql": "postgresql+psycopg://postgres@127.0.0.1:5432/hotline_bench",
    "sqlite": "sqlite:////tmp/hotline_bench.sqlite",
}
MONTH = "2026-11"
CALLS = 1_000_000
TODAY = date(2026, 12, 5)
TODAY_CALLS = 50_000
ZONE = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 12, 5, 18, 0, tzinfo=ZONE).astimezone(UTC)
# Seconds.
REPORT_GOAL = 10.0
STATS_GOAL = 1.0
TODAY_GOAL = 0.1
USERNAME = "bench-supervisor"
PASSWORD = "bench-supervisor-password"  # noqa: S105 - a bench account's
STATS_QUERIES: tuple[tuple[str, float | None], ...] = (
    ("day", STATS_GOAL),
    ("day,topic", None),
    ("lawyer", None),
)


# --- figures ---------------------------------------------------------------------------------------


@dataclass
class Series:
    """The seconds of each run of one thing timed."""

    name: str
    goal: float | None = None
    seconds: list[float] = field(default_factory=list)

    def line(self) -> str:
        low, high, middle = min(self.seconds), max(self.seconds), statistics.median(self.seconds)
        runs = ", ".join(_duration(s) for s in self.seconds)
        text = f"  {self.name}: {_duration(low)}-{_duration(high)}, median {_duration(middle)} ({runs})"
        if self.goal is not None:
            met = (
                "met on every run" if high <= self.goal else f"missed on {self.missed} of {len(self.seconds)}"
            )
            text += (
                f"; goal {_duration(self.goal)}: {low / self.goal:.2f}-{high / self.goal:.2f} of it, {met}"
            )
        return text

    @property
    def missed(self) -> int:
        return sum(1 for s in self.seconds if self.goal is not None and s > self.goal)


def _duration(seconds: float) -> str:
    return f"{seconds * 1000:.0f} ms" if seconds < 1 else f"{seconds:.2f} s"


class TimedStatistics(Statistics):
    """Statistics that add up the seconds of each reading (the report's queries, split)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.spent: dict[str, float] = {}

    def grouped_each(
        self, session: Session, period: Period, groupings: Sequence[Sequence[str]], **kwargs: Any
    ) -> list[Grouped]:
        started = time.perf_counter()
        try:
            return super().grouped_each(session, period, groupings, **kwargs)
        finally:
            name = " + ".join(",".join(by) or "total" for by in groupings)
            if period.first.isoformat()[:7] != MONTH:
                name += f" of {period.first.isoformat()[:7]}"
            self.spent[name] = self.spent.get(name, 0.0) + time.perf_counter() - started


# --- the data --------------------------------------------------------------------------------------


def what_is_missing(engine: Engine) -> str | None:
    """Why the database does not hold the bench's data (None: it does)."""
    with engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), metadata)
        if differences:
            return (
                f"the schema differs from the models ({len(differences)} differences, e.g. {differences[0]})"
            )
        month = month_period(MONTH, ZONE.key)
        counted = {
            "the month": (month.start, month.end, CALLS),
            "today": (local_midnight(TODAY, ZONE.key), NOW, TODAY_CALLS),
        }
        for name, (start, end, wanted) in counted.items():
            found = connection.scalar(
                select(func.count()).select_from(Call).where(Call.started_at >= start, Call.started_at < end)
            )
            if found != wanted:
                return f"{found:,} calls in {name}, not {wanted:,}"
    return None


def prepare(engine: Engine, *, refill: bool) -> None:
    """Fill the database if its data is missing (or if asked), and stamp the Alembic head on a
    schema made from the models."""
    missing = "asked to" if refill else what_is_missing(engine)
    if missing is not None:
        print(f"  filling ({missing}): {MONTH}, {CALLS:,} calls, {TODAY_CALLS:,} of {TODAY} up to {NOW}")
        figures = fill(
            engine, MONTH, CALLS, today=TODAY, today_calls=TODAY_CALLS, today_workday=True, now=NOW
        )
        for line in figures.lines():
            print("  " + line)
    if missing is not None or not inspect(engine).has_table("alembic_version"):
        command.stamp(alembic_config(engine), "head", purge=True)
        print("  stamped the Alembic head revision (the schema was made from the models)")


def settings_for(url: str, state_dir: Path) -> Settings:
    # No Asterisk here: the SIP guard would retry writing its ACL file every 5 s.
    return Settings(
        state_dir=state_dir,
        database_url=url,
        asterisk=AsteriskSettings(root=state_dir / "asterisk-root"),
        sip_guard=SipGuardSettings(enabled=False),
    )


@contextmanager
def database_at(url: str) -> Iterator[Database]:
    database = open_database(url)
    try:
        yield database
    finally:
        database.dispose()


# --- what is timed ---------------------------------------------------------------------------------


def time_report(sessions: sessionmaker[Session], settings: Settings, runs: int) -> list[Series]:
    """The monthly report: its queries (build), then XLSX and PDF."""
    flows = settings.ivr.flows_dir
    timezone = load_calendar(flows / "calendar.yaml", flows / "holidays").timezone
    whole, queries, xlsx, pdf = (
        Series("whole report", REPORT_GOAL),
        Series("  queries (build)"),
        Series("  XLSX"),
        Series("  PDF"),
    )
    spent: dict[str, list[float]] = {}
    for _ in range(runs):
        thresholds = thresholds_of(settings)
        stats = TimedStatistics(thresholds, timezone, lambda: NOW, Rollups(thresholds, timezone, lambda: NOW))
        builder = MonthlyBuilder(stats, load_catalog(flows / "topics.yaml"), settings.stats.bureau)
        started = time.perf_counter()
        with sessions() as session:
            report = builder.build(session, MONTH, generated_at=NOW)
        built = time.perf_counter()
        workbook = render_xlsx(report)
        rendered = time.perf_counter()
        document = render_pdf(report)
        finished = time.perf_counter()
        whole.seconds.append(finished - started)
        queries.seconds.append(built - started)
        xlsx.seconds.append(rendered - built)
        pdf.seconds.append(finished - rendered)
        for name, seconds in stats.spent.items():
            spent.setdefault(name, []).append(seconds)
        if not workbook or not document.startswith(b"%PDF"):
            raise RuntimeError("the report did not render")
    calls = report.summary.rows[0][1]  # the summary's first row: 来电量
    size = f"XLSX {len(workbook):,} B, PDF {len(document):,} B"
    print(f"  the report: {calls:,} calls, {len(report.tables)} tables, {size}")
    groupings = [Series(f"    by {name}", None, seconds) for name, seconds in spent.items()]
    return [whole, queries, *groupings, xlsx, pdf]


async def time_api(url: str, runs: int) -> list[Series]:
    """GET /api/v1/stats through the app, signed in as a supervisor."""
    series = [Series(f"GET /api/v1/stats by={by}", goal) for by, goal in STATS_QUERIES]
    with tempfile.TemporaryDirectory(prefix="report-month-") as state:
        settings = settings_for(url, Path(state))
        app = create_app(settings, connect_ami=False, daily_jobs=False, clock=lambda: NOW)
        started = time.perf_counter()
        async with app.router.lifespan_context(app):
            print(f"  the app started in {_duration(time.perf_counter() - started)}")
            runtime = app.state.runtime
            # The periodic jobs (the recordings' sweep every second, ...) would time their own work
            # into the requests'; the data's "now" is fixed, so they have nothing to do here.
            runtime.scheduler.pause()
            with runtime.session_factory.begin() as session:
                if session.scalar(select(User).where(User.username == USERNAME)) is None:
                    create_user(session, USERNAME, PASSWORD, "supervisor")
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://hotline.bench") as http:
                signed_in = await http.post(
                    "/api/v1/auth/token", data={"username": USERNAME, "password": PASSWORD}
                )
                signed_in.raise_for_status()
                headers = {"Authorization": f"Bearer {signed_in.json()['access_token']}"}
                params = {"from": "2026-11-01", "until": "2026-12-01"}
                sizes: dict[str, int] = {}
                for _ in range(runs):
                    for (by, _goal), timed in zip(STATS_QUERIES, series, strict=True):
                        started = time.perf_counter()
                        response = await http.get(
                            "/api/v1/stats", params={**params, "by": by}, headers=headers
                        )
                        timed.seconds.append(time.perf_counter() - started)
                        response.raise_for_status()
                        sizes[by] = len(response.content)
                        body = response.json()
                        if body["total"]["calls"] != CALLS:
                            raise RuntimeError(f"by={by}: {body['total']['calls']} calls, not {CALLS}")
                        if by == "day" and len(body["rows"]) != 30:
                            raise RuntimeError(f"by=day: {len(body['rows'])} rows, not 30")
                print("  JSON: " + ", ".join(f"by={by} {size:,} B" for by, size in sizes.items()))
    return series


def store_rollups(sessions: sessionmaker[Session], settings: Settings) -> None:
    """Store the past days' roll-ups as the app's job does (all of them after a fill), then once
    more with nothing changed: both timed, not goals."""
    flows = settings.ivr.flows_dir
    timezone = load_calendar(flows / "calendar.yaml", flows / "holidays").timezone
    rollups = Rollups(thresholds_of(settings), timezone, lambda: NOW)
    for what in ("refresh", "refresh again"):
        done = rollups.refresh(sessions)
        print(
            f"  roll-ups, {what}: {len(done.days)} days stored, {done.rows:,} rows"
            f" in {_duration(done.seconds)}"
        )


def time_today(sessions: sessionmaker[Session], settings: Settings, runs: int) -> list[Series]:
    """The wallboard's figures of today: by queue and by lawyer, as the Monitor reads them."""
    flows = settings.ivr.flows_dir
    timezone = load_calendar(flows / "calendar.yaml", flows / "holidays").timezone
    stats = Statistics(thresholds_of(settings), timezone, lambda: NOW)
    both, queues = (Series("today by queue and by lawyer", TODAY_GOAL), Series("  by queue alone"))
    counted: Mapping[Any, Any] = {}
    for _ in range(runs):
        started = time.perf_counter()
        with sessions() as session:
            counted, _lawyers = stats.today_each(session, (("queue",), ("lawyer",)))
        middle = time.perf_counter()
        with sessions() as session:
            stats.today(session, ("queue",))
        finished = time.perf_counter()
        both.seconds.append(middle - started)
        queues.seconds.append(finished - middle)
    calls = sum(tally.calls for tally in counted.values())
    if calls != TODAY_CALLS:
        raise RuntimeError(f"today: {calls} calls, not {TODAY_CALLS}")
    print(f"  today: {calls:,} calls in {len(counted)} queue groups")
    return [both, queues]


# --- the command -----------------------------------------------------------------------------------


def bench(url: str, runs: int, *, refill: bool) -> list[Series]:
    name = make_url(url).get_backend_name()
    print(f"{name}: {url}")
    ensure_database(url)
    with tempfile.TemporaryDirectory(prefix="report-month-") as state:
        settings = settings_for(url, Path(state))
        with database_at(url) as database:
            prepare(database.engine, refill=refill)
            store_rollups(database.session_factory, settings)
            results = time_report(database.session_factory, settings, runs)
            results += time_today(database.session_factory, settings, runs)
    results += asyncio.run(time_api(url, runs))
    for series in results:
        print(series.line())
    return results


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--url", action="append", default=[], help="a database to run on (repeatable)")
    parser.add_argument(
        "--engines",
        default="postgresql,sqlite",
        help=f"the bench databases ({', '.join(URLS)}) when no --url",
    )
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument(
        "--fill", action="store_true", help="fill the databases again even if their data is there"
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    urls: list[str] = args.url or [URLS[name.strip()] for name in args.engines.split(",") if name.strip()]
    summary: list[tuple[str, Series]] = []
    for url in urls:
        for series in bench(url, args.runs, refill=args.fill):
            summary.append((make_url(url).get_backend_name(), series))
    print("goals:")
    for engine, series in summary:
        if series.goal is not None:
            print(f"  {engine}, {series.line().strip()}")


if __name__ == "__main__":
    main(sys.argv[1:])
