"""Call records on SQLite and PostgreSQL: migrations, idempotent merging, open calls, the calls that
ended told once."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import func, inspect, select
from sqlalchemy.orm import Session, sessionmaker

from hotline.calls.models import Call
from hotline.calls.service import RECORD_COLUMNS, CallStore, EndedRecord
from hotline.calls.state import CallProgress
from hotline.db.migrate import upgrade
from hotline.db.models import metadata
from hotline.db.session import make_engine

# Every column a user sees (not the surrogate key or the bookkeeping timestamp).
FACTS = ("linkedid", *RECORD_COLUMNS, "recording_id")
PROGRESS_FIELDS = (
    "linkedid",
    "caller",
    "started_at",
    "queue",
    "queued_at",
    "answered_at",
    "lawyer",
    "ended_at",
    "wait_seconds",
    "talk_seconds",
    "rating",
    "recording_file",
    "voicemail_file",
)
BASE = datetime(2024, 5, 1, 2, 0, tzinfo=UTC).timestamp()


def replace(call: CallProgress, **changes: object) -> CallProgress:
    """``call`` with some facts changed (whatever kind of immutable record CallProgress is)."""
    return CallProgress(**{**{name: getattr(call, name) for name in PROGRESS_FIELDS}, **changes})  # type: ignore[arg-type]


def at(seconds: float) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)


def rows(session_factory: sessionmaker[Session]) -> dict[str, dict[str, object]]:
    with session_factory() as session:
        return {
            call.linkedid: {name: getattr(call, name) for name in (*FACTS, "id")}
            for call in session.scalars(select(Call))
        }


def answered_call(linkedid: str, start: float = BASE) -> list[CallProgress]:
    """The progress the reducer reports for an answered, rated call, one stage after another."""
    started = CallProgress(linkedid=linkedid, caller="13800000001", started_at=start)
    queued = CallProgress(
        linkedid=linkedid,
        caller="13800000001",
        started_at=start,
        queue="legal",
        queued_at=start + 5.25,
        recording_file=f"20240501/{linkedid}",
    )
    answered = CallProgress(
        linkedid=linkedid,
        caller="13800000001",
        started_at=start,
        queue="legal",
        queued_at=start + 5.25,
        answered_at=start + 20.5,
        lawyer="8001",
        wait_seconds=15,
        recording_file=f"20240501/{linkedid}",
    )
    completed = replace(answered, talk_seconds=180, rating=4)
    ended = replace(completed, ended_at=start + 206.75)
    return [started, queued, answered, completed, ended]


# --- migrations -----------------------------------------------------------------------------------


def test_migrations_build_the_models_schema_on_an_empty_database(database_url: str) -> None:
    engine = make_engine(database_url)
    try:
        assert inspect(engine).get_table_names() == []
        upgrade(engine)
        tables = set(inspect(engine).get_table_names())
        assert tables == set(metadata.tables) | {"alembic_version"}
        for name, table in metadata.tables.items():
            columns = {column["name"] for column in inspect(engine).get_columns(name)}
            assert columns == set(table.columns.keys()), name
        with engine.connect() as connection:
            drift = compare_metadata(MigrationContext.configure(connection), metadata)
        assert drift == [], f"the migrations and the models differ: {drift}"

        upgrade(engine)  # a second upgrade changes nothing
        assert set(inspect(engine).get_table_names()) == tables
    finally:
        engine.dispose()


# --- idempotent writes ----------------------------------------------------------------------------


def test_writing_the_same_progress_twice_gives_one_identical_row(
    store: CallStore, session_factory: sessionmaker[Session]
) -> None:
    final = answered_call("1714528800.1")[-1]
    store.write([final])
    first = rows(session_factory)
    store.write([final])
    store.write([final, final])
    assert rows(session_factory) == first
    assert list(first) == ["1714528800.1"]

    row = first["1714528800.1"]
    assert row["caller"] == "13800000001" and row["queue"] == "legal" and row["lawyer"] == "8001"
    assert row["started_at"] == at(BASE)
    assert row["queued_at"] == at(BASE + 5.25)
    assert row["answered_at"] == at(BASE + 20.5)
    assert row["ended_at"] == at(BASE + 206.75)
    assert (row["wait_seconds"], row["talk_seconds"], row["rating"]) == (15, 180, 4)
    assert row["outcome"] == "answered"


def test_replaying_every_stage_gives_the_same_record(
    store: CallStore, session_factory: sessionmaker[Session]
) -> None:
    stages = answered_call("1714528800.2")
    for stage in stages:
        store.write([stage])
    once = rows(session_factory)
    for stage in stages:  # the controller replays after a restart
        store.write([stage])
    store.write(stages)  # or gets them in one batch
    assert rows(session_factory) == once
    with session_factory() as session:
        assert session.scalar(select(func.count()).select_from(Call)) == 1


def test_one_batch_with_several_stages_of_a_new_call_gives_one_record(
    store: CallStore, session_factory: sessionmaker[Session]
) -> None:
    """CallStore.write takes any sequence of progress: the same call may come more than once."""
    stages = answered_call("1714528800.5")
    store.write(stages)
    records = rows(session_factory)
    assert list(records) == ["1714528800.5"]
    assert records["1714528800.5"]["outcome"] == "answered"
    assert records["1714528800.5"]["rating"] == 4


def test_one_batch_keeps_every_fact_of_a_known_call(
    store: CallStore, session_factory: sessionmaker[Session]
) -> None:
    linkedid = "1714528800.6"
    store.write([CallProgress(linkedid=linkedid, caller="13800000001", started_at=BASE)])
    # Two partial pictures of the same call in one batch: the rating, then the end.
    store.write(
        [CallProgress(linkedid=linkedid, rating=5), CallProgress(linkedid=linkedid, ended_at=BASE + 30)]
    )
    row = rows(session_factory)[linkedid]
    assert (row["rating"], row["ended_at"], row["caller"]) == (5, at(BASE + 30), "13800000001")


def test_partial_progress_later_keeps_what_was_learnt_earlier(
    store: CallStore, session_factory: sessionmaker[Session]
) -> None:
    linkedid = "1714528800.3"
    completed = answered_call(linkedid)[3]  # answered, rated, still on the line
    store.write([completed])

    # After an AMI reconnect the snapshot knows the call only by its channel: the start is estimated
    # from the channel's age in whole seconds (a little later), nothing else is known.
    store.write([CallProgress(linkedid=linkedid, caller="13800000001", started_at=BASE + 0.9)])
    row = rows(session_factory)[linkedid]
    assert row["started_at"] == at(BASE)
    assert (row["lawyer"], row["queue"], row["rating"]) == ("8001", "legal", 4)
    assert row["answered_at"] == at(BASE + 20.5)
    assert row["ended_at"] is None and row["outcome"] is None

    # Then only the end is known (the call's channel is gone from the next snapshot).
    store.write([CallProgress(linkedid=linkedid, ended_at=BASE + 300)])
    row = rows(session_factory)[linkedid]
    assert row["ended_at"] == at(BASE + 300)
    assert row["caller"] == "13800000001" and row["started_at"] == at(BASE)
    assert (row["lawyer"], row["queue"], row["rating"], row["talk_seconds"]) == ("8001", "legal", 4, 180)
    assert row["outcome"] == "answered"

    # A second, later estimate of the end does not move it.
    store.write([CallProgress(linkedid=linkedid, ended_at=BASE + 360)])
    assert rows(session_factory)[linkedid]["ended_at"] == at(BASE + 300)


@pytest.mark.parametrize(
    ("progress", "outcome"),
    [
        (answered_call("1714528800.10")[-1], "answered"),
        (
            CallProgress(
                linkedid="1714528800.11",
                caller="13800000002",
                started_at=BASE,
                queue="legal",
                queued_at=BASE + 5,
                ended_at=BASE + 90,
                wait_seconds=60,
                recording_file="20240501/1714528800.11",
                voicemail_file="1714528800.11",
            ),
            "voicemail",
        ),
        (
            CallProgress(linkedid="1714528800.12", caller="13800000003", started_at=BASE, ended_at=BASE + 12),
            "abandoned",
        ),
        (CallProgress(linkedid="1714528800.13", caller="13800000004", started_at=BASE), None),
    ],
    ids=["answered", "voicemail", "abandoned", "ongoing"],
)
def test_outcome_is_computed(
    store: CallStore, session_factory: sessionmaker[Session], progress: CallProgress, outcome: str | None
) -> None:
    store.write([progress])
    assert rows(session_factory)[progress.linkedid]["outcome"] == outcome


def test_outcome_follows_facts_learnt_later(store: CallStore, session_factory: sessionmaker[Session]) -> None:
    """An end seen first, the answer back-filled afterwards (AgentComplete after an outage)."""
    linkedid = "1714528800.14"
    store.write([CallProgress(linkedid=linkedid, caller="13800000005", started_at=BASE, ended_at=BASE + 60)])
    assert rows(session_factory)[linkedid]["outcome"] == "abandoned"
    store.write([CallProgress(linkedid=linkedid, answered_at=BASE + 10, lawyer="8002", talk_seconds=50)])
    row = rows(session_factory)[linkedid]
    assert (row["outcome"], row["lawyer"], row["talk_seconds"]) == ("answered", "8002", 50)
    assert row["ended_at"] == at(BASE + 60)


# --- open calls -----------------------------------------------------------------------------------


def test_open_calls_are_those_without_an_end(store: CallStore) -> None:
    ongoing = answered_call("1714528800.20")[2]
    waiting = answered_call("1714528800.21", start=BASE + 30)[1]
    store.write([ongoing, waiting, answered_call("1714528800.22")[-1]])
    store.write([CallProgress(linkedid="1714528800.23", started_at=BASE, ended_at=BASE + 3)])

    open_calls = {call.linkedid: call for call in store.open_calls()}
    assert set(open_calls) == {"1714528800.20", "1714528800.21"}
    # What the controller reloads at start-up is what it wrote.
    assert open_calls["1714528800.20"] == ongoing
    assert open_calls["1714528800.21"] == waiting

    store.write([CallProgress(linkedid="1714528800.20", ended_at=BASE + 400)])
    assert [call.linkedid for call in store.open_calls()] == ["1714528800.21"]


# --- recordings -----------------------------------------------------------------------------------


# --- ended records --------------------------------------------------------------------------------


def test_ended_hooks_hear_of_each_call_once_after_its_record_is_committed(
    session_factory: sessionmaker[Session],
) -> None:
    store = CallStore(session_factory, clock=lambda: BASE + 300.0)
    heard: list[tuple[list[EndedRecord], float]] = []

    def hook(ended: Sequence[EndedRecord], committed_at: float) -> None:
        with session_factory() as session:  # committed: another session sees the ended record
            for record in ended:
                assert session.scalar(select(Call.ended_at).where(Call.linkedid == record.linkedid))
        heard.append((list(ended), committed_at))

    def failing(_ended: Sequence[EndedRecord], _committed_at: float) -> None:
        raise RuntimeError("a hook that fails")

    store.ended_hooks.extend([failing, hook])
    stages = answered_call("1714528800.30")
    for stage in stages[:-1]:
        store.write([stage])
    assert heard == []
    store.write([stages[-1]])
    store.write(stages)  # replayed: the record ended already
    store.write([stages[-1]._replace(rating=5)])  # a fact learnt after the end
    store.write(
        [CallProgress(linkedid="1714528800.31", caller="13800000006", started_at=BASE, ended_at=BASE + 3)]
    )

    assert heard == [
        ([EndedRecord("1714528800.30", "legal", "answered", at(BASE + 206.75))], BASE + 300.0),
        ([EndedRecord("1714528800.31", None, "abandoned", at(BASE + 3))], BASE + 300.0),
    ]
    assert rows(session_factory)["1714528800.30"]["rating"] == 5  # the failing hook undid nothing
