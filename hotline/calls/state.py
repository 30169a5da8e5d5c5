"""Live call state as a pure reducer: ``reduce(state, event) -> (state, effects)``.

No I/O and no clock: every time comes from the event (Asterisk's ``Timestamp`` header) or from
the caller (:func:`resync`). The same events replayed give the same state and the same effects,
which is what makes the call records idempotent.

A *call* is what a citizen's dial of 12348 starts: the inbound channel (``uniqueid == linkedid``)
entering an intake context, plus every channel Asterisk links to it (the lawyer's leg, a third
party). The call ends when the citizen's channel hangs up. A call whose Newchannel was refused as
malformed is adopted from the dialplan's intake event (``HotlineIntake``), which follows it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, Literal, NamedTuple, TypeVar

from immutables import Map

from hotline.ami import events as ev

# unanswered: a callback the citizen did not answer (the hotline called; nobody was lost).
# callback-queued: the caller pressed 1 to keep their place and be called back, and hung up; the
# callback's answer makes the call answered.
Outcome = Literal["answered", "transferred", "voicemail", "abandoned", "unanswered", "callback-queued"]
K = TypeVar("K")
V = TypeVar("V")

# The contexts a citizen's call starts in: the phone trunk's and the video consultations'.
INTAKE_CONTEXTS = frozenset({"from-citizens", "hotline-video"})
# The account code of every channel that arrives through the citizens' endpoint (pjsip.conf).
CITIZEN_ACCOUNT = "hotline-citizen"


class CallProgress(NamedTuple):
    """Everything known about one call so far (a NamedTuple: immutable and cheap to update)."""

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
    language: str | None = None
    topic: str | None = None
    ivr_path: str | None = None
    transferred_to: str | None = None
    media: str | None = None
    direction: str | None = None
    callback_queued_at: float | None = None

    @property
    def outcome(self) -> Outcome | None:
        return classify(self)


def classify(call: CallProgress) -> Outcome | None:
    """The outcome of an ended call; ``None`` while it goes on."""
    if call.ended_at is None:
        return None
    if call.answered_at is not None:
        return "answered"
    if call.transferred_to is not None:
        return "transferred"
    if call.voicemail_file is not None:
        return "voicemail"
    if call.direction == "callback":
        return "unanswered"
    if call.callback_queued_at is not None:
        return "callback-queued"
    return "abandoned"


class Channel(NamedTuple):
    uniqueid: str
    linkedid: str
    name: str
    caller: str | None


class QueueCaller(NamedTuple):
    uniqueid: str
    linkedid: str
    queue: str
    caller: str | None
    joined_at: float


# A queue member is kept as Asterisk reports it, in an event or in the QueueStatus answer.
QueueMember = ev.QueueMember


class Offer(NamedTuple):
    """A queued caller ringing a lawyer's phone."""

    interface: str
    member_name: str
    uniqueid: str
    linkedid: str
    queue: str
    caller: str | None
    since: float


class Leg(NamedTuple):
    """A lawyer's channel bridged with a caller by a queue."""

    channel: str
    member_name: str
    linkedid: str
    queue: str
    since: float


class LiveState(NamedTuple):
    """Live channels, calls, queue callers and members, ringing offers and lawyers' legs;
    replaced, never changed in place.

    The maps are persistent hash maps (``immutables.Map``): an update shares the unchanged part
    instead of copying a dict, so a reducer step costs the same with 10 or 1,000 live channels."""

    channels: Map[str, Channel] = Map()
    calls: Map[str, CallProgress] = Map()
    queue_callers: Map[str, QueueCaller] = Map()
    members: Map[tuple[str, str], QueueMember] = Map()
    # Keyed by the ringing interface (PJSIP/8001).
    offers: Map[str, Offer] = Map()
    # Keyed by the lawyer's channel name.
    legs: Map[str, Leg] = Map()


# --- effects ------------------------------------------------------------------------------------


class CallChanged(NamedTuple):
    """The call's record must now hold ``call`` (written idempotently, keyed by linkedid)."""

    call: CallProgress


Effect = CallChanged


def _with(mapping: Map[K, V], key: K, value: V) -> Map[K, V]:
    return mapping.set(key, value)


def _without(mapping: Map[K, V], key: K) -> Map[K, V]:
    return mapping.delete(key) if key in mapping else mapping


def _update_call(state: LiveState, call: CallProgress) -> tuple[LiveState, list[Effect]]:
    if state.calls.get(call.linkedid) == call:
        return state, []
    calls = (
        _without(state.calls, call.linkedid)
        if call.ended_at is not None
        else _with(state.calls, call.linkedid, call)
    )
    return state._replace(calls=calls), [CallChanged(call)]


def _caller_call(state: LiveState, uniqueid: str, linkedid: str) -> CallProgress | None:
    """The call whose citizen channel this is (only the citizen's channel moves a call along)."""
    if uniqueid != linkedid:
        return None
    return state.calls.get(linkedid)


Result = tuple[LiveState, list[Effect]]


def _channel_created(state: LiveState, event: ev.ChannelCreated) -> Result:
    channel = Channel(event.uniqueid, event.linkedid, event.channel, event.caller)
    state = state._replace(channels=_with(state.channels, event.uniqueid, channel))
    if (
        event.uniqueid == event.linkedid
        and event.context in INTAKE_CONTEXTS
        and event.linkedid not in state.calls
    ):
        return _update_call(
            state, CallProgress(linkedid=event.linkedid, caller=event.caller, started_at=event.timestamp)
        )
    return state, []


def _without_offers_of(offers: Map[str, Offer], uniqueid: str) -> Map[str, Offer]:
    """``offers`` without those of the caller ``uniqueid`` (rare: skip the copy when there are none)."""
    stale = [interface for interface, offer in offers.items() if offer.uniqueid == uniqueid]
    if not stale:
        return offers
    changed = offers.mutate()
    for interface in stale:
        del changed[interface]
    return changed.finish()


def _channel_hung_up(state: LiveState, event: ev.ChannelHungUp) -> Result:
    state = state._replace(
        channels=_without(state.channels, event.uniqueid),
        queue_callers=_without(state.queue_callers, event.uniqueid),
        legs=_without(state.legs, event.channel),
    )
    if state.offers:
        state = state._replace(offers=_without_offers_of(state.offers, event.uniqueid))
    call = _caller_call(state, event.uniqueid, event.linkedid)
    if call is None:
        return state, []
    wait = call.wait_seconds
    if wait is None and call.queued_at is not None:
        wait = round((call.left_queue_at or event.timestamp) - call.queued_at)
    talk = call.talk_seconds
    if talk is None and call.answered_at is not None:
        talk = round(event.timestamp - call.answered_at)
    return _update_call(state, call._replace(ended_at=event.timestamp, wait_seconds=wait, talk_seconds=talk))


def _queue_caller_joined(state: LiveState, event: ev.QueueCallerJoined) -> Result:
    entry = QueueCaller(event.uniqueid, event.linkedid, event.queue, event.caller, event.timestamp)
    state = state._replace(queue_callers=_with(state.queue_callers, event.uniqueid, entry))
    call = _caller_call(state, event.uniqueid, event.linkedid)
    if call is None:
        return state, []
    return _update_call(state, call._replace(queue=event.queue, queued_at=call.queued_at or event.timestamp))


def _queue_caller_left(state: LiveState, event: ev.QueueCallerLeft) -> Result:
    state = state._replace(
        queue_callers=_without(state.queue_callers, event.uniqueid),
        offers=_without_offers_of(state.offers, event.uniqueid),
    )
    call = _caller_call(state, event.uniqueid, event.linkedid)
    if call is None or call.left_queue_at is not None:
        return state, []
    return _update_call(state, call._replace(left_queue_at=event.timestamp))


def _queue_caller_abandoned(state: LiveState, event: ev.QueueCallerAbandoned) -> Result:
    call = _caller_call(state, event.uniqueid, event.linkedid)
    if call is None:
        return state, []
    return _update_call(state, call._replace(wait_seconds=event.hold_time))


def _agent_called(state: LiveState, event: ev.AgentCalled) -> Result:
    offer = Offer(
        event.interface,
        event.member_name,
        event.uniqueid,
        event.linkedid,
        event.queue,
        event.caller,
        event.timestamp,
    )
    return state._replace(offers=_with(state.offers, event.interface, offer)), []


def _agent_ring_stopped(state: LiveState, event: ev.AgentRingStopped) -> Result:
    offer = state.offers.get(event.interface)
    if offer is None or offer.uniqueid != event.uniqueid:
        return state, []
    return state._replace(offers=_without(state.offers, event.interface)), []


def _agent_connected(state: LiveState, event: ev.AgentConnected) -> Result:
    state = state._replace(offers=_without_offers_of(state.offers, event.uniqueid))
    if event.lawyer_channel:
        leg = Leg(event.lawyer_channel, event.member_name, event.linkedid, event.queue, event.timestamp)
        state = state._replace(legs=_with(state.legs, event.lawyer_channel, leg))
    call = _caller_call(state, event.uniqueid, event.linkedid)
    if call is None:
        return state, []
    return _update_call(
        state,
        call._replace(
            answered_at=call.answered_at or event.timestamp,
            lawyer=event.member_name,
            queue=event.queue,
            wait_seconds=event.hold_time,
        ),
    )


def _agent_completed(state: LiveState, event: ev.AgentCompleted) -> Result:
    if event.uniqueid is None:
        # Asterisk left out the caller's snapshot, their channel being gone: the call is found by
        # the linkedid of the lawyer's leg (only citizens' calls wait in a queue). Such an event
        # follows the caller's hangup, so the call has mostly ended already, with what AgentConnect
        # and the hangup said (the talk time measured up to the hangup) in its record.
        call = state.calls.get(event.linkedid)
    else:
        call = _caller_call(state, event.uniqueid, event.linkedid)
    if call is None:
        return state, []
    # Also back-fills what a missed AgentConnect would have said (e.g. after an AMI outage).
    return _update_call(
        state,
        call._replace(
            lawyer=call.lawyer or event.member_name,
            queue=call.queue or event.queue,
            answered_at=call.answered_at or (event.timestamp - event.talk_time),
            wait_seconds=event.hold_time,
            talk_seconds=event.talk_time,
        ),
    )


def _queue_member_changed(state: LiveState, event: ev.QueueMemberChanged) -> Result:
    member = event.member
    key = (member.queue, member.interface)
    if event.removed:
        return state._replace(members=_without(state.members, key)), []
    return state._replace(members=_with(state.members, key, member)), []


def _recording_started(state: LiveState, event: ev.RecordingStarted) -> Result:
    call = _caller_call(state, event.uniqueid, event.linkedid)
    return (state, []) if call is None else _update_call(state, call._replace(recording_file=event.file))


def _voicemail_started(state: LiveState, event: ev.VoicemailStarted) -> Result:
    call = _caller_call(state, event.uniqueid, event.linkedid)
    return (state, []) if call is None else _update_call(state, call._replace(voicemail_file=event.file))


def _caller_rated(state: LiveState, event: ev.CallerRated) -> Result:
    call = _caller_call(state, event.uniqueid, event.linkedid)
    return (state, []) if call is None else _update_call(state, call._replace(rating=event.rating))


def _route_chosen(state: LiveState, event: ev.RouteChosen) -> Result:
    call = _caller_call(state, event.uniqueid, event.linkedid)
    if call is None:
        return state, []
    return _update_call(
        state,
        call._replace(
            language=event.language or call.language,
            topic=event.topic or call.topic,
            ivr_path=event.path or call.ivr_path,
            media=event.media or call.media,
        ),
    )


def _call_transferred(state: LiveState, event: ev.CallTransferred) -> Result:
    # Sent from the outside line's channel: the call is found by its linkedid.
    call = state.calls.get(event.linkedid)
    return (state, []) if call is None else _update_call(state, call._replace(transferred_to=event.target))


def _callback_started(state: LiveState, event: ev.CallbackStarted) -> Result:
    """A callback's call: the lawyer's channel (the originate fixed its linkedid), to the citizen."""
    if event.uniqueid != event.linkedid or event.linkedid in state.calls:
        return state, []
    call = CallProgress(
        linkedid=event.linkedid,
        caller=event.number,
        started_at=event.timestamp,
        lawyer=event.lawyer or None,
        direction="callback",
    )
    return _update_call(state, call)


def _callback_answered(state: LiveState, event: ev.CallbackAnswered) -> Result:
    # Sent from the citizen's channel: the call is found by its linkedid.
    call = state.calls.get(event.linkedid)
    if call is None or call.answered_at is not None:
        return state, []
    return _update_call(state, call._replace(answered_at=event.timestamp))


def _callback_queued(state: LiveState, event: ev.QueuedCallbackRequested) -> Result:
    """The caller pressed 1 while waiting: their place is kept and they will be called back."""
    call = _caller_call(state, event.uniqueid, event.linkedid)
    if call is None or call.callback_queued_at is not None:
        return state, []
    return _update_call(state, call._replace(callback_queued_at=event.timestamp))


def _intake_started(state: LiveState, event: ev.IntakeStarted) -> Result:
    """The dialplan's intake, sent once the dialplan has cleaned the caller ID: its number is the
    call's. It also adopts a call whose Newchannel never arrived intact (text injected through the
    caller ID split or doubled its headers, see hotline.ami.framing): such a call starts here."""
    if event.uniqueid != event.linkedid:
        return state, []
    call = state.calls.get(event.linkedid)
    if call is None:
        adopted = CallProgress(linkedid=event.linkedid, caller=event.caller, started_at=event.timestamp)
        return _update_call(state, adopted)
    if event.caller is None or event.caller == call.caller:
        return state, []
    return _update_call(state, call._replace(caller=event.caller))


def _ignore(state: LiveState, _event: Any) -> Result:
    return state, []


# The transition table: one function per event type.
_TRANSITIONS: dict[type, Callable[[LiveState, Any], Result]] = {
    ev.ChannelCreated: _channel_created,
    ev.ChannelHungUp: _channel_hung_up,
    ev.QueueCallerJoined: _queue_caller_joined,
    ev.QueueCallerLeft: _queue_caller_left,
    ev.QueueCallerAbandoned: _queue_caller_abandoned,
    ev.AgentCalled: _agent_called,
    ev.AgentRingStopped: _agent_ring_stopped,
    ev.AgentConnected: _agent_connected,
    ev.AgentCompleted: _agent_completed,
    ev.QueueMemberChanged: _queue_member_changed,
    ev.RecordingStarted: _recording_started,
    ev.VoicemailStarted: _voicemail_started,
    ev.CallerRated: _caller_rated,
    ev.IntakeStarted: _intake_started,
    ev.RouteChosen: _route_chosen,
    ev.CallTransferred: _call_transferred,
    ev.CallbackStarted: _callback_started,
    ev.CallbackAnswered: _callback_answered,
    ev.QueuedCallbackRequested: _callback_queued,
}


def reduce(state: LiveState, event: ev.Event) -> Result:
    """Apply one event; return the new state and what must be persisted."""
    return _TRANSITIONS.get(type(event), _ignore)(state, event)


def reduce_all(state: LiveState, events: Iterable[ev.Event]) -> tuple[LiveState, list[Effect]]:
    effects: list[Effect] = []
    for event in events:
        state, new = reduce(state, event)
        effects.extend(new)
    return state, effects


# --- snapshots (after every (re)connect) --------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Snapshot:
    """What Asterisk says after a (re)connect: live channels, queue callers and queue members
    (``None``: not known this time, keep those known before)."""

    taken_at: float
    channels: tuple[ev.ChannelSnapshot, ...]
    queue_entries: tuple[ev.QueueEntrySnapshot, ...]
    members: tuple[QueueMember, ...] | None


def is_citizen_call(channel: ev.ChannelSnapshot) -> bool:
    """Whether a live channel is a citizen's call to the hotline, wherever it is in the dialplan
    now: the citizen's own channel (it started the call), arrived through the citizens' endpoint
    (its account code) or still in the intake."""
    if channel.uniqueid != channel.linkedid:
        return False
    return channel.account_code == CITIZEN_ACCOUNT or channel.context in INTAKE_CONTEXTS


_PHONE_CHANNEL = re.compile(r"^PJSIP/([0-9]+)-")


def _lawyers_talking(snapshot: Snapshot) -> dict[str, tuple[str, float]]:
    """By linkedid: the first lawyer whose phone is bridged in the call (extension, channel's start)."""
    found: dict[str, tuple[str, float]] = {}
    for channel in snapshot.channels:
        if channel.uniqueid == channel.linkedid or not channel.bridge_id or channel.linkedid in found:
            continue
        if (match := _PHONE_CHANNEL.match(channel.name)) is not None:
            found[channel.linkedid] = (match.group(1), snapshot.taken_at - channel.duration_seconds)
    return found


def members_of(members: Iterable[QueueMember]) -> Map[tuple[str, str], QueueMember]:
    return Map({(m.queue, m.interface): m for m in members})


def resync(state: LiveState, snapshot: Snapshot) -> tuple[LiveState, list[Effect]]:
    """Rebuild live state from Asterisk's snapshot after a (re)connect.

    Calls we knew that have no channel any more ended while we were away (at the latest when the
    snapshot was taken; Asterisk's summary of each, merged by hotline.calls.follower, says exactly
    when and what happened). Citizens' calls Asterisk has that we did not know started while we
    were away, wherever they are in the dialplan now: they are adopted (their start estimated from
    the channel's age, their summary completes them when they end).
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
    members = state.members if snapshot.members is None else members_of(snapshot.members)
    effects: list[Effect] = []
    calls: dict[str, CallProgress] = {}
    for linkedid, call in state.calls.items():
        if linkedid in live_ids:
            calls[linkedid] = call
            continue
        effects.append(CallChanged(call._replace(ended_at=snapshot.taken_at)))
    for channel in snapshot.channels:
        if channel.linkedid in calls or not is_citizen_call(channel):
            continue
        started = CallProgress(
            linkedid=channel.linkedid,
            caller=channel.caller,
            started_at=snapshot.taken_at - channel.duration_seconds,
        )
        entry = queue_callers.get(channel.uniqueid)
        if entry is not None:
            started = started._replace(queue=entry.queue, queued_at=entry.joined_at)
        calls[channel.linkedid] = started
        effects.append(CallChanged(started))
    talking_lawyers = _lawyers_talking(snapshot)
    for linkedid, call in list(calls.items()):
        if call.lawyer is None and (talking := talking_lawyers.get(linkedid)) is not None:
            # Answered while we were away: who answered, and when at the latest (the lawyer's
            # channel is as old as the ringing); the summary says exactly when the call ends.
            lawyer, since = talking
            calls[linkedid] = call = call._replace(lawyer=lawyer, answered_at=call.answered_at or since)
            effects.append(CallChanged(call))
    legs = {
        channel.name: Leg(
            channel.name,
            known.lawyer,
            channel.linkedid,
            known.queue or "",
            known.answered_at or snapshot.taken_at - channel.duration_seconds,
        )
        for channel in snapshot.channels
        if (known := calls.get(channel.linkedid)) is not None
        and known.lawyer
        and channel.uniqueid != channel.linkedid
        and channel.name.startswith(f"PJSIP/{known.lawyer}-")
    }
    new_state = LiveState(
        channels=Map(channels),
        calls=Map(calls),
        queue_callers=Map(queue_callers),
        members=members,
        legs=Map(legs),
    )
    return new_state, effects
