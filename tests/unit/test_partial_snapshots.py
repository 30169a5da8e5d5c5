"""AgentComplete without a channel snapshot, as Asterisk 22 sends it under load.

app_queue takes the caller's and the queue member's snapshots from Asterisk's cache when a queued
call ends, and leaves out the snapshot of a channel that is gone by then (a caller who hung up),
each as a whole. The frames here are recorded ones (tests/fixtures/ami/e2e-session.ami) with a
snapshot taken out as Asterisk leaves it out.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from hotline.ami import events as ev
from hotline.ami.trace import events_from, frame
from hotline.calls.models import Call
from hotline.calls.service import RECORD_COLUMNS, merge_into
from hotline.calls.state import CallChanged, LiveState, reduce, reduce_all

TRACE = Path(__file__).resolve().parents[1] / "fixtures" / "ami" / "e2e-session.ami"

# The headers of a channel snapshot, in Asterisk's order (ast_manager_build_channel_state_string).
SNAPSHOT = (
    "Channel",
    "ChannelState",
    "ChannelStateDesc",
    "CallerIDNum",
    "CallerIDName",
    "ConnectedLineNum",
    "ConnectedLineName",
    "Language",
    "AccountCode",
    "Context",
    "Exten",
    "Priority",
    "Uniqueid",
    "Linkedid",
)
CALLER = frozenset(SNAPSHOT)
MEMBER = frozenset(f"Dest{name}" for name in SNAPSHOT)


def blocks() -> list[str]:
    return TRACE.read_bytes().decode().split("\r\n\r\n")


def name_of(line: str) -> str:
    return line.split(":", 1)[0]


def without(block: str, names: frozenset[str]) -> str:
    return "\r\n".join(line for line in block.split("\r\n") if name_of(line) not in names)


def value(block: str, name: str) -> str:
    return next(line.split(": ", 1)[1] for line in block.split("\r\n") if name_of(line) == name)


def first(event: str) -> str:
    return next(b for b in blocks() if b.startswith(f"Event: {event}\r\n"))


def decode(block: str) -> ev.Event | None:
    (message,) = frame(f"{block}\r\n\r\n".encode())
    return ev.decode(ev.headers_of(message))


# --- decoding ------------------------------------------------------------------------------------


def test_an_agent_complete_without_the_callers_snapshot_takes_the_linkedid_of_the_lawyers_leg() -> None:
    recorded = first("AgentComplete")
    whole = decode(recorded)
    partial = decode(without(recorded, CALLER))
    assert isinstance(whole, ev.AgentCompleted) and isinstance(partial, ev.AgentCompleted)
    assert partial.uniqueid is None
    assert partial.linkedid == value(recorded, "DestLinkedid") == whole.linkedid
    assert partial == whole._replace(uniqueid=None)  # queue, lawyer, hold and talk times, reason
    assert "" not in partial


def test_an_agent_complete_without_the_members_snapshot_decodes_as_before() -> None:
    recorded = first("AgentComplete")
    assert decode(without(recorded, MEMBER)) == decode(recorded)


def test_an_agent_complete_with_no_snapshot_at_all_is_refused_naming_the_linkedid() -> None:
    with pytest.raises(ev.MalformedEvent, match="neither the caller's nor the queue member's") as caught:
        decode(without(first("AgentComplete"), CALLER | MEMBER))
    assert caught.value.details == {"event": "AgentComplete", "header": "linkedid"}


CALLERLESS_REQUIRED = (
    "Privilege",
    "Timestamp",
    "DestChannel",
    "DestChannelState",
    "DestChannelStateDesc",
    "DestCallerIDNum",
    "DestUniqueid",
    "DestLinkedid",
    "Queue",
    "MemberName",
    "Interface",
    "HoldTime",
    "TalkTime",
    "Reason",
)


@pytest.mark.parametrize("header", CALLERLESS_REQUIRED)
def test_a_missing_header_of_a_callerless_agent_complete_is_an_error_not_an_empty_string(header: str) -> None:
    block = without(without(first("AgentComplete"), CALLER), frozenset({header}))
    with pytest.raises(ev.MalformedEvent) as caught:
        decode(block)
    assert caught.value.details["header"] == header.lower()


@pytest.mark.parametrize(
    "header", ["Channel", "ChannelState", "ChannelStateDesc", "CallerIDNum", "Uniqueid", "Linkedid"]
)
@pytest.mark.parametrize("prefix", ["", "Dest"])
def test_a_snapshot_that_is_there_in_part_is_not_taken_for_a_missing_one(prefix: str, header: str) -> None:
    """A snapshot is left out whole or not at all: one without its head or its channel's identity
    is refused, whichever other snapshot is there."""
    block = without(first("AgentComplete"), frozenset({prefix + header}))
    with pytest.raises(ev.MalformedEvent, match="channel snapshot it carries") as caught:
        decode(block)
    assert caught.value.details["header"] == (prefix + header).lower()


def test_an_agent_connect_without_the_lawyers_channel_holds_none_not_an_empty_string() -> None:
    event = decode(without(first("AgentConnect"), MEMBER))
    assert isinstance(event, ev.AgentConnected) and event.lawyer_channel is None
    state, _ = reduce(LiveState(), event)
    assert not state.legs


NUMBERS = ("CallerIDNum", "ConnectedLineNum", "DestCallerIDNum", "DestConnectedLineNum")


@pytest.mark.parametrize("number", NUMBERS)
@pytest.mark.parametrize("event", ["AgentCalled", "AgentConnect", "AgentComplete"])
def test_an_event_split_in_any_number_gives_no_agent_complete(event: str, number: str) -> None:
    """Text injected through a number can end the event there and start a forged AgentComplete,
    whose headers the rest of the real event completes: the forged one gets at most the tail of the
    snapshot cut (no head) and the real one keeps its head without its Uniqueid and Linkedid."""
    lines = first(event).split("\r\n")
    cut = next(i for i, line in enumerate(lines) if name_of(line) == number) + 1
    forged = "\r\n".join(
        (
            "Event: AgentComplete",
            "Privilege: agent,all",
            "Timestamp: 1",
            "HoldTime: 0",
            "TalkTime: 9",
            "Reason: agent",
        )
    )
    stream = "\r\n".join(lines[:cut]) + "\r\n\r\n" + forged + "\r\n" + "\r\n".join(lines[cut:]) + "\r\n\r\n"
    head, tail = frame(stream.encode())
    for message in (head, tail):
        with pytest.raises(ev.MalformedEvent):
            ev.decode(ev.headers_of(message))


# --- the reducer ---------------------------------------------------------------------------------


def stream(parts: list[str]) -> bytes:
    return "".join(f"{part}\r\n\r\n" for part in parts if part).encode()


def records(data: bytes) -> dict[str, dict[str, object]]:
    _, effects = reduce_all(LiveState(), events_from(data))
    rows: dict[str, Call] = {}
    for effect in effects:
        merge_into(rows.setdefault(effect.call.linkedid, Call(linkedid=effect.call.linkedid)), effect.call)
    return {linkedid: {c: getattr(row, c) for c in RECORD_COLUMNS} for linkedid, row in rows.items()}


def malformed(data: bytes) -> int:
    count = 0
    for message in frame(data):
        try:
            ev.decode(ev.headers_of(message))
        except ev.MalformedEvent:
            count += 1
    return count


def test_no_agent_complete_is_refused_when_every_one_lacks_the_callers_snapshot() -> None:
    """What was seen under load: every AgentComplete without the caller's snapshot (120 dropped)."""
    parts = [without(b, CALLER) if b.startswith("Event: AgentComplete\r\n") else b for b in blocks()]
    data = stream(parts)
    assert malformed(data) == 0
    assert sum(isinstance(e, ev.AgentCompleted) and e.uniqueid is None for e in events_from(data)) == 22
    assert records(data) == records(TRACE.read_bytes())


def test_a_callerless_agent_complete_fills_lawyer_answer_and_talk_of_a_live_call() -> None:
    """The AgentConnect was missed: the AgentComplete without the caller's snapshot still says who
    answered, when, after what wait, and how long they talked."""
    parts = blocks()
    complete = next(i for i, b in enumerate(parts) if b.startswith("Event: AgentComplete\r\n"))
    linkedid = value(parts[complete], "DestLinkedid")
    connect = next(
        i
        for i, b in enumerate(parts)
        if b.startswith("Event: AgentConnect\r\n") and value(b, "Linkedid") == linkedid
    )
    reference = records(TRACE.read_bytes())[linkedid]
    assert reference["lawyer"] == "8001" and reference["talk_seconds"] == 3

    parts[complete] = without(parts[complete], CALLER)
    del parts[connect]
    record = records(stream(parts))[linkedid]
    assert {k: record[k] for k in ("lawyer", "queue", "wait_seconds", "talk_seconds", "outcome")} == {
        k: reference[k] for k in ("lawyer", "queue", "wait_seconds", "talk_seconds", "outcome")
    }
    # Asterisk's talk time is in whole seconds: the answer is placed within one of the AgentConnect.
    answered, expected = record["answered_at"], reference["answered_at"]
    assert answered is not None and expected is not None
    assert abs((answered - expected).total_seconds()) < 1  # type: ignore[operator]


def test_a_callerless_agent_complete_after_the_callers_hangup_changes_nothing() -> None:
    """Asterisk leaves the caller's snapshot out because their channel is gone: the hangup came
    first and ended the call, whose record holds what the AgentConnect said."""
    parts = blocks()
    complete = next(i for i, b in enumerate(parts) if b.startswith("Event: AgentComplete\r\n"))
    linkedid = value(parts[complete], "DestLinkedid")
    hangup = next(
        i
        for i, b in enumerate(parts)
        if b.startswith("Event: Hangup\r\n") and value(b, "Uniqueid") == value(b, "Linkedid") == linkedid
    )
    moved = without(parts.pop(complete), CALLER)
    parts.insert(hangup, moved)  # right after the hangup (one block came out before it)
    data = stream(parts)

    before = list(events_from(stream(parts[:hangup])))
    state, _ = reduce_all(LiveState(), before)
    assert linkedid not in state.calls
    (late,) = events_from(stream([moved]))
    assert isinstance(late, ev.AgentCompleted) and late.uniqueid is None
    assert reduce(state, late) == (state, [])

    reference, record = records(TRACE.read_bytes())[linkedid], records(data)[linkedid]
    kept = ("caller", "lawyer", "queue", "answered_at", "ended_at", "wait_seconds", "outcome", "rating")
    assert {k: record[k] for k in kept} == {k: reference[k] for k in kept}
    assert record["talk_seconds"] is not None


def test_effects_of_a_callerless_agent_complete_are_the_whole_call() -> None:
    """Like every effect, the call changed is the whole call (the store writes what it says)."""
    parts = blocks()
    complete = next(i for i, b in enumerate(parts) if b.startswith("Event: AgentComplete\r\n"))
    state, _ = reduce_all(LiveState(), events_from(stream(parts[:complete])))
    event = decode(without(parts[complete], CALLER))
    assert isinstance(event, ev.AgentCompleted)
    known = state.calls[event.linkedid]
    _, effects = reduce(state, event)
    expected = known._replace(talk_seconds=event.talk_time, wait_seconds=event.hold_time)
    assert effects == [CallChanged(expected)]
