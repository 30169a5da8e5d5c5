"""Decoding AMI messages recorded from the real Asterisk into typed events."""

from __future__ import annotations

from pathlib import Path

import pytest

from hotline.ami import events as ev
from hotline.ami.trace import frame

TRACE = Path(__file__).resolve().parents[1] / "fixtures" / "ami" / "e2e-session.ami"


@pytest.fixture(scope="module")
def messages() -> list[object]:
    return frame(TRACE.read_bytes())


def _first(messages: list[object], event: str, **match: str) -> dict[str, tuple[str, object]]:
    for message in messages:
        if message.get("Event") == event and all(message.get(k) == v for k, v in match.items()):  # type: ignore[attr-defined]
            return dict(ev.headers_of(message))  # a copy: the tests change it
    raise AssertionError(f"no {event} {match} in the trace")


def test_every_recorded_message_decodes(messages: list[object]) -> None:
    decoded = [ev.decode(ev.headers_of(message)) for message in messages]
    kinds = {type(event).__name__ for event in decoded if event is not None}
    assert {
        "ChannelCreated",
        "ChannelHungUp",
        "QueueCallerJoined",
        "QueueCallerLeft",
        "QueueCallerAbandoned",
        "AgentConnected",
        "AgentCompleted",
        "QueueMemberChanged",
        "IntakeStarted",
        "RecordingStarted",
        "VoicemailStarted",
        "CallerRated",
        "FullyBooted",
    } <= kinds
    # Snapshot list items are answers to our actions, not events the reducer consumes.
    assert all(
        event is None
        for event, message in zip(decoded, messages, strict=True)
        if message.get("Event") in {"CoreShowChannel", "QueueMember", "QueueParams"}
    )  # type: ignore[attr-defined]


def test_newchannel_of_a_citizen(messages: list[object]) -> None:
    headers = _first(messages, "Newchannel", Context="from-citizens")
    event = ev.decode(headers)
    assert isinstance(event, ev.ChannelCreated)
    assert event.uniqueid == event.linkedid == headers["uniqueid"][1]
    assert event.caller == headers["calleridnum"][1]
    assert event.context == "from-citizens"
    assert event.exten == "12348"
    assert event.timestamp == float(str(headers["timestamp"][1]))


def test_agent_complete_carries_talk_time(messages: list[object]) -> None:
    event = ev.decode(_first(messages, "AgentComplete"))
    assert isinstance(event, ev.AgentCompleted)
    assert event.member_name in {"8001", "8002", "8003"}
    assert event.talk_time >= 0 and event.reason in {"agent", "caller", "transfer"}


def test_rating_user_event(messages: list[object]) -> None:
    event = ev.decode(_first(messages, "UserEvent", UserEvent="HotlineRating", HotlineRating="4"))
    assert isinstance(event, ev.CallerRated) and event.rating == 4


@pytest.mark.parametrize("header", ["uniqueid", "linkedid", "timestamp", "channel"])
def test_a_missing_header_is_an_error_not_an_empty_string(messages: list[object], header: str) -> None:
    headers = _first(messages, "Hangup")
    del headers[header]
    with pytest.raises(ev.MalformedEvent) as caught:
        ev.decode(headers)
    assert caught.value.error_id == "ami-malformed-event"
    assert caught.value.details["header"] == header


def test_a_repeated_header_is_an_error(messages: list[object]) -> None:
    headers = _first(messages, "UserEvent", UserEvent="HotlineIntake")
    headers["uniqueid"] = ("Uniqueid", [headers["uniqueid"][1], "1.2"])
    with pytest.raises(ev.MalformedEvent, match="repeats"):
        ev.decode(headers)


def test_numbers_that_are_not_numbers(messages: list[object]) -> None:
    headers = _first(messages, "Hangup")
    headers["cause"] = ("Cause", "sixteen")
    with pytest.raises(ev.MalformedEvent, match="not a number"):
        ev.decode(headers)


def test_ratings_outside_one_to_five_are_refused(messages: list[object]) -> None:
    headers = _first(messages, "UserEvent", UserEvent="HotlineRating")
    headers["hotlinerating"] = ("HotlineRating", "9")
    with pytest.raises(ev.MalformedEvent):
        ev.decode(headers)
    headers["hotlinerating"] = ("HotlineRating", "none")
    event = ev.decode(headers)
    assert isinstance(event, ev.CallerRated) and event.rating is None


def test_events_we_do_not_use_decode_to_none() -> None:
    assert ev.decode(ev.headers_of({"Event": "VarSet", "Variable": "X", "Value": "1"})) is None
    other = {"Event": "UserEvent", "UserEvent": "SomethingElse", "Timestamp": "1"}
    assert ev.decode(ev.headers_of(other)) is None
    with pytest.raises(ev.MalformedEvent):
        ev.decode(ev.headers_of({"Response": "Success"}))


def test_fully_booted_greeting_has_no_timestamp() -> None:
    greeting = {"Event": "FullyBooted", "Status": "Fully Booted"}
    assert ev.decode(ev.headers_of(greeting)) == ev.FullyBooted(None)


def test_events_are_immutable(messages: list[object]) -> None:
    event = ev.decode(_first(messages, "Hangup"))
    assert event is not None
    with pytest.raises(AttributeError):
        event.linkedid = "other"  # type: ignore[misc]
    assert not hasattr(event, "__dict__")
    # Equal only to the same kind of event, never to another event with the same values.
    assert event == type(event)(*event)
    assert event != tuple(event)
    hung_up = ev.ChannelHungUp(1.0, "1.1", "1.1", "PJSIP/x", 16)
    left = ev.QueueCallerLeft(1.0, "1.1", "1.1", "legal")
    assert hung_up != left and hung_up != ev.ChannelHungUp(1.0, "1.1", "1.1", "PJSIP/x", 17)
