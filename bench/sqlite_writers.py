"""The controller's writers at once, at 7 calls a second, on SQLite and on PostgreSQL.

Drives the controller's write mix as the app runs it: one event loop, blocking database work in
its default executor (``asyncio.to_thread``), the jobs on APScheduler:

* call records: ``--caps`` new calls a second, each written as it starts, joins the queue, is
  answered, rated and ends (a full CallProgress each time, as the reducer emits it), flushed by
  the real CallRecorder every 0.1 s through CallStore.write. With 4-5 s of menu, 1-8 s of queue
  and 23 s of talk and rating, about 200 calls are up at once at 7 a second;
* the ticket sweep (TicketJobs, every 1 s) and the recordings sweep (RecordingJobs, every 1 s:
  register each call's three WAV files, seal them, queue the transcription jobs);
* the lawyers' desk: each ticket's summary and outcome written 2-10 s after the call
  (TicketDesk.update; one in five a referral, which also queues a hand-off message), and an audit
  entry for a supervisor listening to one call in three;
* a reader: the live console's query of the day's ended calls every 0.5 s.

Two reviewer accounts exist (``--reviewers``), so a poor rating (1-2, two calls in five) opens a
quality review once the recording is sealed.

The database starts with ``--history`` calls of the last two days, all with their tickets (the
sweeps' window). Prints, per database, run by run: the "database is locked" errors (logged by the
jobs or raised to the desk), the other errors, and how long after the answer each call's ticket
exists (seen committed by a watcher polling every 50 ms): median, p95, max; then the range over
the runs. ``--compare`` also runs SQLite as the engine was built before (sqlite3's deferred
transactions), for the before/after figures.

    .venv/bin/python bench/sqlite_writers.py [--seconds 90] [--caps 7] [--runs 3] [--compare]
        [--databases sqlite,postgresql] [--postgres postgresql+psycopg://postgres@127.0.0.1:5432/test]
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import random
import tempfile
import threading
import time
import wave
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from sqlalchemy import Engine, create_engine, event, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from hotline.auth.models import Role
from hotline.auth.service import Actor, create_user
from hotline.calls.service import CallRecorder, CallStore
from hotline.calls.state import CallChanged, CallProgress
from hotline.db.base import utcnow
from hotline.db.migrate import upgrade
from hotline.db.session import in_transaction, make_engine, make_session_factory
from hotline.ivr.calendar import load_calendar
from hotline.recordings.audit import AuditAction, AuditLog
from hotline.recordings.crypto import new_key_line, parse_keyring
from hotline.recordings.jobs import RecordingJobs
from hotline.recordings.service import RecordingRegistry
from hotline.settings import TicketSettings
from hotline.stats.definitions import Thresholds
from hotline.stats.service import Statistics
from hotline.tickets.jobs import TicketJobs
from hotline.tickets.models import Outcome, Ticket
from hotline.tickets.service import TicketDesk
from hotline.transcription import service as transcription

ROOT = Path(__file__).resolve().parents[1]
FLOWS = ROOT / "ivr_flows"
LAWYERS = [str(8001 + n) for n in range(260)]
WAV_SECONDS = 0.2
WATCH_EVERY = 0.05
GOAL_SECONDS = 2.0


# --- the engines -----------------------------------------------------------------------------------


def engine_before_the_fix(url: str) -> Engine:
    """SQLite as make_engine built it before: sqlite3's deferred transactions, same pragmas."""

    def pragmas(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        for pragma in ("journal_mode=WAL", "synchronous=NORMAL", "foreign_keys=ON", "busy_timeout=5000"):
            cursor.execute(f"PRAGMA {pragma}")
        cursor.close()

    engine = create_engine(url, connect_args={"check_same_thread": False})
    event.listen(engine, "connect", pragmas)
    return engine


@contextmanager
def database(kind: str, postgres: str, scratch: Path) -> Iterator[str]:
    """An empty database of ``kind``: a SQLite file in ``scratch``, or a new bench_<pid>_<ms> on
    PostgreSQL, dropped afterwards."""
    if kind == "sqlite":
        yield f"sqlite:///{scratch / 'hotline.sqlite3'}"
        return
    base = make_url(postgres)
    name = f"bench_{os.getpid()}_{int(time.monotonic() * 1000)}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield base.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


# --- what a run measures ---------------------------------------------------------------------------


class Tally(logging.Handler):
    """Errors as the app would log them, counted: "database is locked" apart from the others."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.locked = 0
        self.other = 0
        self.skipped_runs = 0
        self.samples: list[str] = []

    def count(self, exc: BaseException) -> None:
        if "database is locked" in str(exc):
            self.locked += 1
        else:
            self.other += 1
            if len(self.samples) < 5:
                self.samples.append(f"{type(exc).__name__}: {str(exc)[:200]}")

    def emit(self, record: logging.LogRecord) -> None:
        if record.exc_info and record.exc_info[1] is not None:
            if not isinstance(record.exc_info[1], asyncio.CancelledError):  # a job stopped at the end
                self.count(record.exc_info[1])
        elif "maximum number of running instances" in record.getMessage():
            self.skipped_runs += 1


class TimedTicketJobs(TicketJobs):
    """The ticket jobs, timing each sweep."""

    def __init__(self, sessions: sessionmaker[Session], desk: TicketDesk) -> None:
        super().__init__(sessions, desk)
        self.durations: list[float] = []

    async def sweep(self) -> None:
        started = time.perf_counter()
        await super().sweep()
        self.durations.append(time.perf_counter() - started)


class TimedCallStore(CallStore):
    """The call store, timing each batch written."""

    def __init__(self, sessions: sessionmaker[Session]) -> None:
        super().__init__(sessions)
        self.durations: list[float] = []

    def write(self, calls: Sequence[CallProgress]) -> None:
        started = time.perf_counter()
        try:
            super().write(calls)
        finally:
            self.durations.append(time.perf_counter() - started)


class TicketWatcher(threading.Thread):
    """When each ticket is first seen committed, by a reader of its own (outside the executor)."""

    def __init__(self, sessions: sessionmaker[Session]) -> None:
        super().__init__(name="ticket-watcher", daemon=True)
        self._sessions = sessions
        self.seen: dict[str, float] = {}
        self.stopping = threading.Event()
        self._last = 0

    def start_after(self, last_id: int) -> None:
        self._last = last_id
        self.start()

    def run(self) -> None:
        while not self.stopping.wait(WATCH_EVERY):
            with self._sessions() as session:
                rows = session.execute(select(Ticket.id, Ticket.linkedid).where(Ticket.id > self._last)).all()
            now = time.time()
            for ticket_id, linkedid in rows:
                self.seen.setdefault(linkedid, now)
                self._last = max(self._last, ticket_id)


@dataclass
class RunResult:
    database: str
    engine: str
    calls: int
    answered: int
    tickets: int
    tally: Tally
    latencies: list[float]
    sweeps: list[float]
    writes: list[float]
    desk_waits: int

    @property
    def median(self) -> float:
        return percentile(self.latencies, 50)

    @property
    def p95(self) -> float:
        return percentile(self.latencies, 95)

    @property
    def worst(self) -> float:
        return percentile(self.latencies, 100)

    @property
    def late(self) -> int:
        """Answered calls whose ticket took longer than the goal, or never came."""
        return self.answered - sum(1 for latency in self.latencies if latency <= GOAL_SECONDS)

    def line(self) -> str:
        return (
            f"{self.database:10} {self.engine:6} calls {self.calls}, tickets {self.tickets}/{self.answered},"
            f" locked {self.tally.locked}, other errors {self.tally.other},"
            f" skipped sweeps {self.tally.skipped_runs}, desk found no ticket {self.desk_waits}\n"
            f"    ticket after answer: median {self.median:.2f} s, p95 {self.p95:.2f} s,"
            f" max {self.worst:.2f} s, later than {GOAL_SECONDS:g} s: {self.late}"
            f" | sweep job p95 {percentile(self.sweeps, 95) * 1000:.0f} ms,"
            f" max {percentile(self.sweeps, 100) * 1000:.0f} ms"
            f" | record batch p95 {percentile(self.writes, 95) * 1000:.1f} ms"
        )


def percentile(values: Sequence[float], p: float) -> float:
    """The nearest-rank percentile (100: the largest); NaN for none."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


# --- the load --------------------------------------------------------------------------------------


def fill_history(sessions: sessionmaker[Session], desk: TicketDesk, calls: int) -> None:
    """``calls`` ended calls over the last two days, with their tickets."""
    store = CallStore(sessions)
    now = time.time()
    rng = random.Random(1)
    for start in range(0, calls, 500):
        batch = []
        for n in range(start, min(calls, start + 500)):
            begun = now - 2 * 86400 + 600 + n * (2 * 86400 - 1200) / calls
            batch.append(
                CallProgress(
                    linkedid=f"{int(begun)}.{n}",
                    caller=f"138{n:08d}",
                    started_at=begun,
                    queue="hotline",
                    queued_at=begun + 5,
                    answered_at=begun + 10,
                    lawyer=rng.choice(LAWYERS),
                    ended_at=begun + 300,
                    talk_seconds=290,
                    rating=rng.randint(1, 5),
                    topic="labour",
                    language="mandarin",
                )
            )
        store.write(batch)
    with sessions.begin() as session:
        desk.sweep(session)


def add_reviewers(sessions: sessionmaker[Session], count: int) -> None:
    with sessions.begin() as session:
        for n in range(count):
            create_user(session, f"reviewer-{n + 1}", f"bench-reviewer-{n + 1}-password", "reviewer")


@dataclass
class Load:
    recorder: CallRecorder
    sessions: sessionmaker[Session]
    desk: TicketDesk
    audit: AuditLog
    spool: Path
    tally: Tally
    rng: random.Random
    answered: dict[str, float] = field(default_factory=dict)
    calls: int = 0
    desk_waits: int = 0

    def _progress(self, call: CallProgress) -> None:
        # As CallRecorder.on_event does with the reducer's effects.
        self.recorder._collect([CallChanged(call)])

    async def call(self, n: int) -> None:
        rng = self.rng
        now = time.time()
        linkedid = f"{int(now)}.{n}"
        lawyer = rng.choice(LAWYERS)
        call = CallProgress(linkedid=linkedid, caller=f"139{n:08d}", started_at=now)
        self.calls += 1
        self._progress(call)
        await asyncio.sleep(rng.uniform(4, 5))
        call = call._replace(queue="hotline", queued_at=time.time(), topic="labour", language="mandarin")
        self._progress(call)
        await asyncio.sleep(rng.uniform(1, 8))
        answered = time.time()
        call = call._replace(
            answered_at=answered, lawyer=lawyer, wait_seconds=int(answered - (call.queued_at or now))
        )
        self.answered[linkedid] = answered
        self._progress(call)
        await asyncio.sleep(20)
        call = call._replace(rating=rng.randint(1, 5), talk_seconds=20)
        self._progress(call)
        await asyncio.sleep(3)
        base = f"bench-{linkedid}"
        for suffix in ("", "-caller", "-lawyer"):
            write_wav(self.spool / "monitor" / f"{base}{suffix}.wav", WAV_SECONDS)
        self._progress(call._replace(ended_at=time.time(), recording_file=base))
        await asyncio.sleep(rng.uniform(2, 10))
        await self.write_ticket(linkedid, lawyer)
        if n % 3 == 0:
            await self.listen(linkedid)

    async def write_ticket(self, linkedid: str, lawyer: str) -> None:
        actor = Actor(int(lawyer), f"lawyer-{lawyer}", Role.lawyer, lawyer_extension=lawyer)
        referral = self.rng.random() < 0.2

        def change(session: Session) -> bool:
            ticket = session.scalar(select(Ticket).where(Ticket.linkedid == linkedid))
            if ticket is None:
                return False
            self.desk.update(
                session,
                ticket,
                actor,
                summary="咨询劳动合同解除，已解答" if not referral else "工资拖欠，建议申请法律援助",
                outcome=Outcome.legal_aid if referral else Outcome.answered,
            )
            return True

        for _ in range(30):
            try:
                if await asyncio.to_thread(in_transaction, self.sessions, change):
                    return
                self.desk_waits += 1
            except Exception as exc:
                self.tally.count(exc)
            await asyncio.sleep(1)

    async def listen(self, linkedid: str) -> None:
        try:
            await asyncio.to_thread(
                self.audit.append,
                actor="supervisor",
                role="supervisor",
                action=AuditAction.play,
                reason="质量抽查",
                linkedid=linkedid,
            )
        except Exception as exc:
            self.tally.count(exc)

    async def console(self, stop: asyncio.Event) -> None:
        since = datetime.now(UTC) - timedelta(hours=12)
        while not stop.is_set():
            try:
                await asyncio.to_thread(self._read_console, since)
            except Exception as exc:
                self.tally.count(exc)
            await asyncio.sleep(0.5)

    def _read_console(self, since: datetime) -> int:
        """The wallboard's read: today's figures per queue (``since`` is within today)."""
        statistics = Statistics(Thresholds(), "Asia/Shanghai", utcnow)
        with self.sessions() as session:
            return len(statistics.today(session, ("queue",)))


def write_wav(path: Path, seconds: float) -> None:
    with wave.open(str(path), "wb") as audio:
        audio.setnchannels(1)
        audio.setsampwidth(2)
        audio.setframerate(8000)
        audio.writeframes(b"\x01\x00" * int(seconds * 8000))


async def drive(
    engine: Engine, scratch: Path, seconds: float, caps: float, history: int, reviewers: int, seed: int
) -> tuple[Load, TimedTicketJobs, TimedCallStore, TicketWatcher]:
    sessions = make_session_factory(engine)
    calendar = load_calendar(FLOWS / "calendar.yaml", FLOWS / "holidays")
    desk = TicketDesk.of(calendar, TicketSettings().deadlines, "12348")
    await asyncio.to_thread(fill_history, sessions, desk, history)
    await asyncio.to_thread(add_reviewers, sessions, reviewers)
    with sessions() as session:
        last_ticket = session.scalar(select(Ticket.id).order_by(Ticket.id.desc()).limit(1)) or 0

    tally = Tally()
    logging.getLogger().addHandler(tally)
    spool, store_dir = scratch / "spool", scratch / "store"
    (spool / "monitor").mkdir(parents=True, exist_ok=True)
    audit = AuditLog(sessions, parse_keyring(new_key_line("a1"), source="bench"), scratch / "anchor.json")
    registry = RecordingRegistry(
        sessions,
        spool=spool,
        store=store_dir,
        keyring=parse_keyring(new_key_line("k1"), source="bench"),
        call_retention=timedelta(days=730),
        voicemail_retention=timedelta(days=180),
        audit=audit,
    )

    def queue_transcription(ids: list[int]) -> int:
        with sessions.begin() as session:
            return transcription.enqueue(session, ids)

    async def on_sealed(ids: list[int]) -> None:
        await asyncio.to_thread(queue_transcription, ids)

    store = TimedCallStore(sessions)
    # As the tickets plugin wires it: a call's ticket is written with its record; the sweep is the
    # back-fill, and the review a poor rating opens follows the sealing.
    store.record_hooks.append(lambda session, linkedids: desk.on_records(session, linkedids, utcnow()))
    recorder = CallRecorder(store)
    tickets = TimedTicketJobs(sessions, desk)
    scheduler = AsyncIOScheduler(timezone=calendar.timezone)
    recording_jobs = RecordingJobs(registry)
    recording_jobs.sealed_hooks.append(on_sealed)
    recording_jobs.sealed_hooks.append(tickets.review_sealed)
    for job in (*recording_jobs.jobs(purge_at=None, timezone="UTC"), *tickets.jobs(escalate_every=60)):
        scheduler.add_job(job.run, job.trigger, id=job.id, **job.options)
    load = Load(recorder, sessions, desk, audit, spool, tally, random.Random(seed))
    watcher = TicketWatcher(sessions)
    watcher.start_after(last_ticket)
    recorder.start()
    scheduler.start()
    stop_console = asyncio.Event()
    console = asyncio.create_task(load.console(stop_console))
    calls: list[asyncio.Task[None]] = []
    try:
        started = time.monotonic()
        total = int(seconds * caps)
        for n in range(total):
            delay = started + n / caps - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            calls.append(asyncio.create_task(load.call(n)))
        await asyncio.gather(*calls)
        for _ in range(300):  # the last tickets, for up to 60 s
            if not set(load.answered) - set(watcher.seen):
                break
            await asyncio.sleep(0.2)
    finally:
        stop_console.set()
        await console
        scheduler.shutdown(wait=False)
        await recorder.stop()
        watcher.stopping.set()
        watcher.join()
        logging.getLogger().removeHandler(tally)
    return load, tickets, store, watcher


def run_once(
    kind: str,
    engine_kind: str,
    postgres: str,
    seconds: float,
    caps: float,
    history: int,
    reviewers: int,
    seed: int,
) -> RunResult:
    with tempfile.TemporaryDirectory() as scratch_dir, database(kind, postgres, Path(scratch_dir)) as url:
        scratch = Path(scratch_dir)
        migrating = make_engine(url)
        upgrade(migrating)
        migrating.dispose()
        engine = engine_before_the_fix(url) if engine_kind == "before" else make_engine(url)
        try:
            load, tickets, store, watcher = asyncio.run(
                drive(engine, scratch, seconds, caps, history, reviewers, seed)
            )
        finally:
            engine.dispose()
    latencies = [watcher.seen[k] - answered for k, answered in load.answered.items() if k in watcher.seen]
    return RunResult(
        kind,
        engine_kind,
        load.calls,
        len(load.answered),
        sum(1 for k in load.answered if k in watcher.seen),
        load.tally,
        latencies,
        tickets.durations,
        store.durations,
        load.desk_waits,
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seconds", type=float, default=90.0, help="how long new calls arrive")
    parser.add_argument("--caps", type=float, default=7.0, help="new calls a second")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--history", type=int, default=4000, help="calls of the last two days already there")
    parser.add_argument("--reviewers", type=int, default=2, help="reviewer accounts (0: none)")
    parser.add_argument("--databases", default="sqlite,postgresql")
    parser.add_argument("--compare", action="store_true", help="also SQLite as the engine was before the fix")
    parser.add_argument(
        "--postgres",
        default=os.environ.get(
            "HOTLINE_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
        ),
    )
    args = parser.parse_args()
    logging.getLogger().setLevel(logging.WARNING)  # counted by each run's Tally, not printed
    plan: list[tuple[str, str]] = []
    for kind in args.databases.split(","):
        if kind == "sqlite" and args.compare:
            plan.append((kind, "before"))
        plan.append((kind, "now"))
    print(
        f"{args.caps:g} calls/s for {args.seconds:g} s ({int(args.caps * args.seconds)} calls), "
        f"{args.history} calls of history, {args.runs} runs; goal: a ticket within {GOAL_SECONDS:g} s"
    )
    results: dict[tuple[str, str], list[RunResult]] = {step: [] for step in plan}
    for run in range(args.runs):
        for kind, engine_kind in plan:
            outcome = run_once(
                kind,
                engine_kind,
                args.postgres,
                args.seconds,
                args.caps,
                args.history,
                args.reviewers,
                run,
            )
            results[(kind, engine_kind)].append(outcome)
            print(f"run {run + 1}: {outcome.line()}", flush=True)
            for sample in outcome.tally.samples:
                print(f"    {sample}")
    print("\nranges over the runs (min-max):")
    for (kind, engine_kind), outcomes in results.items():
        print(
            f"{kind:10} {engine_kind:6} locked {span(outcomes, lambda o: o.tally.locked, '.0f')},"
            f" other errors {span(outcomes, lambda o: o.tally.other, '.0f')},"
            f" missing tickets {span(outcomes, lambda o: o.answered - o.tickets, '.0f')},"
            f" later than {GOAL_SECONDS:g} s {span(outcomes, lambda o: o.late, '.0f')}"
            f" | ticket after answer: median {span(outcomes, lambda o: o.median)} s,"
            f" p95 {span(outcomes, lambda o: o.p95)} s, max {span(outcomes, lambda o: o.worst)} s"
        )


def span(outcomes: Sequence[RunResult], value: Callable[[RunResult], float], fmt: str = ".2f") -> str:
    got = [value(outcome) for outcome in outcomes]
    return f"{min(got):{fmt}}-{max(got):{fmt}}"


if __name__ == "__main__":
    main()
