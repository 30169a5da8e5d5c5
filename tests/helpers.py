"""Helpers shared by the test tiers: polling with a deadline, free ports, databases."""

from __future__ import annotations

import asyncio
import itertools
import os
import signal
import socket
import subprocess
import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

T = TypeVar("T")

POSTGRES_URL = os.environ.get(
    "HOTLINE_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
_counter = itertools.count(1)


def stop_process(process: subprocess.Popen[bytes] | None) -> None:
    """Stop a process this test started, by its PID: TERM, then KILL after 5 s."""
    if process is None or process.poll() is not None:
        return
    os.kill(process.pid, signal.SIGTERM)
    try:
        process.wait(5)
    except subprocess.TimeoutExpired:
        os.kill(process.pid, signal.SIGKILL)
        process.wait(5)


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


def free_port(kind: int = socket.SOCK_STREAM) -> int:
    with socket.socket(socket.AF_INET, kind) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


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
