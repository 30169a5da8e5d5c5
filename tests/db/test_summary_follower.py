"""Asterisk's summaries merged into the records on SQLite and PostgreSQL: the summary's facts stand
whichever arrives first, nothing is doubled, and the reading goes on after a restart."""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from hotline.calls.follower import SummaryFollower
from hotline.calls.models import Call
from hotline.calls.service import CallStore
from hotline.calls.state import CallProgress

START = datetime(2026, 11, 29, 2, 0, tzinfo=UTC).timestamp()
DAY_FILE = "20261129.jsonl"


def summary_line(linkedid: str, **fields: object) -> str:
    """A v2 summary as the dialplan writes it: every value a string, empty when unknown."""
    values = {
        "v": 2,
        "linkedid": linkedid,
        "caller": "13984960001",
        "started": f"{START + 0.4:.6f}",
        "queued": f"{START + 5.0:.6f}",
        "queue": "labour",
        "answered": f"{START + 9.0:.6f}",
        "lawyer": "8001",
        "queue_left": f"{START + 40.0:.6f}",
        "queue_status": "CONTINUE",
        "rating": "4",
        "recording": f"20261129/{linkedid}",
        "voicemail": "",
        "language": "mandarin",
        "topic": "labour",
        "path": "language=1 topic=1",
        "transferred": "",
        "ended": f"{START + 45.0:.6f}",
    }
    values.update({key: str(value) for key, value in fields.items()})
    return json.dumps(values) + "\n"


def record(session_factory: sessionmaker[Session], linkedid: str) -> Call:
    with session_factory() as session:
        rows = list(session.scalars(select(Call).where(Call.linkedid == linkedid)))
    assert len(rows) == 1, f"{len(rows)} records of {linkedid}"
    return rows[0]


def at(seconds: float) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)


# What events alone said of a call that lived across an outage: it started and ended, nothing
# more (the answer, the lawyer and the rating fell in the gap).
PARTIAL = CallProgress(linkedid="1.1", caller="13984960001", started_at=START, ended_at=START + 46.0)


@pytest.fixture
def summaries(tmp_path: Path) -> Path:
    path = tmp_path / "summaries"
    path.mkdir()
    return path


def follower(store: CallStore, directory: Path) -> SummaryFollower:
    return SummaryFollower(store, directory, clock=lambda: START + 60)


async def test_the_summary_completes_a_call_whatever_arrives_first(
    store: CallStore, session_factory: sessionmaker[Session], summaries: Path
) -> None:
    (summaries / DAY_FILE).write_text(summary_line("1.1") + summary_line("2.1"))
    # 1.1: events first, then the summary; 2.1: the summary first, then the same events.
    store.write([PARTIAL])
    assert record(session_factory, "1.1").outcome == "abandoned"
    assert await follower(store, summaries).catch_up() == 2
    store.write([PARTIAL._replace(linkedid="2.1")])
    first, second = record(session_factory, "1.1"), record(session_factory, "2.1")
    for call in (first, second):
        assert call.outcome == "answered" and call.lawyer == "8001" and call.rating == 4
        assert call.answered_at == at(START + 9.0) and call.ended_at == at(START + 45.0)
        assert call.started_at == at(START + 0.4) and call.wait_seconds == 4 and call.talk_seconds == 31
        assert call.recording_file == f"20261129/{call.linkedid}" and call.summarized_at is not None
    facts = ("caller", "started_at", "answered_at", "ended_at", "lawyer", "rating", "outcome", "talk_seconds")
    assert [getattr(first, name) for name in facts] == [getattr(second, name) for name in facts]


async def test_an_empty_summary_field_erases_nothing(
    store: CallStore, session_factory: sessionmaker[Session], summaries: Path
) -> None:
    store.write([PARTIAL._replace(rating=5, ivr_path="language=2")])
    (summaries / DAY_FILE).write_text(summary_line("1.1", rating="", path=""))
    await follower(store, summaries).catch_up()
    call = record(session_factory, "1.1")
    assert call.rating == 5 and call.ivr_path == "language=2" and call.lawyer == "8001"


async def test_reading_goes_on_after_a_restart_and_adds_unseen_calls_once(
    store: CallStore, session_factory: sessionmaker[Session], summaries: Path
) -> None:
    day = summaries / DAY_FILE
    day.write_text(summary_line("1.1"))
    merged: list[list[str]] = []
    first = follower(store, summaries)
    first.on_merged = merged.append
    assert await first.catch_up() == 1
    # The controller is down; calls begin and end meanwhile, one line is half written.
    with day.open("a") as handle:
        handle.write(summary_line("3.1", answered="", lawyer="", rating="", queue_left=""))
        handle.write(summary_line("4.1", voicemail="20261129/4.1", answered="", lawyer="")[:30])
    (summaries / "20261130.jsonl").write_text(summary_line("5.1", ended=START + 86400))
    again = follower(store, summaries)  # a new process: the cursor comes from the database
    assert await again.catch_up() == 2
    assert record(session_factory, "3.1").outcome == "abandoned"
    assert record(session_factory, "5.1").outcome == "answered"
    with day.open("a") as handle:  # the line before midnight is finished after the new day began
        handle.write(summary_line("4.1", voicemail="20261129/4.1", answered="", lawyer="")[30:])
    await again.catch_up()
    assert record(session_factory, "4.1").outcome == "voicemail"
    await again.catch_up()
    with session_factory() as session:
        linkedids = sorted(session.scalars(select(Call.linkedid)))
    assert linkedids == ["1.1", "3.1", "4.1", "5.1"]  # each once, however often it was read
    assert merged[0] == ["1.1"]


async def test_without_a_cursor_the_reading_starts_two_days_back(
    store: CallStore, session_factory: sessionmaker[Session], summaries: Path
) -> None:
    (summaries / "20261125.jsonl").write_text(summary_line("0.1", ended=START - 4 * 86400))
    (summaries / "20261128.jsonl").write_text(summary_line("0.2", ended=START - 86400))
    await follower(store, summaries).catch_up()
    with session_factory() as session:
        assert list(session.scalars(select(Call.linkedid))) == ["0.2"]


def test_a_summary_merged_while_events_are_written_is_not_lost(
    store: CallStore, session_factory: sessionmaker[Session], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The recorder's batch and a summary for the same call, written at the same moment: the
    batch's read-merge-write must not put back what it read before the summary was merged."""
    from hotline.calls import service
    from hotline.calls.summaries import Cursor, parse_line

    store.write([PARTIAL._replace(ended_at=None)])
    events_read, summary_merged = threading.Event(), threading.Event()
    merge = service.merged_values

    def slow_merge(current: object, call: CallProgress) -> dict[str, object]:
        events_read.set()
        summary_merged.wait(timeout=1.0)  # the summary's turn comes in between, if it can
        return merge(current, call)  # type: ignore[arg-type]

    monkeypatch.setattr(service, "merged_values", slow_merge)

    def merge_summary() -> None:
        events_read.wait(timeout=5)
        store.merge_summaries([parse_line(summary_line("1.1"))], Cursor(DAY_FILE, 100))
        summary_merged.set()

    other = threading.Thread(target=merge_summary)
    other.start()
    store.write([PARTIAL])
    other.join(timeout=10)
    call = record(session_factory, "1.1")
    assert call.summarized_at is not None and call.rating == 4 and call.outcome == "answered"


def test_a_call_ended_by_its_summary_is_told_once_whatever_comes_after(
    session_factory: sessionmaker[Session],
) -> None:
    from hotline.calls.service import EndedRecord
    from hotline.calls.summaries import Cursor, parse_line

    store = CallStore(session_factory, clock=lambda: START + 60)
    heard: list[EndedRecord] = []
    store.ended_hooks.append(lambda ended, _committed_at: heard.extend(ended))
    store.write([PARTIAL._replace(ended_at=None)])
    store.merge_summaries([parse_line(summary_line("1.1"))], Cursor(DAY_FILE, 100))
    store.write([PARTIAL])  # the events' end, after the summary's
    store.merge_summaries([parse_line(summary_line("1.1"))], Cursor(DAY_FILE, 200))
    assert heard == [EndedRecord("1.1", "labour", "answered", at(START + 45.0))]
