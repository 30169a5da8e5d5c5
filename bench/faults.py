"""Fault suite: a busy hotline with faults, then SIPp, Asterisk and the API compared call by call.

Sets up its own hotline on loopback in a temporary directory under /tmp: the project's Asterisk
(``hotline roster import`` creates the lawyers, all on duty, and renders the configuration;
``hotline asterisk start``), the controller as a subprocess (``hotline serve``) whose AMI
connection goes through a small TCP proxy, and SIPp: one process registering every lawyer and
answering their calls (talking with audio for ``--talk`` seconds), one placing ``--calls``
citizens' calls at ``--rate`` calls/s through the IVR (language and topic keys, speech, a rating
key after the lawyer hangs up). Every call is recorded (mix and legs).

Meanwhile, on a schedule spread over the arrivals: the proxy cuts the controller's AMI connection
(``--ami-cuts``), the controller is killed with SIGKILL and restarted after ``--down`` seconds
(``--controller-kills``), Asterisk is restarted (``--asterisk-restarts``).

When the calls are over and the records stop changing, three views are compared
(bench/fault_compare.py): SIPp's calls, Asterisk's own per-call summaries and ``GET /api/v1/calls``
with the recordings' metadata. Prints the counts (missing, doubled, wrong field by field,
recordings not registered or not sealed, plaintext WAV left in the spool); exits 0 only when all
are 0. ``--no-faults`` prints throughput figures instead (calls, failures, peak concurrency,
CPU of Asterisk and the controller from /proc, CPU per conversation).

    .venv/bin/python bench/faults.py                                  # 900 calls at 3/s, 260 lawyers
    .venv/bin/python bench/faults.py --database postgresql
    .venv/bin/python bench/faults.py --calls 60 --rate 2 --lawyers 20 --talk 10   # the CI version
    .venv/bin/python bench/faults.py --no-faults --calls 600 --rate 5

Everything is bounded by ``--deadline``; every process it started is stopped by its PID at the
end, also on an error or Ctrl-C. Needs root (Asterisk runs in its chroot) and ``scripts/setup``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from fractions import Fraction
from pathlib import Path
from typing import Any, Literal, TypeVar
from zoneinfo import ZoneInfo

import httpx

from hotline.asterisk import process as asterisk_process
from hotline.asterisk.layout import InstanceLayout
from hotline.errors import HotlineError
from hotline.ivr.catalog import Catalog, load_catalog
from hotline.rehearsal.dtmf import key_press_pcap
from hotline.rehearsal.ports import free_port, media_port

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # bench.fault_compare, when run as a script
    sys.path.insert(0, str(ROOT))

from bench.fault_compare import (  # noqa: E402
    SippView,
    Verdict,
    compare,
    concurrency,
    parse_sipp_log,
    parse_sipp_stats,
    parse_summaries,
)

T = TypeVar("T")
SCENARIOS = Path(__file__).resolve().parent / "sipp"
SPEECH = Path("/usr/share/sip-tester/g711a.pcap")  # 7 s of speech (Debian's sip-tester)
PROMPTS = ROOT / "tests" / "fixtures" / "prompts-short.yaml"
POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
# The dialplan's office-hours check sees this moment (a Tuesday morning): open, whatever the date.
OPEN_MOMENT = "2026-12-01T10:00:00+08:00"
SUPERVISOR = "faults-supervisor"
CALLER_PREFIX = "1390"
# A citizen's keys and speech, in ms after Asterisk answers (the short prompts of PROMPTS).
LANGUAGE_AT, TOPIC_AT, SPEAK_AT = 2000, 4000, 4300
RATE_EVERY_MS = 3000
RING_MS = 200
_ANSI = re.compile(r"\x1b\[[0-9;]*m")  # the CLI's colours
FaultKind = Literal["ami-cut", "controller-kill", "asterisk-restart"]


@dataclass(frozen=True, slots=True)
class Options:
    calls: int = 900
    rate: float = 3.0
    lawyers: int = 260
    talk_seconds: float = 20.0
    database: Literal["sqlite", "postgresql"] = "sqlite"
    ami_cuts: int = 6
    controller_kills: int = 2
    controller_down: float = 5.0
    asterisk_restarts: int = 1
    language_key: str = "1"
    topic_key: str = "1"
    rating_key: str = "5"
    # Times within this many seconds of Asterisk's summary count as the same.
    tolerance: float = 1.5
    # The whole run, setup included, ends after this many seconds (None: from the load).
    deadline: float | None = None
    # Wait at most this long for the records to stop changing after the last call.
    settle_seconds: float = 90.0
    queue_timeout: int = 60
    postgres_url: str = POSTGRES_URL
    keep: bool = False
    verbose: bool = True

    @property
    def faults(self) -> bool:
        return bool(self.ami_cuts or self.controller_kills or self.asterisk_restarts)

    @property
    def arrival_seconds(self) -> float:
        return self.calls / self.rate

    @property
    def longest_call_seconds(self) -> float:
        return TOPIC_AT / 1000 + self.queue_timeout + self.talk_seconds + 40

    def total_deadline(self) -> float:
        if self.deadline is not None:
            return self.deadline
        downtime = self.controller_kills * self.controller_down + self.asterisk_restarts * 15
        return 120 + self.arrival_seconds + self.longest_call_seconds + downtime + self.settle_seconds


@dataclass(frozen=True, slots=True)
class Fault:
    at: float  # seconds after the first call
    kind: FaultKind


def fault_schedule(
    ami_cuts: int, controller_kills: int, asterisk_restarts: int, window: float
) -> list[Fault]:
    """The faults spread evenly over ``window`` seconds, the kinds interleaved in proportion
    (e.g. 3 cuts and 1 kill over 30 s: cut 6 s, cut 12 s, kill 18 s, cut 24 s)."""
    ranked: list[tuple[float, int, FaultKind]] = []
    kinds: tuple[tuple[FaultKind, int], ...] = (
        ("ami-cut", ami_cuts),
        ("controller-kill", controller_kills),
        ("asterisk-restart", asterisk_restarts),
    )
    for order, (kind, count) in enumerate(kinds):
        ranked.extend(((index + 0.5) / count, order, kind) for index in range(count))
    ranked.sort()
    total = len(ranked)
    return [Fault(window * (rank + 1) / (total + 1), kind) for rank, (_, _, kind) in enumerate(ranked)]


@dataclass
class Figures:
    """Throughput figures of one run (the capacity bench builds on them)."""

    calls_completed: int = 0
    sipp_failed: int = 0
    peak_concurrent_calls: int = 0
    peak_conversations: int = 0
    mean_conversations: float = 0.0
    asterisk_cpu_percent: float = 0.0
    asterisk_cpu_peak: float = 0.0
    controller_cpu_percent: float = 0.0
    controller_cpu_peak: float = 0.0
    load_seconds: float = 0.0

    @property
    def asterisk_cpu_per_conversation(self) -> float:
        return self.asterisk_cpu_percent / self.mean_conversations if self.mean_conversations else 0.0

    def lines(self) -> list[str]:
        return [
            f"calls completed {self.calls_completed}, SIPp failures {self.sipp_failed}, "
            f"in {self.load_seconds:.0f} s",
            f"at most {self.peak_concurrent_calls} calls at once (SIPp), "
            f"{self.peak_conversations} conversations at once (mean {self.mean_conversations:.1f} "
            "while any)",
            f"CPU (% of one core) while conversations went on: Asterisk {self.asterisk_cpu_percent:.1f} "
            f"(peak {self.asterisk_cpu_peak:.0f}), controller {self.controller_cpu_percent:.1f} "
            f"(peak {self.controller_cpu_peak:.0f}); Asterisk per conversation "
            f"{self.asterisk_cpu_per_conversation:.2f}",
        ]


@dataclass
class Result:
    verdict: Verdict
    figures: Figures
    faults: list[str]
    workdir: Path
    profile: ThreadProfile | None = None

    @property
    def ok(self) -> bool:
        return self.verdict.ok

    def lines(self) -> list[str]:
        return [
            *(f"fault: {entry}" for entry in self.faults),
            *self.verdict.lines(),
            *self.figures.lines(),
            *(self.profile.lines() if self.profile else []),
            "verdict: " + ("OK" if self.ok else "FAILED"),
        ]


# --- pieces with one job each --------------------------------------------------------------------


class AmiProxy:
    """A TCP relay on loopback between the controller and Asterisk's AMI port; ``cut`` drops
    every connection through it at once (both sides see a reset), as a network fault would."""

    def __init__(self, upstream_port: int) -> None:
        self.upstream_port = upstream_port
        self.port = free_port()
        self._server: asyncio.Server | None = None
        self._links: set[asyncio.StreamWriter] = set()
        self._pipes: set[asyncio.Task[None]] = set()

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._accept, "127.0.0.1", self.port)

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.upstream_port)
        except OSError:
            writer.close()
            return
        self._links.update((writer, up_writer))
        for source, target in ((reader, up_writer), (up_reader, writer)):
            task = asyncio.create_task(self._pipe(source, target))
            self._pipes.add(task)
            task.add_done_callback(self._pipes.discard)

    async def _pipe(self, source: asyncio.StreamReader, target: asyncio.StreamWriter) -> None:
        try:
            while data := await source.read(65536):
                target.write(data)
                await target.drain()
        except (OSError, asyncio.IncompleteReadError):
            pass
        finally:
            self._drop(target)

    def _drop(self, writer: asyncio.StreamWriter) -> None:
        self._links.discard(writer)
        writer.transport.abort()

    def cut(self) -> int:
        """Drop every connection; returns how many were open (each has two sides)."""
        links = list(self._links)
        for writer in links:
            self._drop(writer)
        return len(links) // 2

    async def close(self) -> None:
        self.cut()
        if self._server is not None:
            self._server.close()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._server.wait_closed(), 2)
        for task in list(self._pipes):
            task.cancel()


def _ticks(pid: int) -> int | None:
    """User + system CPU time of ``pid`` in clock ticks (/proc/<pid>/stat), None if it is gone."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = text.rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15 of stat)


@dataclass
class CpuSampler:
    """CPU % of one core per process role, sampled every ``interval`` seconds (a role's PID may
    change: a restarted process is counted from its first sample)."""

    pids: Mapping[str, Callable[[], int | None]]
    interval: float = 1.0
    samples: list[tuple[float, dict[str, float]]] = field(default_factory=list)

    async def run(self) -> None:
        hertz = os.sysconf("SC_CLK_TCK")
        last: dict[str, tuple[int, int, float]] = {}
        while True:
            now_wall, now = time.time(), time.monotonic()
            shares: dict[str, float] = {}
            for role, pid_of in self.pids.items():
                pid = pid_of()
                ticks = _ticks(pid) if pid else None
                if pid is None or ticks is None:
                    last.pop(role, None)
                    continue
                previous = last.get(role)
                if previous is not None and previous[0] == pid and now > previous[2]:
                    shares[role] = 100.0 * (ticks - previous[1]) / hertz / (now - previous[2])
                last[role] = (pid, ticks, now)
            if shares:
                self.samples.append((now_wall, shares))
            await asyncio.sleep(self.interval)


_THREAD_LINE = re.compile(r"^0x[0-9a-f]+ (\d+) (\S+)\s+started at")
_TASKPROCESSOR_ID = re.compile(r"-[0-9a-f]{8}$")
_TASKPROCESSOR_LINE = re.compile(r"^(\S+)\s+(\d+)(?:\s+\d+){4,}\s*$")


def thread_ticks(pid: int) -> dict[int, int]:
    """CPU clock ticks of each thread of ``pid`` (/proc/<pid>/task)."""
    ticks: dict[int, int] = {}
    for task in Path(f"/proc/{pid}/task").glob("*"):
        with contextlib.suppress(OSError, ValueError, IndexError):
            fields = (task / "stat").read_text().rsplit(")", 1)[1].split()
            ticks[int(task.name)] = int(fields[11]) + int(fields[12])
    return ticks


def parse_threads(text: str) -> dict[int, str]:
    """``core show threads``: thread id (LWP) -> the function it started in (pbx_thread, ...)."""
    return {int(m.group(1)): m.group(2) for line in text.splitlines() if (m := _THREAD_LINE.match(line))}


def parse_taskprocessors(text: str) -> dict[str, int]:
    """``core show taskprocessors``: name -> tasks processed."""
    lines = text.splitlines()
    return {m.group(1): int(m.group(2)) for line in lines if (m := _TASKPROCESSOR_LINE.match(line))}


@dataclass
class ThreadProfile:
    """Where Asterisk's CPU went over a window of the load: % of one core by the function each
    thread started in, and the busiest taskprocessors (tasks a second)."""

    seconds: float = 0.0
    by_function: dict[str, float] = field(default_factory=dict)
    taskprocessors: dict[str, float] = field(default_factory=dict)

    def lines(self, top: int = 8) -> list[str]:
        if not self.seconds:
            return []
        total = sum(self.by_function.values())
        functions = sorted(self.by_function.items(), key=lambda item: -item[1])[:top]
        processors = sorted(self.taskprocessors.items(), key=lambda item: -item[1])[:top]
        return [
            f"Asterisk's threads over {self.seconds:.0f} s of load ({total:.1f} % of a core): "
            + ", ".join(f"{name} {share:.1f}" for name, share in functions),
            "busiest taskprocessors (tasks/s): "
            + ", ".join(f"{name} {rate:.0f}" for name, rate in processors),
        ]


async def profile_threads(layout: InstanceLayout, pid: int, seconds: float) -> ThreadProfile:
    """Sample Asterisk's threads every second and its taskprocessors ``seconds`` apart.

    A thread's CPU time is readable only while it lives (a call's threads end with the call), so
    each thread's ticks are read every second and its last reading counts; names come from
    ``core show threads``, read every few seconds (a thread that lived less is "other")."""
    hertz = os.sysconf("SC_CLK_TCK")

    async def cli(command: str) -> str:
        return await asyncio.to_thread(asterisk_process.remote_command, layout, command)

    names = parse_threads(await cli("core show threads"))
    processed = parse_taskprocessors(await cli("core show taskprocessors"))
    baseline, started = await asyncio.to_thread(thread_ticks, pid), time.monotonic()
    last = dict(baseline)
    tick = 0
    while time.monotonic() - started < seconds:
        await asyncio.sleep(1.0)
        last.update(await asyncio.to_thread(thread_ticks, pid))
        tick += 1
        if tick % 3 == 0:
            names |= parse_threads(await cli("core show threads"))
    names |= parse_threads(await cli("core show threads"))
    processed_after = parse_taskprocessors(await cli("core show taskprocessors"))
    elapsed = time.monotonic() - started
    profile = ThreadProfile(seconds=elapsed)
    for tid, ticks in last.items():
        used = 100.0 * (ticks - baseline.get(tid, 0)) / hertz / elapsed
        name = names.get(tid, "other")
        profile.by_function[name] = profile.by_function.get(name, 0.0) + used
    for name, count in processed_after.items():
        group = _TASKPROCESSOR_ID.sub("", name)  # pjsip/distributor-0000001d -> pjsip/distributor
        rate = (count - processed.get(name, 0)) / elapsed
        profile.taskprocessors[group] = profile.taskprocessors.get(group, 0.0) + rate
    return profile


def _render(name: str, target: Path, **values: object) -> Path:
    text = (SCENARIOS / name).read_text()
    for key, value in values.items():
        text = text.replace("{{" + key + "}}", str(value))
    if "{{" in text:
        raise ValueError(f"{name}: no value for {text[text.index('{{') :].split('}}')[0]}}}}}")
    path = target / name
    path.write_text(text)
    return path


def citizen_script(workdir: Path, options: Options) -> tuple[str, str]:
    """The citizen's actions after Asterisk answers, as scenario XML: the menu keys and speech, a
    pause until the lawyer should have hung up, then the rating key every few seconds until
    Asterisk hangs up (each press its own pcap: a repeated one would be dropped as a duplicate)."""
    steps = [
        (LANGUAGE_AT, key_press_pcap(options.language_key, 0, workdir)),
        (TOPIC_AT, key_press_pcap(options.topic_key, 1, workdir)),
        (SPEAK_AT, SPEECH),
    ]
    lines, now = [], 0
    for at_ms, pcap in steps:
        lines.append(f'  <pause milliseconds="{at_ms - now}"/>')
        lines.append(f'  <nop><action><exec play_pcap_audio="{pcap}"/></action></nop>')
        now = at_ms
    first_rating = TOPIC_AT + 1000 + RING_MS + int(options.talk_seconds * 1000) + 1500
    lines.append(f'  <pause milliseconds="{first_rating - now}"/>')
    presses = int((options.queue_timeout + 30) * 1000 / RATE_EVERY_MS) + 1
    rating = []
    for index in range(presses):
        pcap = key_press_pcap(options.rating_key, 2 + index, workdir)
        rating += [
            f'  <label id="{index + 1}"/>',
            f'  <nop><action><exec play_pcap_audio="{pcap}"/></action></nop>',
            f'  <recv request="BYE" timeout="{RATE_EVERY_MS}" ontimeout="{index + 2}" next="99"/>',
        ]
    rating += [
        f'  <label id="{presses + 1}"/>',
        '  <recv request="BYE" timeout="120000"/>',
        '  <label id="99"/>',
    ]
    return "\n".join(lines), "\n".join(rating)


@dataclass
class SippProcess:
    """One SIPp, started in ``workdir`` with its screen in ``name``.out; stopped by its PID."""

    name: str
    args: list[str]
    workdir: Path
    process: subprocess.Popen[bytes] | None = None

    def start(self) -> SippProcess:
        with (self.workdir / f"{self.name}.out").open("wb") as out:
            self.process = subprocess.Popen(
                ["sipp", *self.args, "-nostdin"], cwd=self.workdir, stdout=out, stderr=subprocess.STDOUT
            )
        return self

    def file(self, suffix: str) -> Path:
        return self.workdir / f"{self.name}{suffix}"

    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def stop(self) -> None:
        _stop(self.process)


def _stop(process: subprocess.Popen[bytes] | None, grace: float = 5.0) -> None:
    """TERM, then KILL after ``grace`` seconds: only this process, by its PID."""
    if process is None or process.poll() is not None:
        return
    os.kill(process.pid, signal.SIGTERM)
    try:
        process.wait(grace)
    except subprocess.TimeoutExpired:
        os.kill(process.pid, signal.SIGKILL)
        process.wait(grace)


def _loopback(port: int, media: int) -> list[str]:
    return ["-i", "127.0.0.1", "-p", str(port), "-mi", "127.0.0.1", "-mp", str(media)]


def _rate_args(rate: float) -> list[str]:
    """SIPp's -r/-rp (calls per period in ms) for ``rate`` calls/s, fractions included."""
    fraction = Fraction(rate).limit_denominator(1000)
    return ["-r", str(fraction.numerator), "-rp", str(1000 * fraction.denominator)]


async def _poll(check: Callable[[], Awaitable[T | None]], *, timeout: float, what: str) -> T:
    deadline = time.monotonic() + timeout
    while True:
        result = await check()
        if result:
            return result
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what} did not happen within {timeout:.0f} s")
        await asyncio.sleep(0.25)


# --- the suite -----------------------------------------------------------------------------------


class Suite:
    """One run: ``async with Suite(options) as suite: result = await suite.run()``."""

    def __init__(self, options: Options) -> None:
        self.options = options
        self.workdir = Path(tempfile.mkdtemp(prefix="hotline-faults-", dir="/tmp"))
        self.state_dir = self.workdir / "state"
        self.sipp_dir = self.workdir / "sipp"
        self.sipp_dir.mkdir()
        self.instance = f"faults-{os.getpid()}"
        self.catalog: Catalog = load_catalog(ROOT / "ivr_flows" / "topics.yaml")
        self.ami_port = free_port()
        self.sip_port = free_port(socket.SOCK_DGRAM)
        self.web_port = free_port()
        self.password = secrets.token_urlsafe(16)
        self.database_url: str | None = None
        self.layout: InstanceLayout | None = None
        self.proxy: AmiProxy | None = None
        self.controller: subprocess.Popen[bytes] | None = None
        self.sipps: list[SippProcess] = []
        self.faults_done: list[str] = []
        self.tasks: set[asyncio.Task[Any]] = set()
        self.started_at = 0.0
        self.http = httpx.AsyncClient(base_url=f"http://127.0.0.1:{self.web_port}", timeout=30)
        self.headers: dict[str, str] = {}

    # -- environment and commands

    def env(self, *, ami_port: int | None = None) -> dict[str, str]:
        """The hotline's settings for this run: Asterisk's manager listens on the real AMI port,
        the controller connects to ``ami_port`` (the proxy's) when given."""
        env = {key: value for key, value in os.environ.items() if not key.startswith("HOTLINE_")}
        if "HOTLINE_ASTERISK__ROOT" in os.environ:
            env["HOTLINE_ASTERISK__ROOT"] = os.environ["HOTLINE_ASTERISK__ROOT"]
        # Asterisk's RTP ports: two channels a call, an RTP and an RTCP port each; SIPp's media
        # ports (hotline.rehearsal.ports.media_port) lie below 32000.
        rtp_start = 40000 + (os.getpid() % 8) * 2500
        env.update(
            {
                "HOTLINE_STATE_DIR": str(self.state_dir),
                "HOTLINE_ASTERISK__INSTANCE": self.instance,
                "HOTLINE_ASTERISK__SIP_PORT": str(self.sip_port),
                "HOTLINE_ASTERISK__RTP_PORT_START": str(rtp_start),
                "HOTLINE_ASTERISK__RTP_PORT_END": str(rtp_start + 2499),
                "HOTLINE_ASTERISK__QUEUE_TIMEOUT": str(self.options.queue_timeout),
                "HOTLINE_ASTERISK__RING_TIMEOUT": "5",
                "HOTLINE_ASTERISK__WRAPUP_SECONDS": "0",
                "HOTLINE_ASTERISK__VOICEMAIL_MAX_SECONDS": "30",
                "HOTLINE_IVR__PROMPT_OVERRIDES": str(PROMPTS),
                "HOTLINE_IVR__CLOCK": OPEN_MOMENT,
                "HOTLINE_AMI__PORT": str(self.ami_port),
                "HOTLINE_AMI__BACKOFF_INITIAL": "0.2",
                "HOTLINE_AMI__BACKOFF_MAX": "2",
            }
        )
        if ami_port is not None:
            env["HOTLINE_AMI__CONNECT_PORT"] = str(ami_port)
        if self.database_url:
            env["HOTLINE_DATABASE_URL"] = self.database_url
        return env

    def hotline(self) -> list[str]:
        script = Path(sys.executable).parent / "hotline"
        return [str(script)] if script.exists() else [sys.executable, "-m", "hotline.cli"]

    async def command(self, *args: str, stdin: str | None = None, timeout: float = 120) -> str:
        """Run ``hotline <args>`` with this run's settings (Asterisk's real AMI port)."""

        def run() -> subprocess.CompletedProcess[str]:
            return subprocess.run(
                [*self.hotline(), *args],
                env=self.env(),
                input=stdin,
                capture_output=True,
                text=True,
                timeout=timeout,
                check=False,
            )

        result = await asyncio.to_thread(run)
        if result.returncode != 0:
            raise RuntimeError(f"hotline {' '.join(args)} failed: {result.stderr or result.stdout}")
        return result.stdout

    def log(self, message: str) -> None:
        if self.options.verbose:
            stamp = time.monotonic() - self.started_at if self.started_at else 0.0
            print(f"[{stamp:7.1f}] {message}", flush=True)

    # -- setup

    async def create_database(self) -> None:
        if self.options.database != "postgresql":
            return
        from sqlalchemy import create_engine, text
        from sqlalchemy.engine import make_url

        name = f"faults_{os.getpid()}"
        base = make_url(self.options.postgres_url)
        engine = create_engine(base, isolation_level="AUTOCOMMIT")
        with engine.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        engine.dispose()
        self.database_url = base.set(database=name).render_as_string(hide_password=False)

    def drop_database(self) -> None:
        if not self.database_url:
            return
        from sqlalchemy import create_engine, text
        from sqlalchemy.engine import make_url

        name = make_url(self.database_url).database
        engine = create_engine(make_url(self.options.postgres_url), isolation_level="AUTOCOMMIT")
        with engine.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        engine.dispose()

    def extensions(self) -> list[str]:
        return [str(8001 + index) for index in range(self.options.lawyers)]

    def write_roster(self) -> tuple[Path, Path]:
        """Every lawyer strong (5) in every topic, speaking every language, on duty from an hour ago
        for four hours (real time: the roster follows the real clock)."""
        skills = ";".join(f"{topic.label}:5" for topic in self.catalog.topics)
        dialects = "、".join(language.label for language in self.catalog.languages)
        lawyers = self.workdir / "lawyers.csv"
        lawyers.write_text(
            "姓名,律所,分机,技能,地区,方言\n"
            + "".join(f"律师{ext},,{ext},{skills},,{dialects}\n" for ext in self.extensions()),
            encoding="utf-8",
        )
        zone = ZoneInfo("Asia/Shanghai")
        start = (datetime.now(zone) - timedelta(hours=1)).replace(second=0, microsecond=0)
        end = start + timedelta(hours=4)
        shifts = self.workdir / "shifts.csv"
        shifts.write_text(
            "分机,日期,开始,结束\n"
            + "".join(f"{ext},{start:%Y-%m-%d},{start:%H:%M},{end:%H:%M}\n" for ext in self.extensions()),
            encoding="utf-8",
        )
        return lawyers, shifts

    async def set_up(self) -> dict[str, str]:
        """The database, lawyers (with their SIP passwords), the supervisor, Asterisk running."""
        await self.create_database()
        lawyers, shifts = self.write_roster()
        out = await self.command("roster", "import", str(lawyers), str(shifts), timeout=300)
        passwords = {}
        for line in out.splitlines():
            if line.startswith("New lawyer "):
                words = line.split()
                passwords[words[2].rstrip(":")] = words[7].rstrip(",")
        if len(passwords) != self.options.lawyers:
            raise RuntimeError(f"roster import gave {len(passwords)} SIP passwords:\n{out}")
        await self.command("user", "create", SUPERVISOR, "--role", "supervisor", stdin=self.password + "\n")
        self.layout = InstanceLayout(self._asterisk_root(), self.instance)
        await self.command("asterisk", "start")
        self.log(f"Asterisk instance {self.instance} running (SIP {self.sip_port}, AMI {self.ami_port})")
        return passwords

    def _asterisk_root(self) -> Path:
        from hotline.settings import AsteriskSettings

        configured = os.environ.get("HOTLINE_ASTERISK__ROOT")
        return Path(configured) if configured else AsteriskSettings().root

    # -- the controller

    def start_controller(self) -> None:
        assert self.proxy is not None
        with (self.workdir / "controller.log").open("ab") as out:
            self.controller = subprocess.Popen(
                [*self.hotline(), "serve", "--port", str(self.web_port)],
                env=self.env(ami_port=self.proxy.port),
                stdout=out,
                stderr=subprocess.STDOUT,
            )

    def controller_pid(self) -> int | None:
        return self.controller.pid if self.controller and self.controller.poll() is None else None

    def asterisk_pid(self) -> int | None:
        return asterisk_process.read_pid(self.layout) if self.layout else None

    async def health(self) -> dict[str, Any] | None:
        try:
            if not self.headers:
                token = await self.http.post(
                    "/api/v1/auth/token", data={"username": SUPERVISOR, "password": self.password}
                )
                if token.status_code != 200:
                    return None
                self.headers = {"Authorization": f"Bearer {token.json()['access_token']}"}
            response = await self.http.get("/api/v1/health", headers=self.headers)
        except httpx.HTTPError:
            return None
        if response.status_code != 200:
            return None
        health: dict[str, Any] = response.json()
        return health

    async def controller_ready(self, timeout: float) -> dict[str, Any]:
        async def ready() -> dict[str, Any] | None:
            if self.controller is None or self.controller.poll() is not None:
                raise RuntimeError(f"the controller exited; see {self.workdir / 'controller.log'}")
            health = await self.health()
            return health if health and health["ami_connected"] else None

        return await _poll(ready, timeout=timeout, what="the controller's AMI connection")

    # -- SIPp

    async def start_lawyers(self, passwords: dict[str, str]) -> None:
        """One SIPp registering every lawyer and answering their calls; waits until Asterisk
        offers every one of them in the citizens' queue."""
        options = self.options
        inf = self.sipp_dir / "lawyers.csv"
        inf.write_text(
            "SEQUENTIAL\n"
            + "".join(
                f"{ext};[authentication username={ext} password={passwords[ext]}]\n"
                for ext in self.extensions()
            )
        )
        stay_ms = int(options.total_deadline() * 1000) + 600_000
        register = _render("lawyers-register.xml", self.sipp_dir, stay_ms=stay_ms)
        answer = _render(
            "lawyers-answer.xml",
            self.sipp_dir,
            ring_ms=RING_MS,
            talk_ms=int(options.talk_seconds * 1000),
            speech=SPEECH,
        )
        lawyers = SippProcess(
            "lawyers",
            [
                f"127.0.0.1:{self.sip_port}",
                "-sf",
                str(register),
                "-oocsf",
                str(answer),
                "-inf",
                str(inf),
                *_loopback(free_port(socket.SOCK_DGRAM), media_port()),
                "-m",
                str(options.lawyers),
                "-l",
                str(options.lawyers),
                "-r",
                "50",
                "-aa",
                "-trace_err",
                "-error_file",
                "lawyers-errors.log",
                "-trace_logs",
                "-log_file",
                "lawyers-log.log",
            ],
            self.sipp_dir,
        ).start()
        self.sipps.append(lawyers)
        queue = self.citizen_queue()

        async def all_offered() -> bool:
            if not lawyers.running():
                raise RuntimeError(f"the lawyers' SIPp exited; see {lawyers.file('.out')}")
            assert self.layout is not None
            shown = await asyncio.to_thread(
                asterisk_process.remote_command, self.layout, f"queue show {queue}"
            )
            free[0] = _ANSI.sub("", shown).count("(Not in use)")
            return free[0] >= options.lawyers

        free = [0]
        try:
            timeout = 60 + options.lawyers / 5
            await _poll(all_offered, timeout=timeout, what=f"all lawyers free in queue {queue}")
        except TimeoutError as exc:
            raise TimeoutError(
                f"{exc}: {free[0]} of {options.lawyers} were (see {lawyers.file('-errors.log')})"
            ) from None
        self.log(f"{options.lawyers} lawyers registered and free in queue {queue}")

    def citizen_queue(self) -> str:
        topic = self.catalog.topics[int(self.options.topic_key) - 1].id
        language = self.catalog.languages[int(self.options.language_key) - 1].id
        return self.catalog.queue(topic, language)

    def start_citizens(self) -> SippProcess:
        options = self.options
        script, rating = citizen_script(self.sipp_dir, options)
        scenario = _render("citizen.xml", self.sipp_dir, prefix=CALLER_PREFIX, script=script, rating=rating)
        citizens = SippProcess(
            "citizens",
            [
                f"127.0.0.1:{self.sip_port}",
                "-sf",
                str(scenario),
                *_loopback(free_port(socket.SOCK_DGRAM), media_port()),
                "-m",
                str(options.calls),
                "-l",
                str(options.calls),
                *_rate_args(options.rate),
                "-trace_stat",
                "-stf",
                "citizens-stats.csv",
                "-fd",
                "1",
                "-trace_err",
                "-error_file",
                "citizens-errors.log",
                "-trace_logs",
                "-log_file",
                "citizens-log.log",
            ],
            self.sipp_dir,
        ).start()
        self.sipps.append(citizens)
        return citizens

    # -- faults

    async def inject(self, fault: Fault) -> None:
        await asyncio.sleep(max(0.0, self.started_at + fault.at - time.monotonic()))
        at = time.monotonic() - self.started_at
        if fault.kind == "ami-cut":
            assert self.proxy is not None
            cut = self.proxy.cut()
            self.faults_done.append(f"{at:6.1f} s  AMI connection cut ({cut} open)")
        elif fault.kind == "controller-kill":
            pid = self.controller_pid()
            if pid is not None:
                os.kill(pid, signal.SIGKILL)
                assert self.controller is not None
                await asyncio.to_thread(self.controller.wait)
            await asyncio.sleep(self.options.controller_down)
            self.start_controller()
            self.faults_done.append(
                f"{at:6.1f} s  controller pid {pid} killed (SIGKILL), restarted after "
                f"{self.options.controller_down:.0f} s"
            )
        else:
            began = time.monotonic()
            await self.command("asterisk", "restart")
            self.faults_done.append(
                f"{at:6.1f} s  Asterisk restarted (took {time.monotonic() - began:.1f} s)"
            )
        self.log(self.faults_done[-1].strip())

    # -- the end: settle, collect, compare

    async def records(self) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = []
        while True:
            response = await self.http.get(
                "/api/v1/calls", params={"limit": 500, "offset": len(items)}, headers=self.headers
            )
            response.raise_for_status()
            page = response.json()["items"]
            items.extend(page)
            if len(page) < 500:
                return items

    async def recordings(self, records: list[dict[str, Any]]) -> dict[int, dict[str, Any]]:
        documents = {}
        for record in records:
            recording_id = record.get("recording")
            if recording_id is None:
                continue
            response = await self.http.get(f"/api/v1/recordings/{recording_id}", headers=self.headers)
            if response.status_code == 200:
                documents[int(recording_id)] = response.json()
        return documents

    async def settle(self) -> list[dict[str, Any]]:
        """Wait until the controller is connected, every record has ended, no recording waits to be
        sealed and nothing changed for a few seconds (or ``settle_seconds`` have passed)."""
        deadline = time.monotonic() + self.options.settle_seconds
        quiet_for = 5.0
        last: object = None
        stable_since = time.monotonic()
        records: list[dict[str, Any]] = []
        while time.monotonic() < deadline:
            health = await self.health()
            if health is None or not health["ami_connected"]:
                await asyncio.sleep(0.5)
                continue
            try:
                records = await self.records()
            except httpx.HTTPError:
                await asyncio.sleep(0.5)
                continue
            fingerprint = json.dumps(records, sort_keys=True)
            if fingerprint != last:
                last, stable_since = fingerprint, time.monotonic()
            finished = all(record["ended_at"] for record in records) and health["live_calls"] == 0
            if finished and time.monotonic() - stable_since >= quiet_for:
                break
            await asyncio.sleep(1.0)
        else:
            self.log("the records were still changing when the settle time ran out")
        return records

    def spool_wavs(self) -> dict[str, int]:
        """The WAV files in the spool's recordings and voicemail (path -> size in bytes)."""
        assert self.layout is not None
        left = {}
        for directory in (self.layout.monitor, self.layout.voicemail):
            base = self.layout.host(directory)
            if base.exists():
                left.update(
                    {str(path.relative_to(base)): path.stat().st_size for path in base.rglob("*.wav")}
                )
        return left

    def summary_lines(self) -> list[str]:
        assert self.layout is not None
        lines: list[str] = []
        for path in sorted(self.layout.host(self.layout.summaries).glob("*.jsonl")):
            lines += path.read_text(encoding="utf-8", errors="replace").splitlines()
        return lines

    def figures(self, verdict_summaries: list[Any], sipp: SippView, sampler: CpuSampler) -> Figures:
        talks = [
            (summary.answered_at, summary.queue_left_at or summary.ended_at)
            for summary in verdict_summaries
            if summary.answered_at is not None
        ]
        moments = [moment for moment, _ in sampler.samples]
        conversations = concurrency(talks, moments)
        busy = [
            (shares, count)
            for (_, shares), count in zip(sampler.samples, conversations, strict=True)
            if count > 0
        ]

        def mean(role: str) -> float:
            values = [shares.get(role, 0.0) for shares, _ in busy]
            return sum(values) / len(values) if values else 0.0

        def peak(role: str) -> float:
            return max((shares.get(role, 0.0) for shares, _ in busy), default=0.0)

        return Figures(
            calls_completed=len(sipp.completed),
            sipp_failed=sipp.failed,
            peak_concurrent_calls=sipp.peak_concurrent,
            peak_conversations=max(conversations, default=0),
            mean_conversations=sum(count for _, count in busy) / len(busy) if busy else 0.0,
            asterisk_cpu_percent=mean("asterisk"),
            asterisk_cpu_peak=peak("asterisk"),
            controller_cpu_percent=mean("controller"),
            controller_cpu_peak=peak("controller"),
            load_seconds=len(busy) * sampler.interval,
        )

    # -- the run

    async def run(self) -> Result:
        options = self.options
        self.started_at = time.monotonic()
        passwords = await self.set_up()
        self.proxy = AmiProxy(self.ami_port)
        await self.proxy.start()
        self.start_controller()
        await self.controller_ready(timeout=60)
        self.log(f"controller up on port {self.web_port} (AMI through the proxy on {self.proxy.port})")
        await self.start_lawyers(passwords)

        sampler = CpuSampler({"asterisk": self.asterisk_pid, "controller": self.controller_pid})
        self._spawn(sampler.run())
        citizens = self.start_citizens()
        self.started_at = time.monotonic()
        self.log(f"{options.calls} calls at {options.rate:g}/s, lawyers talk {options.talk_seconds:g} s")
        schedule = fault_schedule(
            options.ami_cuts, options.controller_kills, options.asterisk_restarts, options.arrival_seconds
        )
        injections = [self._spawn(self.inject(fault)) for fault in schedule]
        profiling = None if options.faults else self._spawn(self.profile())
        assert citizens.process is not None
        await asyncio.to_thread(citizens.process.wait)  # the deadline stops it otherwise
        self.log(
            f"the citizens' SIPp finished (exit {citizens.process.returncode if citizens.process else '?'})"
        )
        if injections:
            await asyncio.gather(*injections)
        if self.controller_pid() is None:
            self.start_controller()
        await self.controller_ready(timeout=60)
        records = await self.settle()
        self.log(f"settled: {len(records)} records")

        summaries, bad = parse_summaries(self.summary_lines())
        answered, completed = parse_sipp_log(
            citizens.file("-log.log").read_text(errors="replace").splitlines()
            if citizens.file("-log.log").exists()
            else []
        )
        stats = parse_sipp_stats(
            citizens.file("-stats.csv").read_text(errors="replace")
            if citizens.file("-stats.csv").exists()
            else ""
        )
        sipp = SippView(
            placed=stats["created"],
            successful=stats["successful"],
            failed=stats["failed"],
            answered=answered,
            completed=completed,
            peak_concurrent=stats["peak_current"],
        )
        verdict = compare(
            sipp,
            summaries,
            records,
            await self.recordings(records),
            self.spool_wavs(),
            tolerance=options.tolerance,
            asterisk_restarted=options.asterisk_restarts > 0,
            bad_summary_lines=bad,
        )
        faults = sorted(self.faults_done, key=lambda entry: float(entry.split()[0]))
        profile = profiling.result() if profiling is not None and profiling.done() else None
        return Result(verdict, self.figures(summaries, sipp, sampler), faults, self.workdir, profile)

    async def profile(self) -> ThreadProfile | None:
        """Asterisk's threads over a window of steady load: once the first calls talk, until
        shortly before the last arrival."""
        options = self.options
        start = TOPIC_AT / 1000 + RING_MS / 1000 + options.talk_seconds
        window = min(30.0, options.arrival_seconds - start - 5)
        pid = self.asterisk_pid()
        if window < 5 or pid is None or self.layout is None:
            return None
        await asyncio.sleep(start)
        try:
            return await profile_threads(self.layout, pid, window)
        except HotlineError as exc:
            self.log(f"no thread profile: {exc}")
            return None

    def _spawn(self, work: Awaitable[T]) -> asyncio.Task[T]:
        task: asyncio.Task[T] = asyncio.ensure_future(work)
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)
        return task

    async def close(self) -> None:
        """Stop everything this run started, by PID; remove its instance, database and files."""
        for task in list(self.tasks):
            task.cancel()
        for sipp in self.sipps:
            sipp.stop()
        _stop(self.controller)
        if self.proxy is not None:
            await self.proxy.close()
        await self.http.aclose()
        if self.layout is not None:
            await asyncio.to_thread(asterisk_process.stop, self.layout)
        with contextlib.suppress(Exception):
            self.drop_database()
        if not self.options.keep:
            if self.layout is not None:
                shutil.rmtree(self.layout.host(self.layout.base), ignore_errors=True)
            shutil.rmtree(self.workdir, ignore_errors=True)

    async def __aenter__(self) -> Suite:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()


async def run_suite(options: Options) -> Result:
    """Run the suite once within its deadline; everything it started is stopped afterwards."""
    async with Suite(options) as suite:
        return await asyncio.wait_for(suite.run(), options.total_deadline())


def _parser() -> argparse.ArgumentParser:
    defaults = Options()
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--calls", type=int, default=defaults.calls, help="citizens' calls in all")
    parser.add_argument("--rate", type=float, default=defaults.rate, help="new calls per second")
    parser.add_argument("--lawyers", type=int, default=defaults.lawyers, help="registered lawyers on duty")
    parser.add_argument("--talk", type=float, default=defaults.talk_seconds, help="seconds a lawyer talks")
    parser.add_argument("--database", choices=["sqlite", "postgresql"], default=defaults.database)
    parser.add_argument("--postgres-url", default=defaults.postgres_url, help="where to create the database")
    parser.add_argument("--ami-cuts", type=int, default=defaults.ami_cuts)
    parser.add_argument("--controller-kills", type=int, default=defaults.controller_kills)
    parser.add_argument(
        "--down", type=float, default=defaults.controller_down, help="seconds a killed controller stays down"
    )
    parser.add_argument("--asterisk-restarts", type=int, default=defaults.asterisk_restarts)
    parser.add_argument("--no-faults", action="store_true", help="no faults: throughput figures")
    parser.add_argument("--topic-key", default=defaults.topic_key, help="the citizens' topic key (1-7)")
    parser.add_argument(
        "--language-key", default=defaults.language_key, help="the citizens' language key (1-2)"
    )
    parser.add_argument("--tolerance", type=float, default=defaults.tolerance, help="seconds, for times")
    parser.add_argument("--deadline", type=float, help="seconds for the whole run (default: from the load)")
    parser.add_argument("--keep", action="store_true", help="keep the run's directory and Asterisk instance")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    no_faults = args.no_faults
    options = Options(
        calls=args.calls,
        rate=args.rate,
        lawyers=args.lawyers,
        talk_seconds=args.talk,
        database=args.database,
        postgres_url=args.postgres_url,
        ami_cuts=0 if no_faults else args.ami_cuts,
        controller_kills=0 if no_faults else args.controller_kills,
        controller_down=args.down,
        asterisk_restarts=0 if no_faults else args.asterisk_restarts,
        topic_key=args.topic_key,
        language_key=args.language_key,
        tolerance=args.tolerance,
        deadline=args.deadline,
        keep=args.keep,
    )
    result = asyncio.run(run_suite(options))
    for line in result.lines():
        print(line)
    if options.keep:
        print(f"kept: {result.workdir}")
    return 0 if result.ok else 1


if __name__ == "__main__":
    sys.exit(main())
