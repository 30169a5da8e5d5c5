"""The reducer on an AMI trace recorded from the real Asterisk running the main flow
(tests/e2e/test_intake.py on SQLite): routes, transfers and roster changes, from events alone."""

from __future__ import annotations

import gzip
from collections import Counter
from pathlib import Path

import pytest

from hotline.ami import events as ev
from hotline.ami.trace import events_from
from hotline.calls.models import Call
from hotline.calls.service import merge_into
from hotline.calls.state import LiveState, reduce_all

TRACE = Path(__file__).resolve().parents[1] / "fixtures" / "ami" / "intake-session.ami.gz"


@pytest.fixture(scope="module")
def events() -> list[ev.Event]:
    return list(events_from(gzip.decompress(TRACE.read_bytes())))


@pytest.fixture(scope="module")
def records(events: list[ev.Event]) -> dict[str, Call]:
    rows: dict[str, Call] = {}
    for effect in reduce_all(LiveState(), events)[1]:
        merge_into(rows.setdefault(effect.call.linkedid, Call(linkedid=effect.call.linkedid)), effect.call)
    return rows


def test_every_call_of_the_session_has_one_record_with_its_outcome(records: dict[str, Call]) -> None:
    assert Counter(row.outcome for row in records.values()) == {
        "answered": 11,
        "voicemail": 3,
        "transferred": 1,
    }


def test_the_route_chosen_is_on_every_record_that_went_through_the_menus(records: dict[str, Call]) -> None:
    for row in records.values():
        assert row.language in {"mandarin", "wenzhou"} and row.topic is not None
        if row.ivr_path is None:  # after hours: no menus, straight to the message
            assert row.outcome == "voicemail" and row.queue is None
            continue
        if row.queue and not row.queue.startswith("lawyer-"):
            expected = row.topic if row.language == "mandarin" else f"{row.topic}-{row.language}"
            assert row.queue == expected, (row.queue, row.topic, row.language)
    paths = Counter(row.ivr_path for row in records.values())
    assert paths["language=1 topic=none"] == 1
    assert paths["language=2 topic=7"] == 1


def test_the_transfer_to_12345_is_recorded(records: dict[str, Call]) -> None:
    (transferred,) = [row for row in records.values() if row.outcome == "transferred"]
    assert transferred.transferred_to == "gov-12345" and transferred.ivr_path == "language=1 topic=0"
    assert transferred.lawyer is None and transferred.answered_at is None


def test_skills_decide_who_answered(records: dict[str, Call]) -> None:
    by_queue = Counter((row.queue, row.lawyer) for row in records.values() if row.outcome == "answered")
    assert by_queue[("other-wenzhou", "8002")] == 1
    assert by_queue[("contract", "8003")] == 1
    assert by_queue[("labour", "8003")] == 2  # relaxed, and while 8001 was paused
    assert by_queue[("labour", "8001")] == 2  # the expert, and after resuming


def test_roster_changes_show_as_member_events_with_penalties(events: list[ev.Event]) -> None:
    added = [e.member for e in events if isinstance(e, ev.QueueMemberChanged) and not e.removed]
    penalties = {(m.queue, m.interface): m.penalty for m in added}
    assert penalties[("labour", "PJSIP/8003")] in {0, 3}  # level 2, or 5 after the roster import
    assert penalties[("other-wenzhou", "PJSIP/8002")] == 0
    assert penalties[("labour-wenzhou", "PJSIP/8001")] == 10
    assert any(m.paused and m.paused_reason == "meal" for m in added)
