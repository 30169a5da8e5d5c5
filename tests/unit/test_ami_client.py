"""The AMI client against a fake Asterisk: login, backoff, events, timeouts, reconnects, errors."""

from __future__ import annotations

import asyncio
import contextlib
import io
import itertools
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest

from hotline.ami import actions
from hotline.ami import events as ev
from hotline.ami.client import (
    REFUSALS_BEFORE_BLAME,
    AmiActionFailed,
    AmiAuthenticationFailed,
    AmiClient,
    AmiEndpoint,
    login_refused,
)
from hotline.errors import HotlineError
from tests.helpers import eventually
from tests.unit.fake_ami import DEFAULT_ANSWERS, FakeAmi

SECRET = "fake-ami-secret-0123456789"
BACKOFF_INITIAL = 0.05
BACKOFF_MAX = 0.4
ACTION_TIMEOUT = 0.5


def newchannel(uniqueid: str = "1714528800.1", **overrides: str | None) -> dict[str, str]:
    """A Newchannel event as Asterisk 22 sends it; ``None`` in overrides leaves a header out."""
    headers: dict[str, str | None] = {
        "Event": "Newchannel",
        "Privilege": "call,all",
        "Timestamp": "1714528800.123456",
        "Channel": "PJSIP/trunk-00000001",
        "ChannelState": "4",
        "ChannelStateDesc": "Ring",
        "CallerIDNum": "13800138000",
        "CallerIDName": "<unknown>",
        "Context": "from-citizens",
        "Exten": "12348",
        "Priority": "1",
        "Uniqueid": uniqueid,
        "Linkedid": uniqueid,
    }
    headers.update(overrides)
    return {key: value for key, value in headers.items() if value is not None}


def hangup(uniqueid: str = "1714528800.1", cause: str = "16") -> dict[str, str]:
    return {
        "Event": "Hangup",
        "Privilege": "call,all",
        "Timestamp": "1714528900.000000",
        "Channel": "PJSIP/trunk-00000001",
        "ChannelState": "6",
        "ChannelStateDesc": "Up",
        "CallerIDNum": "13800138000",
        "CallerIDName": "13800138000",
        "Uniqueid": uniqueid,
        "Linkedid": uniqueid,
        "Cause": cause,
        "Cause-txt": "Normal Clearing",
    }


class Client:
    """An AmiClient wired to the fake, with what it saw."""

    def __init__(
        self,
        fake: FakeAmi,
        *,
        secret: str = SECRET,
        on_connected: Callable[[AmiClient], Awaitable[None]] | None = None,
        action_timeout: float = ACTION_TIMEOUT,
        login_timeout: float = 1.0,
        ping_interval: float = 10.0,
    ) -> None:
        self.events: list[ev.Event] = []
        self.ami = AmiClient(
            AmiEndpoint("127.0.0.1", fake.port, "hotline", secret),
            on_event=self.events.append,
            on_connected=on_connected,
            action_timeout=action_timeout,
            login_timeout=login_timeout,
            backoff_initial=BACKOFF_INITIAL,
            backoff_max=BACKOFF_MAX,
            ping_interval=ping_interval,
        )

    def of_type(self, kind: type[Any]) -> list[Any]:
        return [event for event in self.events if isinstance(event, kind)]


@pytest.fixture
async def fake() -> AsyncIterator[FakeAmi]:
    peer = FakeAmi(secret=SECRET)
    await peer.start()
    try:
        yield peer
    finally:
        await peer.stop()


@pytest.fixture
async def clients() -> AsyncIterator[Callable[..., Client]]:
    made: list[Client] = []

    def make(fake: FakeAmi, **kwargs: Any) -> Client:
        client = Client(fake, **kwargs)
        made.append(client)
        return client

    try:
        yield make
    finally:
        for client in made:
            await client.ami.stop()


async def connected(client: Client, fake: FakeAmi) -> Client:
    client.ami.start()
    await eventually(lambda: client.ami.connected, timeout=2, interval=0.01, what="AMI login")
    await eventually(lambda: fake.connected_clients == 1, timeout=2, interval=0.01, what="fake session")
    return client


def test_a_passing_refusal_does_not_blame_the_secret() -> None:
    # Asterisk shutting down answers "Authentication failed" too: the first refusals say so plainly.
    first = login_refused("hotline", "Authentication failed", 1)
    assert first.error_id == "ami-unavailable"
    assert "secret" not in first.message and "shutting down" in first.message
    lasting = login_refused("hotline", "Authentication failed", REFUSALS_BEFORE_BLAME)
    assert lasting.error_id == "ami-authentication-failed" and "manager.conf differ" in lasting.message


async def test_wrong_secret_is_reported_and_retried_with_backoff(
    fake: FakeAmi, clients: Callable[..., Client]
) -> None:
    wrong = "not-the-generated-secret"
    client = clients(fake, secret=wrong)
    client.ami.start()

    # The first refusals may be Asterisk shutting down or booting; one that persists is the secret.
    error = await eventually(
        lambda: isinstance(client.ami.last_error, AmiAuthenticationFailed) and client.ami.last_error,
        timeout=2,
        interval=0.01,
        what="the login error",
    )
    assert f"{REFUSALS_BEFORE_BLAME} times in a row" in error.message
    assert error.error_id == "ami-authentication-failed"
    assert "secret" in error.message
    assert "hotline config render" in error.message
    assert wrong not in str(error), "the error must not print the secret"

    # It keeps trying, further apart each time (0.05, 0.1, 0.2, 0.4 s), never connected.
    await eventually(lambda: len(fake.login_attempts) >= 5, timeout=3, interval=0.01, what="5 logins")
    assert not client.ami.connected and fake.sessions == 0
    assert isinstance(client.ami.last_error, AmiAuthenticationFailed)
    attempts = fake.login_attempts[:5]
    gaps = [later - earlier for earlier, later in itertools.pairwise(attempts)]
    assert gaps[0] >= BACKOFF_INITIAL * 0.8, f"no backoff between attempts: {gaps}"
    assert gaps[1] > gaps[0] and gaps[2] > gaps[1] and gaps[3] > gaps[2], f"backoff does not grow: {gaps}"
    assert gaps[3] < BACKOFF_MAX + 0.3, f"backoff exceeds its maximum: {gaps}"

    # Waiting for a connection reports the same reason.
    with pytest.raises(AmiAuthenticationFailed):
        await client.ami.wait_connected(0.05)
    # Sending is refused with the reason, not queued.
    with pytest.raises(AmiAuthenticationFailed):
        await client.ami.send(actions.ping())

    await client.ami.stop()
    stopped_at = len(fake.login_attempts)
    # A negative check: no further login within more than the longest backoff.
    await asyncio.sleep(BACKOFF_MAX + 0.1)
    assert len(fake.login_attempts) == stopped_at
    assert not client.ami.connected


async def test_connection_closed_before_the_login_answer_is_retried_promptly(
    fake: FakeAmi, clients: Callable[..., Client]
) -> None:
    """The peer hangs up instead of answering the Login: the client knows at once that the session
    is gone and retries after its backoff, instead of waiting out the login timeout."""
    fake.answer_logins = False
    client = clients(fake, login_timeout=1.5)
    client.ami.start()

    await eventually(lambda: len(fake.login_attempts) >= 2, timeout=3, interval=0.01, what="2nd login")
    first, second = fake.login_attempts[:2]
    error = client.ami.last_error
    assert error is not None and error.error_id == "ami-unavailable"
    assert second - first < 0.75, (
        f"the client waited {second - first:.2f} s (its login timeout) to notice a closed connection "
        f"and reported: {error.message}"
    )
    assert not client.ami.connected


async def test_right_secret_connects_and_events_arrive_decoded(
    fake: FakeAmi, clients: Callable[..., Client]
) -> None:
    client = await connected(clients(fake), fake)
    assert client.ami.sessions == 1 and client.ami.last_error is None
    assert len(fake.login_attempts) == 1
    await client.ami.wait_connected(0.1)

    assert fake.push(newchannel("1714528800.7")) == 1
    created = await eventually(
        lambda: client.of_type(ev.ChannelCreated), timeout=2, interval=0.01, what="ChannelCreated"
    )
    assert created == [
        ev.ChannelCreated(
            timestamp=1714528800.123456,
            uniqueid="1714528800.7",
            linkedid="1714528800.7",
            channel="PJSIP/trunk-00000001",
            caller="13800138000",
            context="from-citizens",
            exten="12348",
        )
    ]
    # Asterisk's greeting after the login is decoded too (it carries no Timestamp).
    assert ev.FullyBooted(None) in client.events

    fake.push(hangup("1714528800.7"))
    hung_up = await eventually(
        lambda: client.of_type(ev.ChannelHungUp), timeout=2, interval=0.01, what="ChannelHungUp"
    )
    assert hung_up[0].cause == 16 and hung_up[0].linkedid == "1714528800.7"

    # An answered action returns Asterisk's response.
    pong = await client.ami.send(actions.ping())
    assert pong["Response"] == "Success" and pong["Ping"] == "Pong"
    assert client.ami.malformed_events == 0


async def test_malformed_events_are_skipped_and_counted(
    fake: FakeAmi, clients: Callable[..., Client]
) -> None:
    client = await connected(clients(fake), fake)

    fake.push(newchannel("1714528800.1", Uniqueid=None))  # no Uniqueid
    await eventually(lambda: client.ami.malformed_events == 1, timeout=2, interval=0.01, what="1 skipped")
    fake.push(hangup("1714528800.1", cause="abc"))  # Cause is not a number
    await eventually(lambda: client.ami.malformed_events == 2, timeout=2, interval=0.01, what="2 skipped")
    fake.push(newchannel("1714528800.2", Timestamp="yesterday"))
    await eventually(lambda: client.ami.malformed_events == 3, timeout=2, interval=0.01, what="3 skipped")

    fake.push(newchannel("1714528800.3"))
    created = await eventually(
        lambda: client.of_type(ev.ChannelCreated), timeout=2, interval=0.01, what="the valid event"
    )
    assert [event.uniqueid for event in created] == ["1714528800.3"]
    assert not client.of_type(ev.ChannelHungUp)
    assert client.ami.connected and client.ami.sessions == 1 and fake.sessions == 1


async def test_caller_ids_carrying_ami_text_are_refused_and_do_not_cut_the_connection(
    fake: FakeAmi, clients: Callable[..., Client]
) -> None:
    """Newchannel events as Asterisk sends them for From users with CR LF in them: one with headers
    that override by their case (panoramisk's parser would make it a Hangup in 1970), one split in
    two whose second part is a Shutdown (panoramisk would close the connection on it)."""
    client = await connected(clients(fake), fake)
    fake.push(newchannel("1714528800.5", CallerIDNum="5551\r\ntimestamp: 1\r\nEVENT: Hangup\r\nCAUSE: 16"))
    fake.push(newchannel("1714528800.6", CallerIDNum="5552\r\n\r\nEvent: Shutdown\r\nTimestamp: 1"))
    fake.push(newchannel("1714528800.7", CallerIDNum='5553,<"x>'))
    created = await eventually(
        lambda: client.of_type(ev.ChannelCreated), timeout=2, interval=0.01, what="the valid event"
    )
    assert [(event.uniqueid, event.caller) for event in created] == [("1714528800.7", "5553")]
    assert client.ami.malformed_events == 2  # the first; the head of the second (no Uniqueid)
    assert not client.of_type(ev.ChannelHungUp)
    assert client.ami.connected and client.ami.sessions == 1 and fake.sessions == 1


async def test_events_the_controller_does_not_use_are_ignored(
    fake: FakeAmi, clients: Callable[..., Client]
) -> None:
    client = await connected(clients(fake), fake)
    fake.push({"Event": "VarSet", "Privilege": "dialplan,all", "Variable": "X", "Value": "1"})
    fake.push(newchannel("1714528800.4"))
    await eventually(lambda: client.of_type(ev.ChannelCreated), timeout=2, interval=0.01, what="event")
    assert client.ami.malformed_events == 0
    assert {type(event) for event in client.events} == {ev.FullyBooted, ev.ChannelCreated}


async def test_unanswered_action_times_out(fake: FakeAmi, clients: Callable[..., Client]) -> None:
    client = await connected(clients(fake), fake)
    fake.never_answer("QueueAdd")

    started = time.monotonic()
    with pytest.raises(HotlineError) as raised:
        await client.ami.send(actions.queue_add("legal", "8001", member_name="8001"))
    elapsed = time.monotonic() - started

    assert raised.value.error_id == "ami-action-timeout"
    assert raised.value.status == 504
    assert "QueueAdd" in raised.value.message
    assert ACTION_TIMEOUT * 0.9 <= elapsed < ACTION_TIMEOUT + 0.5
    assert len(fake.received("QueueAdd")) == 1
    # The connection survives a slow answer; the next action goes through.
    assert client.ami.connected
    pong = await client.ami.send(actions.ping())
    assert pong["Ping"] == "Pong"


async def test_dropped_connection_fails_the_pending_action_and_reconnects(
    fake: FakeAmi, clients: Callable[..., Client]
) -> None:
    resyncs: list[int] = []

    async def on_connected(ami: AmiClient) -> None:
        resyncs.append(ami.sessions)

    # A long action timeout: the failure must come from the drop, not from the timeout.
    client = await connected(clients(fake, on_connected=on_connected, action_timeout=5.0), fake)
    await eventually(lambda: resyncs == [1], timeout=2, interval=0.01, what="on_connected")
    fake.never_answer("QueueAdd")

    pending = asyncio.ensure_future(client.ami.send(actions.queue_add("legal", "8001", member_name="8001")))
    await eventually(lambda: fake.received("QueueAdd"), timeout=2, interval=0.01, what="QueueAdd sent")
    started = time.monotonic()
    fake.drop()

    with pytest.raises(HotlineError) as raised:
        await pending
    assert raised.value.error_id == "ami-unavailable"
    assert "QueueAdd" in raised.value.message
    assert time.monotonic() - started < 1.0

    await eventually(
        lambda: client.ami.connected and client.ami.sessions == 2, timeout=2, interval=0.01, what="reconnect"
    )
    await eventually(lambda: resyncs == [1, 2], timeout=2, interval=0.01, what="on_connected again")
    assert fake.sessions == 2
    # The failed action is not re-sent behind the caller's back after the reconnect.
    fake.answer("QueueAdd", {"Response": "Success", "Message": "Added interface to queue"})
    pong = await client.ami.send(actions.ping())
    assert pong["Ping"] == "Pong"
    assert len(fake.received("QueueAdd")) == 1
    # Events flow on the new session.
    fake.push(newchannel("1714528800.9"))
    await eventually(lambda: client.of_type(ev.ChannelCreated), timeout=2, interval=0.01, what="event")


async def test_error_response_raises_unless_tolerated(fake: FakeAmi, clients: Callable[..., Client]) -> None:
    client = await connected(clients(fake), fake)
    fake.answer("QueueRemove", {"Response": "Error", "Message": "Not there"})

    with pytest.raises(AmiActionFailed) as raised:
        await client.ami.send(actions.queue_remove("legal", "8001"))
    assert raised.value.error_id == "ami-action-failed"
    assert "QueueRemove" in raised.value.message and "Not there" in raised.value.message
    assert raised.value.details == {"action": "QueueRemove"}

    answer = await client.ami.send(actions.queue_remove("legal", "8001"), tolerate=("Not there",))
    assert answer["Message"] == "Not there"
    # Another error is still an error when only "Not there" is tolerated.
    fake.answer("QueueRemove", {"Response": "Error", "Message": "Unable to remove interface: Out of memory"})
    with pytest.raises(AmiActionFailed):
        await client.ami.send(actions.queue_remove("legal", "8001"), tolerate=("Not there",))
    assert client.ami.connected


async def test_a_failing_event_handler_does_not_drop_the_connection(fake: FakeAmi) -> None:
    seen: list[ev.Event] = []

    def handler(event: ev.Event) -> None:
        if isinstance(event, ev.ChannelCreated) and event.uniqueid == "1714528800.7":
            raise RuntimeError("a bug in a handler")
        seen.append(event)

    client = AmiClient(
        AmiEndpoint("127.0.0.1", fake.port, "hotline", SECRET),
        on_event=handler,
        backoff_initial=BACKOFF_INITIAL,
        backoff_max=BACKOFF_MAX,
    )
    client.start()
    try:
        await eventually(lambda: client.connected, timeout=2, interval=0.01, what="AMI login")
        fake.push(newchannel("1714528800.7"))
        fake.push(newchannel("1714528800.8"))
        await eventually(
            lambda: any(isinstance(e, ev.ChannelCreated) for e in seen),
            timeout=2,
            interval=0.01,
            what="the next event",
        )
        assert client.failed_events == 1
        assert client.connected and client.sessions == 1 and fake.sessions == 1
    finally:
        await client.stop()


# --- the connection loop, the table of waiting actions, the framing, seen from the client --------

CHANNELS_FOLLOW = {"Response": "Success", "EventList": "start", "Message": "Channels will follow"}
CHANNELS_COMPLETE = {"Event": "CoreShowChannelsComplete", "EventList": "Complete", "ListItems": "0"}


async def test_events_during_each_login_reach_on_event_in_order(
    fake: FakeAmi, clients: Callable[..., Client]
) -> None:
    """While on_connected waits for its snapshot, events keep coming, in stream order: none is held
    back or reordered behind the answer, and the client is ready only once on_connected is done."""
    fake.answer("CoreShowChannels", CHANNELS_FOLLOW, CHANNELS_COMPLETE)
    fake.hold("CoreShowChannels")
    answers: list[tuple[list[str], list[Any]]] = []

    async def on_connected(ami: AmiClient) -> None:
        answer = await ami.send(actions.core_show_channels())
        answers.append(([e.uniqueid for e in client.of_type(ev.ChannelCreated)], answer))

    client = clients(fake, on_connected=on_connected, action_timeout=5.0)
    client.ami.start()
    for session, ids in ((1, ["1714528800.1", "1714528800.2", "1714528800.3"]), (2, ["1714528800.4"])):
        await eventually(
            lambda session=session: len(fake.received("CoreShowChannels")) == session,  # type: ignore[misc]
            timeout=2,
            interval=0.01,
            what=f"the snapshot of session {session} asked",
        )
        for uniqueid in ids:
            fake.push(newchannel(uniqueid))
        await eventually(
            lambda ids=ids: [e.uniqueid for e in client.of_type(ev.ChannelCreated)][-len(ids) :] == ids,  # type: ignore[misc]
            timeout=2,
            interval=0.01,
            what="the events delivered while on_connected waits",
        )
        with pytest.raises(HotlineError) as early:
            await client.ami.wait_connected(0.05)
        assert early.value.error_id == "ami-unavailable"
        assert fake.release("CoreShowChannels") == 1
        await client.ami.wait_connected(2)
        assert client.ami.sessions == session == len(answers)
        if session == 1:
            fake.hold("CoreShowChannels")
            fake.drop()
            await eventually(lambda: not client.ami.connected, timeout=2, interval=0.01, what="the drop")

    created = [e.uniqueid for e in client.of_type(ev.ChannelCreated)]
    assert created == ["1714528800.1", "1714528800.2", "1714528800.3", "1714528800.4"]
    assert [type(e) for e in client.events].count(ev.FullyBooted) == 2
    # Each login's events come after its FullyBooted, before the next one.
    kinds = [type(e).__name__ for e in client.events]
    assert kinds == ["FullyBooted", *["ChannelCreated"] * 3, "FullyBooted", "ChannelCreated"]
    (seen_first, first), (seen_second, second) = answers
    assert seen_first == created[:3] and seen_second == created
    assert [message["Response" if i == 0 else "Event"] for i, message in enumerate(first)] == [
        "Success",
        "CoreShowChannelsComplete",
    ]
    assert len(second) == 2


async def test_a_list_action_refused_is_answered_at_once(
    fake: FakeAmi, clients: Callable[..., Client]
) -> None:
    """A list action answered with an Error (DBGetTree of an empty family) is answered, not left
    waiting for items that never come."""
    client = await connected(clients(fake, action_timeout=5.0), fake)
    fake.answer("DBGetTree", {"Response": "Error", "Message": "Database entry not found"})
    started = time.monotonic()
    answer = await client.ami.send(actions.db_get_tree("hotline-rating"), tolerate=("not found",))
    assert isinstance(answer, list) and [m["Message"] for m in answer] == ["Database entry not found"]
    with pytest.raises(AmiActionFailed, match="Database entry not found"):
        await client.ami.send(actions.db_get_tree("hotline-rating"))
    assert time.monotonic() - started < 1.0


async def test_a_late_answer_is_dropped_whole_and_not_taken_for_another_action(
    fake: FakeAmi, clients: Callable[..., Client], caplog: pytest.LogCaptureFixture
) -> None:
    """QueueStatus times out; its answer comes later, items and all: none of it is delivered as an
    event or taken as the answer to the next action."""
    client = await connected(clients(fake), fake)
    item = {**newchannel("1714528800.6"), "Event": "Newchannel"}  # an item that would decode
    fake.answer(
        "QueueStatus",
        {"Response": "Success", "EventList": "start", "Message": "Queue status will follow"},
        item,
        {"Event": "QueueStatusComplete", "EventList": "Complete", "ListItems": "1"},
    )
    fake.hold("QueueStatus")
    with pytest.raises(HotlineError) as raised:
        await client.ami.send(actions.queue_status(), timeout=0.2)
    assert raised.value.error_id == "ami-action-timeout"

    caplog.set_level("INFO", logger="hotline.ami.client")
    assert fake.release("QueueStatus") == 1
    await eventually(
        lambda: "answered QueueStatus after its timeout" in caplog.text, timeout=2, interval=0.01, what="late"
    )
    assert not client.of_type(ev.ChannelCreated), "an item of the late answer was taken for an event"
    pong = await client.ami.send(actions.ping())
    assert pong["Ping"] == "Pong"
    assert client.ami.malformed_events == 0 and client.ami.connected and client.ami.sessions == 1


async def test_damaged_frames_are_counted_and_skipped_and_the_stream_goes_on(
    fake: FakeAmi, clients: Callable[..., Client]
) -> None:
    client = await connected(clients(fake), fake)
    good = b"".join(f"{key}: {value}\r\n".encode() for key, value in newchannel("1714528800.8").items())
    # A message with a stray line, one with neither Event nor Response, both cut across writes.
    fake.push_raw(b"Event: Newchannel\r\nCallerIDNum: 5551\r\nHotline")
    fake.push_raw(b"Probe\r\nUniqueid: 1.1\r\n\r\nCallerIDName: x\r\n")
    fake.push_raw(b"Linkedid: 1.1\r\n\r\n" + good[:20])
    fake.push_raw(good[20:] + b"\r\n")
    created = await eventually(
        lambda: client.of_type(ev.ChannelCreated), timeout=2, interval=0.01, what="the next event"
    )
    assert [event.uniqueid for event in created] == ["1714528800.8"]
    assert client.ami.malformed_events == 2
    assert client.ami.connected and client.ami.sessions == 1 and fake.sessions == 1


async def test_a_peer_that_never_ends_a_message_is_cut_off(
    fake: FakeAmi, clients: Callable[..., Client]
) -> None:
    client = await connected(clients(fake), fake)
    fake.push_raw(b"Event: Newchannel\r\nX: " + b"x" * (1 << 20))
    await eventually(lambda: client.ami.sessions == 2, timeout=5, interval=0.01, what="a new session")
    assert client.ami.connected


async def test_stop_fails_the_waiting_actions_at_once(fake: FakeAmi, clients: Callable[..., Client]) -> None:
    client = await connected(clients(fake, action_timeout=5.0), fake)
    fake.never_answer("QueueAdd")
    pending = asyncio.ensure_future(client.ami.send(actions.queue_add("legal", "8001", member_name="8001")))
    await eventually(lambda: fake.received("QueueAdd"), timeout=2, interval=0.01, what="QueueAdd sent")
    started = time.monotonic()
    await client.ami.stop()
    with pytest.raises(HotlineError) as raised:
        await pending
    assert raised.value.error_id == "ami-unavailable" and "QueueAdd" in raised.value.message
    assert time.monotonic() - started < 1.0
    assert not client.ami.connected
    await eventually(lambda: fake.connected_clients == 0, timeout=2, interval=0.01, what="the socket closed")


async def test_an_idle_connection_that_answers_no_ping_is_replaced(
    fake: FakeAmi, clients: Callable[..., Client]
) -> None:
    client = await connected(clients(fake, action_timeout=0.2, ping_interval=0.05), fake)
    fake.never_answer("Ping")
    await eventually(lambda: client.ami.sessions >= 2, timeout=3, interval=0.01, what="a new session")
    assert fake.received("Ping")
    fake.answer("Ping", *DEFAULT_ANSWERS["Ping"])
    await eventually(lambda: client.ami.connected, timeout=3, interval=0.01, what="connected again")
    sessions, pings = client.ami.sessions, len(fake.received("Ping"))
    await eventually(
        lambda: len(fake.received("Ping")) >= pings + 5, timeout=3, interval=0.01, what="pings answered"
    )
    assert client.ami.sessions == sessions and client.ami.connected


async def test_a_busy_connection_is_not_pinged(fake: FakeAmi, clients: Callable[..., Client]) -> None:
    """Asterisk answers a connection's actions in turn: a Ping would wait behind a slow action."""
    client = await connected(clients(fake, action_timeout=0.2, ping_interval=0.05), fake)
    fake.never_answer("QueueStatus")
    with pytest.raises(HotlineError) as raised:
        await client.ami.send(actions.queue_status(), timeout=0.6)
    assert raised.value.error_id == "ami-action-timeout"
    assert not fake.received("Ping"), "pinged while an action was waiting"
    assert client.ami.sessions == 1 and client.ami.connected


async def test_an_asterisk_that_keeps_sending_is_not_cut_for_a_late_ping(
    fake: FakeAmi, clients: Callable[..., Client], caplog: pytest.LogCaptureFixture
) -> None:
    client = await connected(clients(fake, action_timeout=0.2, ping_interval=0.05), fake)
    fake.never_answer("Ping")
    stop = asyncio.Event()

    async def talk() -> None:
        for n in itertools.count():
            fake.push(newchannel(f"1714528900.{n}"))
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(0.02):
                    await stop.wait()
            if stop.is_set():
                return

    talking = asyncio.ensure_future(talk())
    try:
        await eventually(
            lambda: "answered no Ping" in caplog.text, timeout=3, interval=0.01, what="the late Ping"
        )
    finally:
        stop.set()
        await talking
    assert client.ami.sessions == 1 and client.ami.connected
    assert len(client.of_type(ev.ChannelCreated)) >= 5


async def test_a_secret_with_a_line_break_is_never_sent(
    fake: FakeAmi, clients: Callable[..., Client]
) -> None:
    client = clients(fake, secret="abc\r\nAction: Originate")
    client.ami.start()
    error = await eventually(lambda: client.ami.last_error, timeout=2, interval=0.01, what="the error")
    assert error.error_id == "ami-authentication-failed" and "line break" in error.message
    assert "Originate" not in str(error) and "abc" not in str(error)
    assert fake.login_attempts == [] and fake.actions == []


async def test_a_cli_session_connects_once_and_closes(fake: FakeAmi) -> None:
    client = AmiClient(AmiEndpoint("127.0.0.1", fake.port, "hotline", SECRET), on_event=lambda _e: None)
    await client.connect_once()
    assert client.connected and (await client.send(actions.ping()))["Ping"] == "Pong"
    await client.close()
    assert not client.connected
    with pytest.raises(HotlineError) as raised:
        await client.send(actions.ping())
    assert raised.value.error_id == "ami-unavailable"

    wrong = AmiClient(AmiEndpoint("127.0.0.1", fake.port, "hotline", "wrong"), on_event=lambda _e: None)
    with pytest.raises(HotlineError) as refused:
        await wrong.connect_once()
    assert refused.value.error_id == "ami-unavailable" and "refused the AMI login" in refused.value.message
    assert not wrong.connected


async def test_the_stream_is_saved_as_received(fake: FakeAmi) -> None:
    saved = io.BytesIO()
    client = AmiClient(
        AmiEndpoint("127.0.0.1", fake.port, "hotline", SECRET), on_event=lambda _e: None, save_stream=saved
    )
    client.start()
    try:
        await client.wait_connected(2)
        fake.push(newchannel("1714528800.3"))
        await eventually(lambda: b"1714528800.3" in saved.getvalue(), timeout=2, interval=0.01, what="saved")
    finally:
        await client.stop()
    data = saved.getvalue()
    assert data.startswith(b"Asterisk Call Manager/11.0.0\r\nResponse: Success\r\n")
    assert SECRET.encode() not in data


async def test_a_failing_on_connected_is_retried_on_a_new_connection(
    fake: FakeAmi, clients: Callable[..., Client]
) -> None:
    """State re-synced from snapshots is what makes events trustworthy again: when that work fails
    (a bug, a slow answer), the client does not report ready but reconnects and runs it again."""
    calls: list[int] = []

    async def on_connected(ami: AmiClient) -> None:
        calls.append(ami.sessions)
        if len(calls) == 1:
            raise RuntimeError("a bug in the re-sync")

    client = clients(fake, on_connected=on_connected)
    client.ami.start()
    await client.ami.wait_connected(3)
    assert calls == [1, 2] and client.ami.sessions == 2 and fake.sessions == 2
    assert client.ami.connected and client.ami.last_error is None
