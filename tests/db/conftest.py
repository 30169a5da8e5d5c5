"""Database fixtures: every test here runs on SQLite and on PostgreSQL (marked ``db``)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from hotline.calls.service import CallStore
from hotline.db.migrate import upgrade
from hotline.db.session import make_engine, make_session_factory
from tests.helpers import create_postgres_database, drop_postgres_database


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.db)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database of each backend, gone after the test."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'hotline.sqlite3'}"
        return
    url = create_postgres_database()
    try:
        yield url
    finally:
        drop_postgres_database(url)


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    """The database, migrated to the newest schema."""
    engine = make_engine(database_url)
    upgrade(engine)
    try:
        yield engine
    finally:
        engine.dispose()


@pytest.fixture
def session_factory(engine: Engine) -> sessionmaker[Session]:
    return make_session_factory(engine)


@pytest.fixture
def spool(tmp_path: Path) -> Path:
    """The instance's spool directory, as Asterisk lays it out."""
    path = tmp_path / "spool"
    (path / "monitor").mkdir(parents=True)
    (path / "hotline-voicemail").mkdir()
    return path


@pytest.fixture
def store(session_factory: sessionmaker[Session]) -> CallStore:
    return CallStore(session_factory)
