"""Decoding AMI messages recorded from the real Asterisk into typed events."""

from __future__ import annotations

from pathlib import Path

import pytest
from panoramisk.message import Message

from hotline.ami import events as ev
from hotline.ami.caller_id import clean_number
from hotline.ami.trace import events_from, frame

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


# --- caller IDs carrying AMI text ----------------------------------------------------------------
# Recorded from the real Asterisk by tests/e2e/test_caller_id.py (SQLite; answers to actions left
# out): six citizens 5553017000N whose From users carry CR LF, so their Newchannel events (sent
# before the dialplan cleans the number) hold injected lines; every later event is clean.
INJECTED = Path(__file__).resolve().parents[1] / "fixtures" / "ami" / "injected-caller-ids.ami"


@pytest.fixture(scope="module")
def injected() -> list[object]:
    return frame(INJECTED.read_bytes())


def _newchannel(messages: list[object], number: str) -> dict[str, tuple[str, object]]:
    for message in messages:
        headers = ev.headers_of(message)
        if headers.get("event", ("", ""))[1] in ("Newchannel", ["Newchannel", "Hangup"]) and str(
            headers.get("calleridnum", ("", ""))[1]
        ).startswith(number):
            return dict(headers)
    raise AssertionError(f"no Newchannel of {number} in the trace")


def test_an_injected_header_is_harmless_and_the_number_clean(injected: list[object]) -> None:
    """From user 55530170002%0D%0AHotlineProbe%3A%20x: one more header, which nothing reads."""
    headers = _newchannel(injected, "55530170002")
    assert headers["hotlineprobe"] == ("HotlineProbe", "x")
    event = ev.decode(headers)
    assert isinstance(event, ev.ChannelCreated) and event.caller == "55530170002"


def test_a_line_that_is_not_a_header_makes_the_event_malformed(injected: list[object]) -> None:
    """From user ...%0D%0AHotlineProbe:%20x: Asterisk keeps "HotlineProbe" alone on a line."""
    headers = _newchannel(injected, "55530170001")
    with pytest.raises(ev.MalformedEvent, match="'HotlineProbe' is not a header") as caught:
        ev.decode(headers)
    assert caught.value.error_id == "ami-malformed-event"


def test_a_header_repeated_in_another_case_makes_the_event_malformed(injected: list[object]) -> None:
    """From user ...%0D%0Atimestamp%3A%201%0D%0AEVENT%3A%20Hangup: panoramisk's own parser keeps the
    last spelling, which turns the Newchannel into a Hangup at 1970-01-01 (add a CAUSE and it
    decodes); here nothing in it is trusted."""
    headers = _newchannel(injected, "55530170005")
    assert headers["event"] == ("Event", ["Newchannel", "Hangup"])
    assert headers["timestamp"][1] == [headers["timestamp"][1][0], "1"]  # type: ignore[index]
    with pytest.raises(ev.MalformedEvent, match="'EVENT' appears twice"):
        ev.decode(headers)
    raw = INJECTED.read_bytes().decode()
    block = next(b for b in raw.split("\r\n\r\n") if "EVENT: Hangup" in b)
    parsed_by_panoramisk = Message.from_line(block)
    assert (parsed_by_panoramisk["event"], parsed_by_panoramisk["timestamp"]) == ("Hangup", "1")


def test_an_event_split_by_a_double_crlf_gives_two_malformed_messages(injected: list[object]) -> None:
    """From user ...%0D%0A%0D%0AEvent%3A%20Hangup: the Newchannel ends after the number, and the rest
    of it (with the call's Uniqueid and Linkedid) comes as a forged Hangup; neither is used."""
    raw = INJECTED.read_bytes()
    start = raw.index(b"CallerIDNum: 55530170004\r\n\r\n")
    newchannel = raw[raw.rindex(b"Event: Newchannel", 0, start) : raw.index(b"\r\n\r\n", start + 30) + 4]
    head, forged = frame(newchannel)
    with pytest.raises(ev.MalformedEvent, match="lacks the 'uniqueid' header"):
        ev.decode(ev.headers_of(head))
    assert forged.get("Event") == "Hangup" and forged.get("Uniqueid") == "1796319957.2"  # type: ignore[attr-defined]
    with pytest.raises(ev.MalformedEvent, match="lacks the 'privilege' header of its channel snapshot"):
        ev.decode(ev.headers_of(forged))


def test_a_forged_event_cannot_fit_the_channel_snapshot_into_a_caller_number() -> None:
    """Asterisk keeps 79 characters of a caller number: a forged event must bring the whole head
    of a channel snapshot (the real tail after the number gives the rest), and that is longer."""
    forged = (
        "\r\n\r\nEvent: Newchannel\r\nPrivilege: \r\nTimestamp: 1\r\nChannel: x\r\nChannelState: \r\n"
        "ChannelStateDesc: \r\nCallerIDNum: \r\n"
    )
    assert len(forged) > 79
    tail = "CallerIDName: c\r\nContext: from-citizens\r\nExten: 12348\r\nUniqueid: 1.1\r\nLinkedid: 1.1"
    for cut in ("Privilege", "ChannelState", "ChannelStateDesc", "CallerIDNum"):
        lines = [line for line in forged.strip().split("\r\n") if not line.startswith(f"{cut}:")]
        (message,) = frame(("\r\n".join(lines) + "\r\n" + tail + "\r\n\r\n").encode())
        with pytest.raises(ev.MalformedEvent, match=f"lacks the '{cut.lower()}' header"):
            ev.decode(ev.headers_of(message))


def test_the_calls_own_events_after_the_newchannel_are_clean() -> None:
    """The dialplan cleans the caller ID first thing: the intake event has the cleaned number."""
    intakes = [e for e in events_from(INJECTED.read_bytes()) if isinstance(e, ev.IntakeStarted)]
    assert sorted(e.caller or "" for e in intakes) == [
        "55530170001",
        "55530170002",
        "55530170003",
        "55530170004",
        "555301700051",  # the digit of the injected "timestamp: 1" stays, as the dialplan's FILTER keeps it
        "55530170006",  # ,<"x> is gone
    ]


def test_an_optional_header_given_twice_is_an_error_too(messages: list[object]) -> None:
    headers = _first(messages, "Newchannel", Context="from-citizens")
    headers["calleridnum"] = ("CallerIDNum", ["13800000000", "5551"])
    with pytest.raises(ev.MalformedEvent, match="repeats the 'calleridnum' header"):
        ev.decode(headers)


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("13800138000", "13800138000"),
        ("+8613800138000", "+8613800138000"),
        ('5565,<"x>', "5565"),
        ("5551\r\nHotlineProbe: x", "5551"),
        ("+86 138-0013-8000", "+8613800138000"),
        ("8+1", "81"),  # a + is kept only in front
        ("1" * 30, "1" * 20),
        ("<unknown>", None),
        ("anonymous", None),
        ("", None),
        ("٣١٢", None),  # digits of other scripts are not ASCII digits
    ],
)
def test_caller_numbers_are_reduced_to_plus_and_digits(raw: str, clean: str | None) -> None:
    assert clean_number(raw) == clean
    headers = ev.headers_of(
        {
            "Event": "QueueCallerJoin",
            "Privilege": "agent,all",
            "Timestamp": "1.0",
            "ChannelState": "6",
            "ChannelStateDesc": "Up",
            "CallerIDNum": raw,
            "Uniqueid": "1.1",
            "Linkedid": "1.1",
            "Queue": "labour",
            "Position": "1",
        }
    )
    event = ev.decode(headers)
    assert isinstance(event, ev.QueueCallerJoined) and event.caller == clean


def test_no_event_the_controller_decodes_is_disabled_in_asterisk() -> None:
    """manager.conf's disabledevents stops Asterisk from building events at all: none of them may be
    one the controller decodes (the call records would silently stop following calls)."""
    assert not ev.DISABLED_EVENTS & ev.SUBSCRIBED_EVENTS
    assert {"Newexten", "VarSet", "RTCPSent"} <= ev.DISABLED_EVENTS


def test_stasis_declines_only_messages_of_disabled_events() -> None:
    """stasis.conf stops Asterisk from creating some internal messages: only those whose AMI events
    are disabled (a declined type the controller needed would silently stop its events)."""
    from hotline.asterisk.render import STASIS_DECLINED

    events_of = {
        "ast_channel_varset_type": {"VarSet"},
        "ast_rtp_rtcp_sent_type": {"RTCPSent"},
        "ast_rtp_rtcp_received_type": {"RTCPReceived"},
    }
    assert set(STASIS_DECLINED) <= set(events_of)
    for name in STASIS_DECLINED:
        assert events_of[name] <= ev.DISABLED_EVENTS - ev.SUBSCRIBED_EVENTS
