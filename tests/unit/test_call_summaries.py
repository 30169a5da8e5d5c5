"""Asterisk's own call summaries: parsed strictly and read on from where the reading stood; the
re-sync after an outage ends vanished calls and adopts the citizens' calls it did not know."""

from __future__ import annotations

import dataclasses
import json
import time
from pathlib import Path

import jsonschema
import pytest
from immutables import Map

from hotline.ami import events as ev
from hotline.calls.state import CITIZEN_ACCOUNT, CallProgress, LiveState, QueueMember, Snapshot, resync
from hotline.calls.summaries import QUIET_SECONDS, Cursor, MalformedSummary, cursor_at, parse_line, read_new

SCHEMAS = Path(__file__).resolve().parents[2] / "recordings_schema"
EXAMPLES = sorted((SCHEMAS / "examples").glob("call-summary.v*.json"))


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: p.name)
def test_examples_follow_their_schema_and_parse(example: Path) -> None:
    version = example.name.split(".")[1]  # call-summary.v2.answered.json -> v2
    schema = json.loads((SCHEMAS / f"call-summary.{version}.json").read_text())
    jsonschema.Draft202012Validator(schema).validate(json.loads(example.read_text()))
    assert parse_line(example.read_text()).linkedid


def test_answered_summary_gives_the_call_facts() -> None:
    summary = parse_line((SCHEMAS / "examples" / "call-summary.v1.answered.json").read_text())
    call = summary.progress()
    assert call.lawyer == "8001" and call.rating == 4 and call.queue == "legal"
    assert call.wait_seconds == 0 and call.talk_seconds == 3
    assert call.outcome == "answered"
    assert (call.language, call.topic, call.ivr_path) == (None, None, None)  # v1 had no route


def test_a_v2_summary_carries_the_route() -> None:
    call = parse_line((SCHEMAS / "examples" / "call-summary.v2.answered.json").read_text()).progress()
    assert (call.language, call.topic, call.ivr_path) == ("mandarin", "labour", "language=1 topic=1")
    assert call.queue == "labour" and call.outcome == "answered"


def test_transferred_summary() -> None:
    call = parse_line((SCHEMAS / "examples" / "call-summary.v2.transferred.json").read_text()).progress()
    assert call.outcome == "transferred" and call.transferred_to == "gov-12345"
    assert call.ivr_path == "language=1 topic=0" and call.lawyer is None


def test_voicemail_summary() -> None:
    call = parse_line((SCHEMAS / "examples" / "call-summary.v1.voicemail.json").read_text()).progress()
    assert call.outcome == "voicemail" and call.lawyer is None and call.rating is None


def test_the_summarys_caller_is_cleaned_like_an_events() -> None:
    """A summary line written by an older dialplan kept * and # (FILTER(0-9+*#)); only [+]digits stay."""
    line = '{"v": 2, "linkedid": "1.1", "caller": "+86138*0013#8000", "ended": "5"}'
    assert parse_line(line).caller == "+8613800138000"
    assert parse_line('{"v": 2, "linkedid": "1.1", "caller": "*#", "ended": "5"}').caller is None


@pytest.mark.parametrize(
    "line",
    [
        "not json",
        "[]",
        '{"v": 3, "linkedid": "1.1", "ended": "5"}',
        '{"v": 1, "linkedid": "1.1"}',
        '{"v": 1, "linkedid": "1.1", "ended": "5", "rating": "7"}',
        '{"v": 1, "linkedid": "1.1", "ended": "soon"}',
    ],
)
def test_malformed_lines_are_refused(line: str) -> None:
    with pytest.raises(MalformedSummary) as caught:
        parse_line(line)
    assert caught.value.error_id == "call-summary-malformed"


def _line(linkedid: str, ended: float) -> str:
    return json.dumps({"v": 2, "linkedid": linkedid, "ended": str(ended)}) + "\n"


def test_reading_goes_on_from_the_cursor_across_day_files(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    first, second = tmp_path / "20261129.jsonl", tmp_path / "20261130.jsonl"
    first.write_text(_line("1.1", 5) + "{broken\n\n" + _line("1.2", 6))
    now = time.time()  # the files were just written: not quiet yet
    batch = read_new(tmp_path, cursor_at(1795910892.0), now=now)  # 2026-11-29 UTC
    assert [s.linkedid for s in batch.summaries] == ["1.1", "1.2"]
    assert batch.cursor == Cursor("20261129.jsonl", first.stat().st_size) and not batch.more
    assert "20261129.jsonl at byte" in caplog.text  # the broken line is named, and skipped

    # Nothing new: nothing read. A line still being written waits for its newline.
    assert read_new(tmp_path, batch.cursor, now=now).summaries == []
    with first.open("a") as handle:
        handle.write(_line("1.3", 7)[:20])
    waiting = read_new(tmp_path, batch.cursor, now=now)
    assert waiting.summaries == [] and waiting.cursor == batch.cursor

    # Past midnight a call ends in the new day's file while one from before midnight is still
    # writing its line: the reading stays on the old file until it is quiet, so nothing is passed by.
    second.write_text(_line("2.1", 8))
    early = read_new(tmp_path, batch.cursor, now=now)
    assert [s.linkedid for s in early.summaries] == ["2.1"] and early.cursor == batch.cursor
    with first.open("a") as handle:
        handle.write(_line("1.3", 7)[20:])
    later = read_new(tmp_path, batch.cursor, now=now + QUIET_SECONDS - 1)
    assert [s.linkedid for s in later.summaries] == ["1.3", "2.1"]  # 2.1 again: merging it is harmless
    assert later.cursor == Cursor("20261129.jsonl", first.stat().st_size)
    quiet = read_new(tmp_path, later.cursor, now=now + QUIET_SECONDS + 1)
    assert [s.linkedid for s in quiet.summaries] == ["2.1"]
    assert quiet.cursor == Cursor("20261130.jsonl", second.stat().st_size)
    assert read_new(tmp_path, quiet.cursor, now=now + 60).summaries == []


def test_reading_in_bounded_batches_and_after_a_file_was_replaced(tmp_path: Path) -> None:
    day = tmp_path / "20261129.jsonl"
    day.write_text("".join(_line(f"1.{n}", n) for n in range(5)))
    now = time.time()
    batch = read_new(tmp_path, Cursor("20261129.jsonl"), now=now, max_lines=2)
    assert [s.linkedid for s in batch.summaries] == ["1.0", "1.1"] and batch.more
    rest = read_new(tmp_path, batch.cursor, now=now, max_lines=10)
    assert [s.linkedid for s in rest.summaries] == ["1.2", "1.3", "1.4"] and not rest.more
    day.write_text(_line("9.9", 1))  # shorter than where the reading stood: read again from the start
    assert [s.linkedid for s in read_new(tmp_path, rest.cursor, now=now).summaries] == ["9.9"]
    # An unfinished last line in a file nobody writes to any more is skipped, not waited for.
    with day.open("a") as handle:
        handle.write('{"v": 2, "linked')
    stuck = read_new(tmp_path, Cursor("20261129.jsonl"), now=now + QUIET_SECONDS + 1)
    assert stuck.cursor == Cursor("20261129.jsonl", day.stat().st_size)
    # Files that are not day files, and a missing directory, are no trouble.
    (tmp_path / "notes.txt").write_text("x\n")
    assert read_new(tmp_path / "absent", Cursor("20261129.jsonl"), now=now).summaries == []


def _channel(uniqueid: str, linkedid: str, name: str, **changes: object) -> ev.ChannelSnapshot:
    values: dict[str, object] = {
        "uniqueid": uniqueid,
        "linkedid": linkedid,
        "name": name,
        "caller": "13984960001",
        "context": "hotline-queue",
        "exten": "s",
        "application": "Queue",
        "duration_seconds": 30,
        "bridge_id": "",
        "account_code": None,
        **changes,
    }
    return ev.ChannelSnapshot(**values)  # type: ignore[arg-type]


def test_resync_ends_vanished_calls_and_adopts_citizens_wherever_they_are() -> None:
    known = CallProgress(linkedid="1.1", caller="13984960001", started_at=1000.0, queue="legal")
    taken = 2000.0
    snapshot = Snapshot(
        taken_at=taken,
        channels=(
            # A citizen who arrived while we were away and now talks with lawyer 8002.
            _channel("2.1", "2.1", "PJSIP/citizens-00000001", account_code=CITIZEN_ACCOUNT, bridge_id="b1"),
            _channel("2.2", "2.1", "PJSIP/8002-00000002", duration_seconds=20, bridge_id="b1"),
            # One waiting in the rating menu of a flow, one still in the intake.
            _channel(
                "3.1", "3.1", "PJSIP/citizens-3", context="flow-main-rating", account_code=CITIZEN_ACCOUNT
            ),
            _channel("4.1", "4.1", "PJSIP/citizens-00000004", context="from-citizens"),
            # A callback the controller originated to a lawyer's phone is not a citizen's call.
            _channel("5.1", "5.1", "PJSIP/8003-00000005", context="hotline-callback"),
        ),
        queue_entries=(),
        members=None,
    )
    member = QueueMember("legal", "PJSIP/8001", "8001", 1, False, "", False, 3)
    before = LiveState(calls=Map({known.linkedid: known}), members=Map({("legal", "PJSIP/8001"): member}))
    state, effects = resync(before, snapshot)
    changed = {effect.call.linkedid: effect.call for effect in effects}
    assert changed["1.1"] == known._replace(ended_at=taken)  # its summary says more, when merged
    assert set(state.calls) == {"2.1", "3.1", "4.1"}
    assert state.calls["2.1"].lawyer == "8002" and state.calls["2.1"].answered_at == taken - 20
    assert state.calls["3.1"].started_at == taken - 30 and state.calls["3.1"].lawyer is None
    assert "PJSIP/8002-00000002" in state.legs
    assert state.members == before.members  # QueueStatus was too slow: the members known stay
    emptied, _ = resync(before, dataclasses.replace(snapshot, members=()))
    assert emptied.members == Map()  # QueueStatus answered: no members now
