"""The reducer replays AMI traces recorded from the real Asterisk into call records, idempotently."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
from immutables import Map
from panoramisk.message import Message
from sqlalchemy.orm import sessionmaker

from hotline.ami import actions
from hotline.ami import events as ev
from hotline.ami.trace import events_from, frame
from hotline.calls.models import Call
from hotline.calls.service import RECORD_COLUMNS, CallRecorder, CallStore, merge_into, progress_of
from hotline.calls.state import (
    CITIZEN_ACCOUNT,
    CallChanged,
    CallProgress,
    LiveState,
    QueueMember,
    Snapshot,
    reduce,
    reduce_all,
    resync,
)
from hotline.errors import HotlineError
from tests.helpers import eventually

TRACE = Path(__file__).resolve().parents[1] / "fixtures" / "ami" / "e2e-session.ami"
COLUMNS = RECORD_COLUMNS


@pytest.fixture(scope="module")
def events() -> list[ev.Event]:
    return list(events_from(TRACE.read_bytes()))


def persist(rows: dict[str, Call], effects: list[CallChanged]) -> dict[str, Call]:
    """What CallStore.write does, without a database."""
    for effect in effects:
        row = rows.setdefault(effect.call.linkedid, Call(linkedid=effect.call.linkedid))
        merge_into(row, effect.call)
    return rows


def snapshot_of(rows: dict[str, Call]) -> dict[str, tuple[object, ...]]:
    return {linkedid: tuple(getattr(row, c) for c in COLUMNS) for linkedid, row in rows.items()}


def test_recorded_session_gives_one_record_per_call(events: list[ev.Event]) -> None:
    state, effects = reduce_all(LiveState(), events)
    rows = persist({}, effects)
    citizens = [e for e in events if isinstance(e, ev.ChannelCreated) and e.context == "from-citizens"]
    assert len(rows) == len(citizens) == 24
    assert Counter((row.outcome, row.rating) for row in rows.values()) == {
        ("answered", 4): 1,
        ("answered", 5): 1,
        ("answered", None): 20,
        ("voicemail", None): 1,
        ("abandoned", None): 1,
    }
    assert not state.calls and not state.channels and not state.queue_callers


def test_answered_call_fields(events: list[ev.Event]) -> None:
    rows = persist({}, reduce_all(LiveState(), events)[1])
    rated = next(row for row in rows.values() if row.rating == 4)
    assert rated.lawyer == "8001" and rated.queue == "legal"
    assert rated.started_at <= rated.queued_at <= rated.answered_at <= rated.ended_at  # type: ignore[operator]
    assert rated.talk_seconds == 3
    assert rated.recording_file and rated.recording_file.endswith(rated.linkedid)
    voicemail = next(row for row in rows.values() if row.outcome == "voicemail")
    assert voicemail.voicemail_file == voicemail.linkedid and voicemail.answered_at is None
    abandoned = next(row for row in rows.values() if row.outcome == "abandoned")
    assert abandoned.wait_seconds is not None and abandoned.wait_seconds >= 1


def test_replaying_the_same_events_changes_nothing(events: list[ev.Event]) -> None:
    rows = persist({}, reduce_all(LiveState(), events)[1])
    first = snapshot_of(rows)
    persist(rows, reduce_all(LiveState(), events)[1])
    assert snapshot_of(rows) == first


def test_framing_does_not_depend_on_how_the_socket_splits_the_stream() -> None:
    data = TRACE.read_bytes()
    reference = [dict(m.items()) for m in frame(data, chunk_size=len(data))]
    for size in (1, 7, 1000):
        assert [dict(m.items()) for m in frame(data, chunk_size=size)] == reference


def test_reduce_is_pure(events: list[ev.Event]) -> None:
    state, _ = reduce_all(LiveState(), events[:40])
    before = (dict(state.calls), dict(state.channels), dict(state.queue_callers), dict(state.members))
    reduce(state, events[40])
    assert (dict(state.calls), dict(state.channels), dict(state.queue_callers), dict(state.members)) == before


def test_lawyer_legs_do_not_make_calls(events: list[ev.Event]) -> None:
    lawyer_leg = next(e for e in events if isinstance(e, ev.ChannelCreated) and e.context == "from-lawyers")
    state, effects = reduce(LiveState(), lawyer_leg)
    assert effects == [] and lawyer_leg.uniqueid in state.channels


def test_controller_restart_mid_call_back_fills_the_same_record(events: list[ev.Event]) -> None:
    """Stop after the lawyer answered the rated call, restart from the database and a snapshot."""
    reference = persist({}, reduce_all(LiveState(), events)[1])
    connect = next(i for i, e in enumerate(events) if isinstance(e, ev.AgentConnected))
    linkedid = events[connect].linkedid  # type: ignore[union-attr]
    before, after = events[: connect + 1], events[connect + 1 :]

    rows = persist({}, reduce_all(LiveState(), before)[1])
    # The new controller knows the open calls from the database, then asks Asterisk what is live.
    restarted = LiveState(
        calls=Map({r.linkedid: progress_of(r) for r in rows.values() if r.ended_at is None})
    )
    taken_at = events[connect].timestamp + 0.5
    citizen = next(e for e in events if isinstance(e, ev.ChannelCreated) and e.linkedid == linkedid)
    snapshot = Snapshot(
        taken_at=taken_at,
        channels=(
            ev.ChannelSnapshot(
                linkedid,
                linkedid,
                citizen.channel,
                citizen.caller,
                "from-citizens",
                "12348",
                "Queue",
                int(taken_at - citizen.timestamp),
                "bridge-1",
            ),
        ),
        queue_entries=(),
        members=(),
    )
    state, effects = resync(restarted, snapshot)
    persist(rows, effects)
    persist(rows, reduce_all(state, after)[1])
    assert snapshot_of(rows)[linkedid] == snapshot_of(reference)[linkedid]


def test_resync_ends_calls_that_ended_while_disconnected() -> None:
    known = CallProgress(linkedid="1.1", caller="139", started_at=100.0, answered_at=105.0, lawyer="8001")
    state = LiveState(calls=Map({"1.1": known}))
    new_state, effects = resync(state, Snapshot(taken_at=200.0, channels=(), queue_entries=(), members=()))
    assert not new_state.calls
    assert effects == [CallChanged(known._replace(ended_at=200.0))]
    assert effects[0].call.outcome == "answered"


def test_resync_adopts_calls_that_started_while_disconnected() -> None:
    waiting = ev.ChannelSnapshot(
        "9.9", "9.9", "PJSIP/citizens-1", "13800000009", "from-citizens", "12348", "Queue", 12, ""
    )
    lawyer = ev.ChannelSnapshot("9.10", "9.9", "PJSIP/8001-1", "8001", "from-lawyers", "s", "AppQueue", 3, "")
    snapshot = Snapshot(
        taken_at=1000.0,
        channels=(waiting, lawyer),
        queue_entries=(ev.QueueEntrySnapshot("9.9", "legal", "13800000009", 10),),
        members=(ev.QueueMember("legal", "PJSIP/8001", "8001", 6, False, "", False, 2),),
    )
    state, effects = resync(LiveState(), snapshot)
    assert [effect.call for effect in effects] == [
        CallProgress(linkedid="9.9", caller="13800000009", started_at=988.0, queue="legal", queued_at=990.0)
    ]
    assert set(state.channels) == {"9.9", "9.10"} and ("legal", "PJSIP/8001") in state.members


def _user_event(kind: str, uniqueid: str, linkedid: str, **headers: str) -> ev.Event | None:
    """A UserEvent from the dialplan as Asterisk 22 sends it: the channel's snapshot, then ours."""
    message = {"Event": "UserEvent", "Privilege": "user,all", "Timestamp": "1795919100.5"}
    message.update(Channel="PJSIP/citizens-1", ChannelState="6", ChannelStateDesc="Up", CallerIDNum="139")
    message.update(Uniqueid=uniqueid, Linkedid=linkedid, UserEvent=kind, **headers)
    return ev.decode(ev.headers_of(message))


def test_queue_members_are_kept_as_the_events_and_snapshots_report_them() -> None:
    """One queue-member value: the one an event or the QueueStatus answer carries is the one kept."""
    member = QueueMember("legal", "PJSIP/8001", "8001", 1, True, "meal", False, 4, 2)
    state, effects = reduce(LiveState(), ev.QueueMemberChanged(1.0, member))
    assert state.members[("legal", "PJSIP/8001")] is member and effects == []
    state, _ = reduce(state, ev.QueueMemberChanged(2.0, member._replace(status=2), removed=True))
    assert state.members == Map()
    state, _ = resync(LiveState(), Snapshot(taken_at=3.0, channels=(), queue_entries=(), members=(member,)))
    assert state.members[("legal", "PJSIP/8001")] is member


def test_route_and_transfer_events_complete_the_record() -> None:
    """The route comes from the citizen's channel; the transfer from the outside line's channel."""
    started = CallProgress(linkedid="9.1", caller="139", started_at=1795919100.0)
    state = LiveState(calls=Map({"9.1": started}))
    route = _user_event(
        "HotlineRoute",
        "9.1",
        "9.1",
        HotlineLanguage="mandarin",
        HotlineTopic="other",
        HotlinePath=" language=1 topic=0",
    )
    transfer = _user_event("HotlineTransfer", "9.2", "9.1", HotlineTarget="gov-12345")
    assert isinstance(route, ev.RouteChosen) and isinstance(transfer, ev.CallTransferred)
    state, effects = reduce_all(state, [route, transfer])
    call = effects[-1].call
    assert (call.language, call.topic, call.ivr_path) == ("mandarin", "other", "language=1 topic=0")
    assert call.transferred_to == "gov-12345"
    hangup = ev.ChannelHungUp(1795919110.0, "9.1", "9.1", "PJSIP/citizens-1", 16)
    _state, effects = reduce(state, hangup)
    assert effects[-1].call.outcome == "transferred"


def test_a_transfer_event_without_a_target_is_malformed() -> None:
    with pytest.raises(ev.MalformedEvent):
        _user_event("HotlineTransfer", "9.2", "9.1")


# --- caller IDs carrying AMI text (see tests/unit/test_events.py and tests/e2e/test_caller_id.py) ---
INJECTED = Path(__file__).resolve().parents[1] / "fixtures" / "ami" / "injected-caller-ids.ami"


def test_calls_with_injected_caller_ids_give_one_clean_record_each() -> None:
    """Six voicemails whose Newchannel was refused or held injected lines: each is one normal
    record with the cleaned number, its route, recording and message, started and ended when
    Asterisk said (the forged Hangup and "timestamp: 1" changed nothing)."""
    data = INJECTED.read_bytes()
    events = list(events_from(data))
    state, effects = reduce_all(LiveState(), events)
    rows = persist({}, effects)
    assert sorted(row.caller or "" for row in rows.values()) == [
        "55530170001",
        "55530170002",
        "55530170003",
        "55530170004",
        "555301700051",
        "55530170006",
    ]
    hangups = {e.linkedid: e.timestamp for e in events if isinstance(e, ev.ChannelHungUp)}
    newchannels = {e.linkedid: e.timestamp for e in events if isinstance(e, ev.ChannelCreated)}
    intakes = {e.linkedid: e.timestamp for e in events if isinstance(e, ev.IntakeStarted)}
    for row in rows.values():
        assert row.outcome == "voicemail" and row.voicemail_file == row.linkedid
        assert row.recording_file and row.recording_file.endswith(row.linkedid)
        assert (row.language, row.topic, row.ivr_path) == ("mandarin", "other", "language=1 topic=7")
        assert row.ended_at is not None and row.ended_at.timestamp() == pytest.approx(hangups[row.linkedid])
        start = newchannels.get(row.linkedid, intakes[row.linkedid])  # adopted at the intake
        assert row.started_at is not None and row.started_at.timestamp() == pytest.approx(start)
    assert len(newchannels) == 2  # the other four Newchannel events were refused
    assert not state.calls and not state.channels


def test_the_intake_adopts_a_call_whose_newchannel_was_refused() -> None:
    intake = ev.IntakeStarted(1795919100.5, "9.1", "9.1", "5551")
    state, effects = reduce(LiveState(), intake)
    assert effects == [CallChanged(CallProgress(linkedid="9.1", caller="5551", started_at=1795919100.5))]
    assert reduce(state, intake) == (state, [])  # once
    # Not from another channel of the call (a lawyer's leg).
    assert reduce(LiveState(), ev.IntakeStarted(1795919100.5, "9.2", "9.1", "5551")) == (LiveState(), [])


def test_the_intakes_cleaned_number_is_the_calls_number() -> None:
    """The Newchannel's number comes before the dialplan cleaned it; the intake's after."""
    created = ev.ChannelCreated(1795919100.0, "9.1", "9.1", "PJSIP/citizens-1", "5", "from-citizens", "12348")
    state, _ = reduce(LiveState(), created)
    state, effects = reduce(state, ev.IntakeStarted(1795919100.5, "9.1", "9.1", "5551"))
    assert [e.call.caller for e in effects] == ["5551"]
    assert effects[0].call.started_at == 1795919100.0
    assert reduce(state, ev.IntakeStarted(1795919100.6, "9.1", "9.1", None))[1] == []


class _SnapshotPeer:
    """Answers CoreShowChannels and QueueStatus as the AMI client would (lists of messages)."""

    def __init__(self, channels: list[dict[str, str]], members: list[dict[str, str]] | None = None) -> None:
        self.channels = channels
        self.members = members or []
        self.slow_queue_status = 0  # how many QueueStatus actions time out first
        self.timeouts: list[float | None] = []

    async def send(self, action: actions.Action, timeout: float | None = None) -> list[object]:
        if action.name == "CoreShowChannels":
            items = [Message(channel) for channel in self.channels]
            return [Message({"Response": "Success"}), *items, Message({"Event": "CoreShowChannelsComplete"})]
        self.timeouts.append(timeout)
        if self.slow_queue_status:
            self.slow_queue_status -= 1
            raise HotlineError("ami-action-timeout", f"No QueueStatus answer within {timeout} s.")
        members = [Message(member) for member in self.members]
        return [Message({"Response": "Success"}), *members, Message({"Event": "QueueStatusComplete"})]


async def test_a_malformed_snapshot_item_does_not_stop_the_resync() -> None:
    """A channel whose caller number still holds injected text (its first instants, before the
    dialplan cleaned it) answers CoreShowChannels split in two: that item is left out, not the rest."""

    def channel(uniqueid: str, number: str) -> dict[str, str]:
        return {
            "Event": "CoreShowChannel",
            "ActionID": "a",
            "Channel": f"PJSIP/citizens-{uniqueid}",
            "CallerIDNum": number,
            "Context": "from-citizens",
            "Exten": "12348",
            "Duration": "00:00:03",
            "Uniqueid": uniqueid,
            "Linkedid": uniqueid,
        }

    split = {k: v for k, v in channel("9.2", "5552").items() if k not in ("Uniqueid", "Linkedid")}
    recorder = CallRecorder(CallStore(sessionmaker()))
    await recorder.resync(_SnapshotPeer([channel("9.1", "5551"), split]))  # type: ignore[arg-type]
    assert list(recorder.state.calls) == ["9.1"] and recorder.state.calls["9.1"].caller == "5551"


async def test_a_slow_queue_status_after_boot_does_not_fail_the_resync() -> None:
    """Just after Asterisk boots, QueueStatus with thousands of members can outlast any timeout:
    the channels are re-synced anyway (no second gap), the members known stay, and the members
    are asked for again in the background."""
    citizen = {
        "Event": "CoreShowChannel",
        "Channel": "PJSIP/citizens-1",
        "CallerIDNum": "5551",
        "Context": "hotline-queue",
        "Exten": "s",
        "Duration": "00:00:09",
        "Uniqueid": "9.1",
        "Linkedid": "9.1",
        "AccountCode": CITIZEN_ACCOUNT,
    }
    member = {
        "Event": "QueueMember",
        "Queue": "legal",
        "Name": "8001",
        "Location": "PJSIP/8001",
        "StateInterface": "PJSIP/8001",
        "Membership": "dynamic",
        "Penalty": "0",
        "CallsTaken": "2",
        "LastCall": "0",
        "LastPause": "0",
        "InCall": "0",
        "Status": "1",
        "Paused": "0",
        "PausedReason": "",
        "Wrapuptime": "0",
    }
    peer = _SnapshotPeer([citizen], [member])
    peer.slow_queue_status = 1
    recorder = CallRecorder(CallStore(sessionmaker()), queue_status_timeout=30.0)
    known = QueueMember("legal", "PJSIP/8002", "8002", 1, False, "", False, 0)
    recorder.state = recorder.state._replace(members=Map({("legal", "PJSIP/8002"): known}))
    await recorder.resync(peer)  # type: ignore[arg-type]
    assert list(recorder.state.calls) == ["9.1"]  # adopted in the queue, by its account code
    assert set(recorder.state.members) == {("legal", "PJSIP/8002")}
    await eventually(lambda: ("legal", "PJSIP/8001") in recorder.state.members, timeout=5, what="members")
    assert set(recorder.state.members) == {("legal", "PJSIP/8001")}
    assert peer.timeouts == [30.0, 30.0]


def test_a_callback_is_a_call_record_of_its_own_from_the_lawyers_channel() -> None:
    """The lawyer answers (HotlineCallbackStarted on their channel, whose linkedid the originate
    fixed), the citizen answers (HotlineCallbackAnswered on theirs), the lawyer hangs up."""
    started = _user_event(
        "HotlineCallbackStarted",
        "95.1",
        "95.1",
        HotlineTicket="12348-20261127-0001",
        HotlineNumber="13905770123",
        HotlineLawyer="8001",
    )
    recording = _user_event("HotlineRecording", "95.1", "95.1", HotlineFile="20261127/95.1")
    answered = _user_event("HotlineCallbackAnswered", "95.2", "95.1", HotlineTicket="12348-20261127-0001")
    assert isinstance(started, ev.CallbackStarted) and isinstance(answered, ev.CallbackAnswered)
    state, effects = reduce_all(LiveState(), [started, recording, answered])
    call = effects[-1].call
    assert (call.direction, call.caller, call.lawyer, call.recording_file) == (
        "callback",
        "13905770123",
        "8001",
        "20261127/95.1",
    )
    assert call.answered_at == answered.timestamp
    hangup = ev.ChannelHungUp(answered.timestamp + 60, "95.1", "95.1", "PJSIP/8001-0001", 16)
    _state, effects = reduce(state, hangup)
    ended = effects[-1].call
    assert (ended.outcome, ended.talk_seconds, ended.queue) == ("answered", 60, None)
    # Not answered: not an abandoned call (nobody waited for the hotline).
    _state, effects = reduce_all(LiveState(), [started, hangup])
    assert effects[-1].call.outcome == "unanswered"
