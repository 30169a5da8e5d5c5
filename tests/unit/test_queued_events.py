"""The queued callback (排队回电) as the controller hears of it: the dialplan's three UserEvents
decoded, the call record told the caller pressed 1, the QueueStatus answer read for the
announcements, and the requests kept in AstDB read back after a (re)connect."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from hotline.ami import events as ev
from hotline.calls.state import CallChanged, LiveState, reduce, reduce_all
from hotline.queued.announce import QueueFigures, WaitingCaller
from hotline.queued.announcer import read_status
from hotline.queued.callbacks import _request_of

TIMESTAMP = 1795919100.5
TICKET = "12348-20261127-0001"


def _user_event(kind: str, uniqueid: str = "9.1", linkedid: str = "9.1", **headers: str) -> dict[str, str]:
    """A UserEvent from the dialplan as Asterisk 22 sends it: the channel's snapshot, then ours."""
    message = {"Event": "UserEvent", "Privilege": "user,all", "Timestamp": str(TIMESTAMP)}
    message.update(Channel="PJSIP/citizens-1", ChannelState="6", ChannelStateDesc="Up", CallerIDNum="139")
    message.update(Uniqueid=uniqueid, Linkedid=linkedid, UserEvent=kind, **headers)
    return message


def _decode(message: dict[str, str]) -> ev.Event | None:
    return ev.decode(ev.headers_of(message))


# --- decoding --------------------------------------------------------------------------------------


def test_a_queued_callback_request_decodes() -> None:
    event = _decode(
        _user_event(
            "HotlineQueuedCallback", HotlineNumber="13905770123", HotlineQueue="labour", HotlinePosition="3"
        )
    )
    assert event == ev.QueuedCallbackRequested(TIMESTAMP, "9.1", "9.1", "13905770123", "labour", 3)
    assert isinstance(event, ev.QueuedCallbackRequested)


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("+86 139-0577-0123", "+8613905770123"),
        ('13905770123,<"x>', "13905770123"),
        ("13905770123\r\nHotlineProbe: x", "13905770123"),
        ("anonymous", None),
        ("", None),
    ],
)
def test_the_requests_number_is_cleaned(raw: str, clean: str | None) -> None:
    message = _user_event("HotlineQueuedCallback", HotlineQueue="labour", HotlinePosition="1")
    message["HotlineNumber"] = raw
    event = _decode(message)
    assert isinstance(event, ev.QueuedCallbackRequested) and event.number == clean


def test_a_request_without_a_number_has_none() -> None:
    event = _decode(_user_event("HotlineQueuedCallback", HotlineQueue="labour", HotlinePosition="2"))
    assert isinstance(event, ev.QueuedCallbackRequested) and event.number is None


@pytest.mark.parametrize("position", ["third", "", "2.5"])
def test_a_request_whose_position_is_not_a_number_is_malformed(position: str) -> None:
    message = _user_event(
        "HotlineQueuedCallback", HotlineNumber="13905770123", HotlineQueue="labour", HotlinePosition=position
    )
    with pytest.raises(ev.MalformedEvent, match="not a number") as caught:
        _decode(message)
    assert caught.value.error_id == "ami-malformed-event"


@pytest.mark.parametrize("missing", ["HotlineQueue", "HotlinePosition"])
def test_a_request_without_its_queue_or_position_is_malformed(missing: str) -> None:
    message = _user_event(
        "HotlineQueuedCallback", HotlineNumber="13905770123", HotlineQueue="labour", HotlinePosition="3"
    )
    del message[missing]
    with pytest.raises(ev.MalformedEvent):
        _decode(message)


def test_a_failed_callback_decodes() -> None:
    event = _decode(
        _user_event("HotlineCallbackFailed", "95.2", "95.1", HotlineTicket=TICKET, HotlineStatus="NOANSWER")
    )
    assert event == ev.CallbackFailed(TIMESTAMP, "95.2", "95.1", TICKET, "NOANSWER")


@pytest.mark.parametrize("missing", ["HotlineTicket", "HotlineStatus"])
def test_a_failed_callback_without_its_ticket_or_status_is_malformed(missing: str) -> None:
    message = _user_event("HotlineCallbackFailed", "95.2", "95.1", HotlineTicket=TICKET, HotlineStatus="BUSY")
    del message[missing]
    with pytest.raises(ev.MalformedEvent):
        _decode(message)


def test_an_announcement_heard_decodes() -> None:
    event = _decode(
        _user_event(
            "HotlineAnnounced",
            "96.1",
            "96.1",
            HotlineChannel="PJSIP/citizens-0000001a",
            HotlinePosition="03",
            HotlineMinutes="07",
        )
    )
    assert event == ev.CallerAnnounced(TIMESTAMP, "96.1", "96.1", "PJSIP/citizens-0000001a", 3, 7)


@pytest.mark.parametrize(("header", "value"), [("HotlinePosition", "x1"), ("HotlineMinutes", "")])
def test_an_announcement_whose_figures_are_not_numbers_is_malformed(header: str, value: str) -> None:
    message = _user_event(
        "HotlineAnnounced",
        "96.1",
        "96.1",
        HotlineChannel="PJSIP/citizens-0000001a",
        HotlinePosition="03",
        HotlineMinutes="07",
    )
    message[header] = value
    with pytest.raises(ev.MalformedEvent, match="not a number"):
        _decode(message)


def test_the_new_user_events_are_subscribed() -> None:
    assert "UserEvent" in ev.SUBSCRIBED_EVENTS
    names = {row.user_event for row in ev.EVENTS}
    assert {"HotlineQueuedCallback", "HotlineCallbackFailed", "HotlineAnnounced"} <= names


# --- the call record -------------------------------------------------------------------------------

CALL = "9.1"
START = 1795919000.0


def _waiting_call() -> list[ev.Event]:
    """A citizen's call that joined the labour queue and waits there."""
    return [
        ev.ChannelCreated(START, CALL, CALL, "PJSIP/citizens-1", "13905770123", "from-citizens", "12348"),
        ev.QueueCallerJoined(START + 20, CALL, CALL, "labour", 3, "13905770123"),
    ]


def _pressed_one(uniqueid: str = CALL, at: float = START + 80) -> ev.QueuedCallbackRequested:
    return ev.QueuedCallbackRequested(at, uniqueid, CALL, "13905770123", "labour", 3)


def _hung_up(at: float = START + 90) -> list[ev.Event]:
    return [
        ev.QueueCallerLeft(at - 5, CALL, CALL, "labour"),
        ev.ChannelHungUp(at, CALL, CALL, "PJSIP/citizens-1", 16),
    ]


def test_a_caller_who_pressed_one_and_hung_up_is_callback_queued() -> None:
    state, _ = reduce_all(LiveState(), _waiting_call())
    state, effects = reduce(state, _pressed_one())
    assert [effect.call.callback_queued_at for effect in effects] == [START + 80]
    assert effects[0].call.outcome is None  # still going on
    state, effects = reduce_all(state, _hung_up())
    assert effects and isinstance(effects[-1], CallChanged)
    call = effects[-1].call
    assert call.callback_queued_at == START + 80
    assert call.ended_at == START + 90 and call.answered_at is None
    assert call.outcome == "callback-queued"
    assert (call.queue, call.queued_at, call.wait_seconds) == ("labour", START + 20, 65)
    assert CALL not in state.calls


def test_the_first_request_of_a_call_stays() -> None:
    state, _ = reduce_all(LiveState(), [*_waiting_call(), _pressed_one()])
    assert reduce(state, _pressed_one(at=START + 85)) == (state, [])


def test_a_request_sent_from_another_channel_of_the_call_changes_nothing() -> None:
    state, _ = reduce_all(LiveState(), _waiting_call())
    assert reduce(state, _pressed_one(uniqueid="9.2")) == (state, [])
    _state, effects = reduce_all(state, [_pressed_one(uniqueid="9.2"), *_hung_up()])
    call = effects[-1].call
    assert call.callback_queued_at is None and call.outcome == "abandoned"


def test_a_request_for_an_unknown_call_changes_nothing() -> None:
    assert reduce(LiveState(), _pressed_one()) == (LiveState(), [])


@pytest.mark.parametrize(
    ("change", "outcome"),
    [
        ({"answered_at": START + 60}, "answered"),
        ({"transferred_to": "gov-12345"}, "transferred"),
        ({"voicemail_file": CALL}, "voicemail"),
    ],
)
def test_answered_transferred_or_voicemail_outrank_callback_queued(
    change: dict[str, Any], outcome: str
) -> None:
    state, _ = reduce_all(LiveState(), [*_waiting_call(), _pressed_one()])
    call = state.calls[CALL]._replace(ended_at=START + 90, **change)
    assert call.outcome == outcome
    assert call._replace(**dict.fromkeys(change)).outcome == "callback-queued"


# --- the QueueStatus answer, for the announcements ------------------------------------------------


def _params(queue: str, talk_time: str) -> dict[str, str]:
    return {"Event": "QueueParams", "Queue": queue, "Max": "0", "Calls": "3", "TalkTime": talk_time}


def _member(queue: str, name: str, *, paused: str = "0", status: str = "1") -> dict[str, str]:
    return {
        "Event": "QueueMember",
        "Queue": queue,
        "Name": name,
        "Location": f"PJSIP/{name}",
        "Paused": paused,
        "Status": status,
        "InCall": "0",
    }


def _entry(queue: str, position: str, channel: str, uniqueid: str, wait: str) -> dict[str, str]:
    return {
        "Event": "QueueEntry",
        "Queue": queue,
        "Position": position,
        "Channel": channel,
        "Uniqueid": uniqueid,
        "CallerIDNum": "13905770123",
        "Wait": wait,
    }


def test_read_status_gives_the_callers_and_the_queues_figures() -> None:
    answer: list[dict[str, Any]] = [
        {"Response": "Success", "Message": "Queue status will follow"},
        _params("labour", "180"),
        _member("labour", "8001"),  # not in use: serving
        _member("labour", "8002", status="2"),  # in use: serving
        _member("labour", "8003", paused="1"),  # paused
        _member("labour", "8004", status="5"),  # unavailable
        _member("labour", "8005", status="0"),  # unknown
        _entry("labour", "1", "PJSIP/citizens-0000001a", "10.1", "95"),
        _entry("labour", "2", "Local/s@hotline-queued-place-00000003;2", "11.1", "60"),  # a stand-in
        _entry("labour", "3", "PJSIP/citizens-0000001c", "12.1", "12"),
        _params("family", "not-yet"),
        _entry("family", "1", "PJSIP/citizens-0000001d", "13.1", "7"),
        _params("internal", "30"),  # not one of ours
        _member("internal", "9001"),
        _entry("internal", "1", "PJSIP/staff-00000001", "14.1", "40"),
        {"Event": "QueueStatusComplete", "EventList": "Complete", "ListItems": "14"},
    ]
    callers, figures = read_status(answer, ["labour", "family"])
    assert callers == [
        WaitingCaller("10.1", "PJSIP/citizens-0000001a", "labour", 1, 95),
        WaitingCaller("12.1", "PJSIP/citizens-0000001c", "labour", 3, 12),
        WaitingCaller("13.1", "PJSIP/citizens-0000001d", "family", 1, 7),
    ]
    assert figures == {"labour": QueueFigures(180, 2), "family": QueueFigures(0, 0)}


def test_read_status_skips_entries_it_cannot_read() -> None:
    answer: list[dict[str, Any]] = [
        _params("labour", "60"),
        _entry("labour", "", "PJSIP/citizens-1", "10.1", "5"),  # no position
        _entry("labour", "2", "PJSIP/citizens-2", "11.1", "soon"),  # no wait
        _entry("labour", "3", "PJSIP/citizens-3", "", "5"),  # no uniqueid
        _entry("labour", "4", "PJSIP/citizens-4", "13.1", "5"),
    ]
    callers, figures = read_status(answer, {"labour"})
    assert [caller.uniqueid for caller in callers] == ["13.1"]
    assert figures == {"labour": QueueFigures(60, 0)}


def test_read_status_of_an_empty_answer() -> None:
    assert read_status([], ["labour"]) == ([], {})
    assert read_status([_params("labour", "60")], []) == ([], {})


# --- requests kept in AstDB -----------------------------------------------------------------------


def test_a_kept_request_is_read_back() -> None:
    assert _request_of("1795919000.1/13905770123:labour:3:1795919080") == (
        "13905770123",
        "labour",
        3,
        datetime(2026, 11, 29, 2, 24, 40, tzinfo=UTC),
    )
    # The number, queue and figures are the tail: the linkedid before the last "/" is not read.
    assert _request_of("13905770123:family:1:1795919080") == (
        "13905770123",
        "family",
        1,
        datetime.fromtimestamp(1795919080, UTC),
    )


@pytest.mark.parametrize(
    "value",
    [
        "",
        "1795919000.1",
        "1795919000.1/",
        "1795919000.1/13905770123:labour:3",  # no epoch
        "1795919000.1/13905770123:labour:3:1795919080:x",  # one field too many
        "1795919000.1/:labour:3:1795919080",  # no number
        "1795919000.1/13905770123:labour::1795919080",  # no position
        "1795919000.1/13905770123::3:1795919080",  # no queue
        "1795919000.1/13905770123:labour:third:1795919080",
        "1795919000.1/13905770123:labour:-1:1795919080",
        "1795919000.1/13905770123:labour:3:",  # no epoch
        "1795919000.1/13905770123:labour:3:1795919080.5",
    ],
)
def test_a_malformed_kept_request_is_none(value: str) -> None:
    assert _request_of(value) is None
