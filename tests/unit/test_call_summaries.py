"""Asterisk's own call summaries: parsed strictly, and used by the re-sync to complete calls."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
from immutables import Map

from hotline.calls.state import CallChanged, CallProgress, LiveState, Snapshot, resync
from hotline.calls.summaries import MalformedSummary, parse_line, read_summaries

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


def test_reading_skips_bad_lines_and_keeps_the_window(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    good = (SCHEMAS / "examples" / "call-summary.v1.answered.json").read_text().strip()
    (tmp_path / "20261129.jsonl").write_text(f"{good}\n{{broken\n\n")
    summaries = read_summaries(tmp_path, since=1795910000.0, until=1795919999.0)
    assert [s.linkedid for s in summaries] == ["1795910892.0"]
    assert "20261129.jsonl line 2" in caplog.text
    assert read_summaries(tmp_path, since=1795910901.0, until=1795919999.0) == []


def test_resync_completes_a_known_call_and_adds_an_unseen_one() -> None:
    known = CallProgress(
        linkedid="1795910892.0",
        caller="13984960001",
        started_at=1795910892.3,
        queue="legal",
        queued_at=1795910893.7,
        answered_at=1795910893.95,
        lawyer="8001",
    )
    answered = parse_line((SCHEMAS / "examples" / "call-summary.v1.answered.json").read_text()).progress()
    voicemail = parse_line((SCHEMAS / "examples" / "call-summary.v1.voicemail.json").read_text()).progress()
    snapshot = Snapshot(
        taken_at=1795911000.0,
        channels=(),
        queue_entries=(),
        members=(),
        finished={answered.linkedid: answered, voicemail.linkedid: voicemail},
    )
    state, effects = resync(LiveState(calls=Map({known.linkedid: known})), snapshot)
    assert not state.calls
    completed, unseen = (effect.call for effect in effects)
    assert unseen == voicemail
    assert completed.answered_at == known.answered_at  # what we saw ourselves is kept
    assert completed.rating == 4 and completed.ended_at == answered.ended_at and completed.talk_seconds == 3
    assert effects[1] == CallChanged(voicemail)
