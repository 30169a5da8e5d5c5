"""Live call state as a pure reducer: ``reduce(state, event) -> (state, effects)``.

No I/O and no clock: every time comes from the event (Asterisk's ``Timestamp`` header) or from
the caller (:func:`resync`). The same events replayed give the same state and the same effects,
which is what makes the call records idempotent.

A *call* is what a citizen's dial of 12348 starts: the inbound channel (``uniqueid == linkedid``)
entering an intake context, plus every channel Asterisk links to it (the lawyer's leg, a third
party). The call ends when the citizen's channel hangs up.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from types import MappingProxyType
from typing import Literal, TypeVar

from hotline.ami import events as ev

Outcome = Literal["answered", "abandoned", "voicemail"]
K = TypeVar("K")
V = TypeVar("V")

INTAKE_CONTEXTS = frozenset({"from-citizens"})


@dataclass(frozen=True, slots=True)
class CallProgress:
    """Everything known about one call so far."""

    linkedid: str
    caller: str | None = None
    started_at: float | None = None
    queue: str | None = None
    queued_at: float | None = None
    answered_at: float | None = None
    lawyer: str | None = None
    ended_at: float | None = None
    wait_seconds: int | None = None
    talk_seconds: int | None = None
    rating: int | None = None
    recording_file: str | None = None
    voicemail_file: str | None = None
    left_queue_at: float | None = None

    @property
    def outcome(self) -> Outcome | None:
        return classify(self)


def classify(call: CallProgress) -> Outcome | None:
    """The outcome of an ended call; ``None`` while it goes on."""
    if call.ended_at is None:
        return None
    if call.answered_at is not None:
        return "answered"
    if call.voicemail_file is not None:
        return "voicemail"
    return "abandoned"


@dataclass(frozen=True, slots=True)
class Channel:
    uniqueid: str
    linkedid: str
    name: str
    caller: str | None


@dataclass(frozen=True, slots=True)
class QueueCaller:
    uniqueid: str
    linkedid: str
    queue: str
    caller: str | None
    joined_at: float


@dataclass(frozen=True, slots=True)
class QueueMember:
    queue: str
    interface: str
    member_name: str
    status: int
    paused: bool
    paused_reason: str
    in_call: bool
    calls_taken: int


@dataclass(frozen=True, slots=True)
class LiveState:
    channels: Mapping[str, Channel] = field(default_factory=lambda: MappingProxyType({}))
    calls: Mapping[str, CallProgress] = field(default_factory=lambda: MappingProxyType({}))
    queue_callers: Mapping[str, QueueCaller] = field(default_factory=lambda: MappingProxyType({}))
    members: Mapping[tuple[str, str], QueueMember] = field(default_factory=lambda: MappingProxyType({}))


# --- effects ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CallChanged:
    """The call's record must now hold ``call`` (written idempotently, keyed by linkedid)."""

    call: CallProgress


Effect = CallChanged


def _with(mapping: Mapping[K, V], key: K, value: V) -> Mapping[K, V]:
    copy = dict(mapping)
    copy[key] = value
    return MappingProxyType(copy)


def _without(mapping: Mapping[K, V], key: K) -> Mapping[K, V]:
    if key not in mapping:
        return mapping
    copy = dict(mapping)
    del copy[key]
    return MappingProxyType(copy)


def _update_call(state: LiveState, call: CallProgress) -> tuple[LiveState, list[Effect]]:
    if state.calls.get(call.linkedid) == call:
        return state, []
    calls = (
        _without(state.calls, call.linkedid)
        if call.ended_at is not None
        else _with(state.calls, call.linkedid, call)
    )
    return replace(state, calls=calls), [CallChanged(call)]


def _caller_call(state: LiveState, uniqueid: str, linkedid: str) -> CallProgress | None:
    """The call whose citizen channel this is (only the citizen's channel moves a call along)."""
    if uniqueid != linkedid:
        return None
    return state.calls.get(linkedid)


def reduce(state: LiveState, event: ev.Event) -> tuple[LiveState, list[Effect]]:
    """Apply one event; return the new state and what must be persisted."""
    if isinstance(event, ev.ChannelCreated):
        channel = Channel(event.uniqueid, event.linkedid, event.channel, event.caller)
        state = replace(state, channels=_with(state.channels, event.uniqueid, channel))
        if (
            event.uniqueid == event.linkedid
            and event.context in INTAKE_CONTEXTS
            and event.linkedid not in state.calls
        ):
            return _update_call(
                state, CallProgress(linkedid=event.linkedid, caller=event.caller, started_at=event.timestamp)
            )
        return state, []

    if isinstance(event, ev.ChannelHungUp):
        state = replace(
            state,
            channels=_without(state.channels, event.uniqueid),
            queue_callers=_without(state.queue_callers, event.uniqueid),
        )
        call = _caller_call(state, event.uniqueid, event.linkedid)
        if call is None:
            return state, []
        wait = call.wait_seconds
        if wait is None and call.queued_at is not None:
            wait = round((call.left_queue_at or event.timestamp) - call.queued_at)
        talk = call.talk_seconds
        if talk is None and call.answered_at is not None:
            talk = round(event.timestamp - call.answered_at)
        return _update_call(
            state, replace(call, ended_at=event.timestamp, wait_seconds=wait, talk_seconds=talk)
        )

    if isinstance(event, ev.QueueCallerJoined):
        entry = QueueCaller(event.uniqueid, event.linkedid, event.queue, event.caller, event.timestamp)
        state = replace(state, queue_callers=_with(state.queue_callers, event.uniqueid, entry))
        call = _caller_call(state, event.uniqueid, event.linkedid)
        if call is None:
            return state, []
        return _update_call(
            state, replace(call, queue=event.queue, queued_at=call.queued_at or event.timestamp)
        )

    if isinstance(event, ev.QueueCallerLeft):
        state = replace(state, queue_callers=_without(state.queue_callers, event.uniqueid))
        call = _caller_call(state, event.uniqueid, event.linkedid)
        if call is None or call.left_queue_at is not None:
            return state, []
        return _update_call(state, replace(call, left_queue_at=event.timestamp))

    if isinstance(event, ev.QueueCallerAbandoned):
        call = _caller_call(state, event.uniqueid, event.linkedid)
        if call is None:
            return state, []
        return _update_call(state, replace(call, wait_seconds=event.hold_time))

    if isinstance(event, ev.AgentConnected):
        call = _caller_call(state, event.uniqueid, event.linkedid)
        if call is None:
            return state, []
        return _update_call(
            state,
            replace(
                call,
                answered_at=call.answered_at or event.timestamp,
                lawyer=event.member_name,
                queue=event.queue,
                wait_seconds=event.hold_time,
            ),
        )

    if isinstance(event, ev.AgentCompleted):
        call = _caller_call(state, event.uniqueid, event.linkedid)
        if call is None:
            return state, []
        # Also back-fills what a missed AgentConnect would have said (e.g. after an AMI outage).
        return _update_call(
            state,
            replace(
                call,
                lawyer=call.lawyer or event.member_name,
                queue=call.queue or event.queue,
                answered_at=call.answered_at or (event.timestamp - event.talk_time),
                wait_seconds=event.hold_time,
                talk_seconds=event.talk_time,
            ),
        )

    if isinstance(event, ev.QueueMemberChanged):
        key = (event.queue, event.interface)
        if event.removed:
            return replace(state, members=_without(state.members, key)), []
        member = QueueMember(
            event.queue,
            event.interface,
            event.member_name,
            event.status,
            event.paused,
            event.paused_reason,
            event.in_call,
            event.calls_taken,
        )
        return replace(state, members=_with(state.members, key, member)), []

    if isinstance(event, ev.RecordingStarted | ev.VoicemailStarted | ev.CallerRated | ev.IntakeStarted):
        call = _caller_call(state, event.uniqueid, event.linkedid)
        if call is None:
            return state, []
        if isinstance(event, ev.RecordingStarted):
            return _update_call(state, replace(call, recording_file=event.file))
        if isinstance(event, ev.VoicemailStarted):
            return _update_call(state, replace(call, voicemail_file=event.file))
        if isinstance(event, ev.CallerRated):
            return _update_call(state, replace(call, rating=event.rating))
        return _update_call(state, replace(call, caller=call.caller or event.caller))

    return state, []


def reduce_all(state: LiveState, events: Iterable[ev.Event]) -> tuple[LiveState, list[Effect]]:
    effects: list[Effect] = []
    for event in events:
        state, new = reduce(state, event)
        effects.extend(new)
    return state, effects


# --- snapshots (after every (re)connect) --------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Snapshot:
    taken_at: float
    channels: tuple[ev.ChannelSnapshot, ...]
    queue_entries: tuple[ev.QueueEntrySnapshot, ...]
    members: tuple[ev.QueueMemberSnapshot, ...]


def resync(state: LiveState, snapshot: Snapshot) -> tuple[LiveState, list[Effect]]:
    """Rebuild live state from Asterisk's snapshot after a (re)connect.

    Calls we knew that have no channel any more ended while we were away; calls Asterisk has that
    we did not know started while we were away (their start is estimated from the channel's age).
    """
    live_ids = {channel.uniqueid for channel in snapshot.channels}
    channels = {c.uniqueid: Channel(c.uniqueid, c.linkedid, c.name, c.caller) for c in snapshot.channels}
    linkedids = {c.uniqueid: c.linkedid for c in snapshot.channels}
    queue_callers = {
        q.uniqueid: QueueCaller(
            q.uniqueid,
            linkedids.get(q.uniqueid, q.uniqueid),
            q.queue,
            q.caller,
            snapshot.taken_at - q.wait_seconds,
        )
        for q in snapshot.queue_entries
    }
    members = {
        (m.queue, m.interface): QueueMember(
            m.queue, m.interface, m.member_name, m.status, m.paused, m.paused_reason, m.in_call, m.calls_taken
        )
        for m in snapshot.members
    }
    effects: list[Effect] = []
    calls: dict[str, CallProgress] = {}
    for linkedid, call in state.calls.items():
        if linkedid in live_ids:
            calls[linkedid] = call
            continue
        ended = replace(call, ended_at=snapshot.taken_at)
        effects.append(CallChanged(ended))
    for channel in snapshot.channels:
        if channel.uniqueid != channel.linkedid or channel.linkedid in calls:
            continue
        if channel.context not in INTAKE_CONTEXTS:
            continue
        started = CallProgress(
            linkedid=channel.linkedid,
            caller=channel.caller,
            started_at=snapshot.taken_at - channel.duration_seconds,
        )
        entry = queue_callers.get(channel.uniqueid)
        if entry is not None:
            started = replace(started, queue=entry.queue, queued_at=entry.joined_at)
        calls[channel.linkedid] = started
        effects.append(CallChanged(started))
    new_state = LiveState(
        channels=MappingProxyType(channels),
        calls=MappingProxyType(calls),
        queue_callers=MappingProxyType(queue_callers),
        members=MappingProxyType(members),
    )
    return new_state, effects
