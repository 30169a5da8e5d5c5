"""Engine and session factories. Built by the app or the CLI, never at import.

On SQLite, every transaction that writes takes the database's one write lock when it starts
writing (``BEGIN IMMEDIATE``: the first INSERT, UPDATE, DELETE or SAVEPOINT), waiting up to the
busy timeout for it; its reads before that see the latest committed data, as PostgreSQL's default
READ COMMITTED does. A deferred transaction (sqlite3's default) would first read, then try to
upgrade to writing, and SQLite refuses that at once ("database is locked", SQLITE_BUSY_SNAPSHOT)
whenever another connection committed in between: the busy timeout does not apply to it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from hotline.db.migrate import upgrade
from hotline.private_files import secure_state
from hotline.settings import Settings

# How long a writer waits for SQLite's write lock before giving up with "database is locked".
SQLITE_BUSY_TIMEOUT_MS = 5000


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.close()


def _sqlite_write_lock_before_savepoint(
    _conn: Any, cursor: Any, statement: str, _parameters: Any, _context: Any, _executemany: bool
) -> None:
    """A SAVEPOINT outside a transaction would start a deferred one (and its RELEASE would commit):
    begin the transaction, holding the write lock, first. sqlite3 begins one itself before the
    other writes (``isolation_level="IMMEDIATE"``)."""
    if statement.startswith("SAVEPOINT") and not cursor.connection.in_transaction:
        cursor.execute("BEGIN IMMEDIATE")


def make_engine(url: str) -> Engine:
    parsed = make_url(url)
    if parsed.drivername.startswith("sqlite"):
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"check_same_thread": False, "isolation_level": "IMMEDIATE"})
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "before_cursor_execute", _sqlite_write_lock_before_savepoint)
        return engine
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return create_engine(parsed, pool_pre_ping=True)


T = TypeVar("T")


def in_transaction(session_factory: sessionmaker[Session], change: Callable[[Session], T]) -> T:
    """Run ``change`` in a transaction of its own, committed when it returns (blocking: call it
    from a worker thread on the event loop, ``asyncio.to_thread(in_transaction, ...)``)."""
    with session_factory.begin() as session:
        return change(session)


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


@dataclass(frozen=True)
class Database:
    """The engine and its session factory, built once by an entry point and disposed by it."""

    engine: Engine
    session_factory: sessionmaker[Session]

    def dispose(self) -> None:
        self.engine.dispose()


def open_database(url: str) -> Database:
    engine = make_engine(url)
    return Database(engine, make_session_factory(engine))


@contextmanager
def database_of(settings: Settings) -> Iterator[Database]:
    """The configured database, migrated, for a command or a test: disposed on leaving. The state
    directories are made private first (the SQLite file lives in one)."""
    secure_state(settings)
    database = open_database(settings.resolved_database_url)
    try:
        upgrade(database.engine)
        yield database
    finally:
        database.dispose()
