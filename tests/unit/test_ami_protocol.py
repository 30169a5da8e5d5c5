"""The sans-IO AMI protocol: recorded streams in, answers and events out, no socket.

The recorded session (tests/fixtures/ami/e2e-session.ami, two logins of the controller against the
real Asterisk) is replayed with the ActionIDs it was recorded with, as the controller's side would
have sent them; the other traces are fed with no action waiting."""

from __future__ import annotations

import gzip
from collections import Counter
from pathlib import Path

import pytest
from panoramisk.message import Message

from hotline.ami import actions
from hotline.ami.actions import Action, UnsafeActionValue
from hotline.ami.framing import AmiMessage, parse_block
from hotline.ami.protocol import (
    AmiConnection,
    Answered,
    Damaged,
    EventReceived,
    Greeting,
    LateAnswer,
    LocalProtocolError,
    Received,
    RemoteProtocolError,
    StrayAnswer,
    Unanswered,
)

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "ami"
SESSION = FIXTURES / "e2e-session.ami"
INJECTED = FIXTURES / "injected-caller-ids.ami"
INTAKE = FIXTURES / "intake-session.ami.gz"
# The recorded session's ActionIDs: this prefix and a count from 1 (Logins 1 and 29; the
# snapshots' CoreShowChannels 2 and 30, QueueStatus 3 and 31; the roster's queue changes between).
RECORDED_PREFIX = "action/47cc191a-c523-49c7-a106-1aa74e933a36/1/"
LISTS = {2: "CoreShowChannels", 3: "QueueStatus", 30: "CoreShowChannels", 31: "QueueStatus"}


def recorded_session() -> AmiConnection:
    """A connection with the 44 actions of the recorded session waiting."""
    connection = AmiConnection(id_prefix=RECORDED_PREFIX)
    for number in range(1, 45):
        if number in LISTS:
            action = Action(LISTS[number], is_list=True)
        else:
            action = Action("Login" if number in (1, 29) else "QueueChange")
        action_id, _ = connection.send(action)
        assert action_id == f"{RECORDED_PREFIX}{number}"
    return connection


def feed(connection: AmiConnection, data: bytes, chunk_size: int) -> list[Received]:
    out: list[Received] = []
    for start in range(0, len(data), chunk_size):
        out.extend(connection.receive_data(data[start : start + chunk_size]))
    return out


def kinds(received: list[Received]) -> Counter[str]:
    return Counter(type(item).__name__ for item in received)


def wire(*messages: dict[str, str]) -> bytes:
    return b"".join(
        "".join(f"{name}: {value}\r\n" for name, value in message.items()).encode() + b"\r\n"
        for message in messages
    )


# --- the recorded session ------------------------------------------------------------------------


def test_every_recorded_action_gets_its_whole_answer_and_the_events_come_between() -> None:
    connection = recorded_session()
    received = feed(connection, SESSION.read_bytes(), 4096)

    assert kinds(received) == {"Answered": 44, "EventReceived": 384}
    assert connection.waiting == 0
    answered = [item for item in received if isinstance(item, Answered)]
    assert [item.action_id for item in answered] == [f"{RECORDED_PREFIX}{n}" for n in range(1, 45)]
    lists = [(item.action, len(item.messages)) for item in answered if item.is_list]
    assert lists == [("CoreShowChannels", 2), ("QueueStatus", 3), ("CoreShowChannels", 4), ("QueueStatus", 4)]
    for item in answered:
        assert item.response.get("Response") in {"Success", "Error"}
        if item.is_list:
            complete = item.messages[-1]
            assert complete.get("EventList") == "Complete"
            assert int(str(complete.get("ListItems"))) == len(item.messages) - 2
        else:
            assert len(item.messages) == 1
    logins = [item.response.get("Message") for item in answered if item.action == "Login"]
    assert logins == ["Authentication accepted"] * 2
    # The events stay in stream order around the answers: the greeting of each login comes right
    # after its answer, before the snapshot the controller then asks for.
    order = [
        item.action if isinstance(item, Answered) else str(item.message.get("Event"))
        for item in received
        if not isinstance(item, Answered) or item.action in {"Login", "CoreShowChannels"}
    ]
    first_login = order.index("Login")
    assert order[first_login : first_login + 3] == ["Login", "FullyBooted", "CoreShowChannels"]


@pytest.mark.parametrize("chunk_size", [1, 7, 13, 1000])
def test_the_answers_do_not_depend_on_how_the_socket_splits_the_stream(chunk_size: int) -> None:
    data = SESSION.read_bytes()
    reference = feed(recorded_session(), data, len(data))
    assert feed(recorded_session(), data, chunk_size) == reference


def test_without_waiting_actions_the_recorded_answers_are_stray() -> None:
    received = feed(AmiConnection(), SESSION.read_bytes(), 4096)
    # The list items carry ActionIDs of no action of this connection: they come out as events.
    assert kinds(received) == {"EventReceived": 393, "StrayAnswer": 44}


def test_the_intake_trace_opens_with_the_greeting() -> None:
    connection = AmiConnection()
    received = feed(connection, gzip.decompress(INTAKE.read_bytes()), 65536)
    assert received[0] == Greeting("11.0.0") and connection.version == "11.0.0"
    assert kinds(received) == {"Greeting": 1, "EventReceived": 4371, "StrayAnswer": 784}


def test_the_injected_caller_ids_are_damage_and_the_stream_goes_on() -> None:
    received = feed(AmiConnection(), INJECTED.read_bytes(), 4096)
    assert kinds(received) == {"EventReceived": 42, "Damaged": 3}
    damaged = [index for index, item in enumerate(received) if isinstance(item, Damaged)]
    assert all(isinstance(item, EventReceived) for item in received[damaged[-1] + 1 : damaged[-1] + 10])
    problems = {problem for item in received if isinstance(item, Damaged) for problem in item.problems}
    assert "line 'HotlineProbe' is not a header" in problems
    assert "header 'EVENT' appears twice" in problems


@pytest.mark.parametrize("trace", [SESSION, INJECTED, INTAKE], ids=lambda path: path.name)
def test_on_clean_messages_the_framing_agrees_with_panoramisk(trace: Path) -> None:
    """panoramisk's own parser as a reference: on every intact recorded message both read the same
    headers, but for a header with an empty value (``HotlinePath:``), which panoramisk drops."""
    data = trace.read_bytes()
    text = (gzip.decompress(data) if trace.suffix == ".gz" else data).decode()
    compared = dropped = 0
    for block in text.split("\r\n\r\n"):
        block = block.strip().removeprefix("Asterisk Call Manager/11.0.0\r\n")
        if not block or parse_block(block).damaged:
            continue
        ours = dict(parse_block(block).items())
        theirs = {name: value for name, value in Message.from_line(block).items() if name != "content"}
        empty = {name for name, value in ours.items() if value == "" and name not in theirs}
        dropped += bool(empty)
        assert {name: value for name, value in ours.items() if name not in empty} == theirs
        compared += 1
    assert compared > 40 and dropped == (3 if trace == INTAKE else 0)


# --- matching -----------------------------------------------------------------------------------


def test_answers_are_matched_by_action_id_in_stream_order() -> None:
    connection = AmiConnection(id_prefix="t/")
    first, _ = connection.send(actions.queue_remove("legal", "8001"))
    second, _ = connection.send(actions.ping())
    received = connection.receive_data(
        wire(
            {"Response": "Success", "ActionID": second, "Ping": "Pong"},
            {"Event": "FullyBooted", "Privilege": "system,all"},
            {"Response": "Error", "ActionID": first, "Message": "Not there"},
        )
    )
    assert [type(item).__name__ for item in received] == ["Answered", "EventReceived", "Answered"]
    assert isinstance(received[0], Answered) and received[0].action == "Ping"
    assert isinstance(received[2], Answered) and received[2].response["message"] == "Not there"
    assert connection.waiting == 0


def test_a_damaged_message_is_never_an_answer() -> None:
    connection = AmiConnection(id_prefix="t/")
    action_id, _ = connection.send(actions.ping())
    damaged = wire({"Response": "Success", "ActionID": action_id, "Ping": "Pong", "PING": "Pong"})
    (item,) = connection.receive_data(damaged)
    assert isinstance(item, Damaged) and item.problems == ("header 'PING' appears twice",)
    assert connection.waiting == 1
    (answer,) = connection.receive_data(wire({"Response": "Success", "ActionID": action_id, "Ping": "Pong"}))
    assert isinstance(answer, Answered) and connection.waiting == 0


def test_a_forged_answer_would_need_the_connections_random_action_id() -> None:
    connection = AmiConnection()
    action_id, _ = connection.send(actions.queue_add("legal", "8001", member_name="8001"))
    other_id, _ = AmiConnection().send(actions.queue_add("legal", "8001", member_name="8001"))
    assert action_id != other_id and len(action_id) > 20
    guessed = action_id.rpartition("/")[0] + "/2"  # even the right prefix with the next number
    for forged in ("hotline/1", "1", guessed):
        (item,) = connection.receive_data(wire({"Response": "Success", "ActionID": forged}))
        assert isinstance(item, StrayAnswer)
    assert connection.waiting == 1


def test_a_message_with_neither_event_nor_response_is_damage() -> None:
    (item,) = AmiConnection().receive_data(b"CallerIDName: x\r\nUniqueid: 1.1\r\n\r\n")
    assert isinstance(item, Damaged) and item.problems == ("a message with neither Event nor Response",)


def test_an_event_about_a_waiting_action_is_an_event_not_its_answer() -> None:
    connection = AmiConnection(id_prefix="t/")
    action_id, _ = connection.send(Action("Originate", {"Channel": "PJSIP/8001", "Async": "true"}))
    event = {"Event": "OriginateResponse", "ActionID": action_id, "Response": "Failure"}
    # Events with the action's ActionID, even one with a Response header, are events.
    for early in (wire({"Event": "VarSet", "ActionID": action_id}), wire(event)):
        (item,) = connection.receive_data(early)
        assert isinstance(item, EventReceived)
    (answer,) = connection.receive_data(wire({"Response": "Success", "ActionID": action_id}))
    assert isinstance(answer, Answered)
    (after,) = connection.receive_data(wire(event))
    assert isinstance(after, EventReceived) and after.message["Event"] == "OriginateResponse"


# --- lists --------------------------------------------------------------------------------------


def test_a_list_refused_is_answered_with_its_response_alone() -> None:
    connection = AmiConnection(id_prefix="t/")
    action_id, _ = connection.send(actions.db_get_tree("hotline-rating"))
    (item,) = connection.receive_data(
        wire({"Response": "Error", "ActionID": action_id, "Message": "Database entry not found"})
    )
    assert isinstance(item, Answered) and item.is_list and len(item.messages) == 1


def test_a_list_is_answered_once_complete_and_other_events_pass_between() -> None:
    connection = AmiConnection(id_prefix="t/")
    action_id, _ = connection.send(actions.queue_status())
    head = connection.receive_data(
        wire(
            {"Response": "Success", "ActionID": action_id, "EventList": "start"},
            {"Event": "QueueMember", "ActionID": action_id, "Queue": "legal"},
            {"Event": "AgentComplete", "Queue": "legal"},  # an event, and not the end of the list
        )
    )
    assert [type(item).__name__ for item in head] == ["EventReceived"]
    (item,) = connection.receive_data(
        wire({"Event": "QueueStatusComplete", "ActionID": action_id, "EventList": "Complete"})
    )
    assert isinstance(item, Answered)
    assert [str(m.get("Event") or m.get("Response")) for m in item.messages] == [
        "Success",
        "QueueMember",
        "QueueStatusComplete",
    ]


def test_an_action_given_up_on_is_swallowed_whole_when_it_comes() -> None:
    connection = AmiConnection(id_prefix="t/")
    action_id, _ = connection.send(actions.queue_status())
    connection.forget(action_id)
    assert connection.waiting == 1  # Asterisk still works on it
    items = [
        {"Response": "Success", "ActionID": action_id, "EventList": "start"},
        {"Event": "QueueEntry", "ActionID": action_id, "Queue": "legal"},
        {"Event": "QueueStatusComplete", "ActionID": action_id, "EventList": "Complete"},
    ]
    assert connection.receive_data(wire(*items[:2])) == []
    assert connection.receive_data(wire(items[2])) == [LateAnswer(action_id, "QueueStatus")]
    assert connection.waiting == 0


# --- the connection's life ------------------------------------------------------------------------


def test_connection_lost_hands_back_every_waiting_action_and_keeps_none() -> None:
    connection = AmiConnection(id_prefix="t/")
    first, _ = connection.send(actions.queue_add("legal", "8001", member_name="8001"))
    given_up, _ = connection.send(actions.queue_status())
    connection.forget(given_up)
    last, _ = connection.send(actions.ping())
    assert connection.connection_lost() == [Unanswered(first, "QueueAdd"), Unanswered(last, "Ping")]
    assert connection.waiting == 0 and connection.connection_lost() == []
    assert connection.receive_data(wire({"Response": "Success", "ActionID": first})) == []
    with pytest.raises(LocalProtocolError):
        connection.send(actions.ping())


def test_a_message_that_never_ends_is_refused() -> None:
    connection = AmiConnection(max_message_bytes=1000)
    connection.receive_data(b"Event: Newchannel\r\n" + b"X: y\r\n" * 150)
    with pytest.raises(RemoteProtocolError) as raised:
        connection.receive_data(b"X: y\r\n" * 50)
    assert raised.value.error_id == "ami-protocol-error"


def test_actions_are_written_with_their_action_id_and_checked_again() -> None:
    connection = AmiConnection(id_prefix="t/")
    action_id, data = connection.send(actions.queue_pause("8001", paused=True, reason="meal"))
    assert action_id == "t/1"
    assert data == (
        b"Action: QueuePause\r\nActionID: t/1\r\n"
        b"Interface: PJSIP/8001\r\nPaused: true\r\nReason: meal\r\n\r\n"
    )
    with pytest.raises(LocalProtocolError):
        connection.send(Action("Ping", {"ActionID": "mine"}))
    changed = actions.ping()
    changed.headers["Variable"] = "X=1\r\nAction: Originate"
    with pytest.raises(UnsafeActionValue):
        connection.send(changed)
    assert connection.waiting == 1


def test_a_message_reads_like_asterisks_and_a_missing_header_is_not_an_empty_string() -> None:
    message = parse_block("Event: Newchannel\r\nCallerIDNum: 139\r\nHotlinePath:")
    assert message["event"] == message["EVENT"] == "Newchannel" and message["HotlinePath"] == ""
    assert message.get("Uniqueid") is None and "uniqueid" not in message
    with pytest.raises(KeyError):
        message["Uniqueid"]
    assert list(message) == ["Event", "CallerIDNum", "HotlinePath"]
    assert message == AmiMessage.of({"Event": "Newchannel", "CallerIDNum": "139", "HotlinePath": ""})
