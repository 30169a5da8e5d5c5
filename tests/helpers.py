"""Helpers shared by the test tiers: polling with a deadline, free ports, databases, recordings.

Free ports and stopping a process by PID are the rehearsal's (``hotline.rehearsal``, which
scripts/ and bench/ use too), re-exported here."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import io
import itertools
import math
import os
import sqlite3
import struct
import subprocess
import sys
import time
import wave
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import NamedTuple, TypeVar

import httpx
from fastapi import FastAPI
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from hotline.app import create_app
from hotline.db.base import utcnow
from hotline.db.session import open_database
from hotline.kernel.compose import Runtime
from hotline.private_files import secure_state
from hotline.recordings.audit import AuditLog
from hotline.recordings.crypto import decrypt_file
from hotline.recordings.models import Recording, RecordingFile, RecordingState
from hotline.recordings.service import RecordingRegistry
from hotline.rehearsal.ports import free_port as free_port
from hotline.rehearsal.ports import media_port as media_port
from hotline.rehearsal.sipp import stop_process as stop_process
from hotline.secrets import ensure_secret
from hotline.settings import AsteriskSettings, Settings

T = TypeVar("T")

POSTGRES_URL = os.environ.get(
    "HOTLINE_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
_counter = itertools.count(1)


async def eventually(
    check: Callable[[], Awaitable[T | None] | T | None],
    *,
    timeout: float,
    interval: float = 0.1,
    what: str = "condition",
) -> T:
    """Poll ``check`` until it returns something truthy, or fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    last: object = None
    while True:
        result = check()
        if asyncio.iscoroutine(result) or isinstance(result, Awaitable):
            result = await result
        if result:
            return result  # type: ignore[return-value]
        last = result
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} did not hold within {timeout:.0f} s (last value: {last!r})")
        await asyncio.sleep(interval)


def unique_number(prefix: str = "139") -> str:
    """A caller number no other test in this run uses."""
    return f"{prefix}{os.getpid() % 10000:04d}{next(_counter):04d}"


def create_postgres_database() -> str:
    """A fresh, empty PostgreSQL database for one test session (dropped by ``drop_postgres_database``)."""
    base = make_url(POSTGRES_URL)
    name = f"hotline_test_{os.getpid()}_{next(_counter)}"
    engine = create_engine(base, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    engine.dispose()
    return base.set(database=name).render_as_string(hide_password=False)


def drop_postgres_database(url: str) -> None:
    target = make_url(url)
    engine = create_engine(make_url(POSTGRES_URL), isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{target.database}" WITH (FORCE)'))
    engine.dispose()


@dataclass(frozen=True)
class Offline:
    """An installation's database and audit log, without the controller running."""

    settings: Settings
    engine: Engine
    session_factory: sessionmaker[Session]
    audit: AuditLog


def offline(settings: Settings) -> Offline:
    """What a start opens: the private state directories, the database (not migrated), the token
    key and the audit log."""
    secure_state(settings)
    ensure_secret(settings.secrets_dir / "token_key", nbytes=48)
    database = open_database(settings.resolved_database_url)
    audit = AuditLog.from_settings(settings, database.session_factory)
    return Offline(settings, database.engine, database.session_factory, audit)


@contextlib.asynccontextmanager
async def app_without_asterisk(
    state_dir: Path, clock: Callable[[], datetime] = utcnow
) -> AsyncIterator[tuple[FastAPI, Runtime]]:
    """The controller app with its lifespan running, on a SQLite file in ``state_dir``, no AMI;
    ``clock`` is its "now" for deadlines."""
    settings = Settings(state_dir=state_dir, asterisk=AsteriskSettings(root=state_dir / "asterisk-root"))
    app = create_app(settings, connect_ami=False, clock=clock, daily_jobs=False)
    async with app.router.lifespan_context(app):
        yield app, app.state.runtime


class ManualClock:
    """A clock for ``create_app(clock=...)`` that stands still until a test moves it."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, delta: timedelta) -> None:
        self.now += delta


async def tokens_for(http: httpx.AsyncClient, usernames: Iterable[str], password: str) -> dict[str, str]:
    """A bearer token for each user (who all have ``password``), signed in through the API."""
    tokens = {}
    for name in usernames:
        response = await http.post("/api/v1/auth/token", data={"username": name, "password": password})
        assert response.status_code == 200, response.text
        tokens[name] = response.json()["access_token"]
    return tokens


def write_wav(
    path: Path, seconds: float, *, rate: int = 8000, sample: bytes = b"\x01\x00", frames: bytes | None = None
) -> bytes:
    """A mono 16-bit WAV like Asterisk's (``sample`` repeated, or ``frames``); returns its bytes."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with wave.open(str(path), "wb") as audio:
        audio.setnchannels(1)
        audio.setsampwidth(2)
        audio.setframerate(rate)
        audio.writeframes(frames if frames is not None else sample * int(seconds * rate))
    return path.read_bytes()


class SealedRecording(NamedTuple):
    id: int
    content: dict[str, bytes]  # leg -> the plaintext WAV


def tone(frequency: float, seconds: float, rate: int = 8000) -> bytes:
    """16-bit samples of a sine tone (audio a player can play)."""
    return b"".join(
        struct.pack("<h", round(8000 * math.sin(2 * math.pi * frequency * n / rate)))
        for n in range(int(seconds * rate))
    )


def sealed_recording(registry: RecordingRegistry, linkedid: str, *, seconds: float = 1.0) -> SealedRecording:
    """A call recording (mix and both legs, each its own tone), registered and sealed in the store."""
    content = {}
    files = []
    for leg, frequency in (("mix", 440.0), ("caller", 330.0), ("lawyer", 550.0)):
        relative = f"monitor/test/{linkedid}-{leg}.wav"
        content[leg] = write_wav(registry.spool / relative, seconds, frames=tone(frequency, seconds))
        files.append(
            RecordingFile(leg=leg, path=relative, size_bytes=len(content[leg]), duration_seconds=seconds)
        )
    recording = Recording(
        linkedid=linkedid,
        kind="call",
        duration_seconds=seconds,
        state=RecordingState.spooled,
        retain_until=utcnow() + timedelta(days=730),
        files=files,
    )
    with registry.sessions.begin() as session:
        session.add(recording)
        session.flush()
        recording_id = recording.id
    registry.seal_pending()
    return SealedRecording(recording_id, content)


async def sealed_legs(
    registry: RecordingRegistry, recording_id: int, *, timeout: float = 15
) -> dict[str, bytes]:
    """Each leg's plaintext WAV once the controller has sealed the recording (checked by SHA-256)."""

    def sealed() -> Recording | None:
        with registry.sessions() as session:
            recording = session.get(Recording, recording_id)
            return recording if recording is not None and recording.state == RecordingState.sealed else None

    recording = await eventually(sealed, timeout=timeout, what=f"recording {recording_id} sealed")
    legs = {}
    for file in recording.files:
        data = decrypt_file(registry.store / file.path, registry.keyring)
        assert hashlib.sha256(data).hexdigest() == file.sha256, file.leg
        legs[file.leg] = data
    return legs


def wav_seconds(data: bytes) -> float:
    with wave.open(io.BytesIO(data), "rb") as audio:
        return audio.getnframes() / audio.getframerate()


def wav_loud_seconds(data: bytes, threshold: int = 500) -> float:
    """How many seconds of a 16-bit mono WAV carry sound: 20 ms frames whose RMS passes ``threshold``
    (silence and comfort noise stay far below it)."""
    with wave.open(io.BytesIO(data), "rb") as audio:
        assert audio.getsampwidth() == 2 and audio.getnchannels() == 1
        rate = audio.getframerate()
        frames = audio.readframes(audio.getnframes())
    samples = struct.unpack(f"<{len(frames) // 2}h", frames)
    step = rate // 50
    loud = 0
    for start in range(0, len(samples) - step + 1, step):
        window = samples[start : start + step]
        if math.sqrt(sum(v * v for v in window) / step) > threshold:
            loud += 1
    return loud / 50


@dataclass
class Receiver:
    """A hand-off receiver (tests/receiver.py) running on loopback, and the SQLite file it keeps."""

    url: str
    db: Path

    def rows(self, query: str) -> list[tuple[object, ...]]:
        with sqlite3.connect(self.db) as connection:
            return list(connection.execute(query))

    def count(self, query: str) -> int:
        return int(self.rows(query)[0][0])  # type: ignore[call-overload]


@contextlib.contextmanager
def running_receiver(
    port: int, db: Path, secret: str, options: Iterable[str] = (), *, path: str = "/cases"
) -> Iterator[Receiver]:
    """tests/receiver.py as a process on ``port`` until the block ends (``path``: /gov-12345 for the
    12345 hotline's documents)."""
    script = Path(__file__).with_name("receiver.py")
    process = subprocess.Popen(
        [sys.executable, str(script), str(port), str(db), secret, *options], stdout=subprocess.PIPE
    )
    try:
        assert process.stdout is not None and process.stdout.readline().strip() == b"ready"
        yield Receiver(f"http://127.0.0.1:{port}{path}", db)
    finally:
        stop_process(process)
