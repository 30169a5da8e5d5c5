"""AMI messages decoded into typed, immutable events.

Pure code: headers in, events out, no I/O. A header the event must carry but does not is a
:class:`MalformedEvent` (never an empty string). Events the controller does not use decode to
``None``; :data:`SUBSCRIBED_EVENTS` is also what manager.conf's event filter lets through.

Asterisk copies caller numbers into events unescaped, so text from a SIP From user can add header
lines to an event or end it and start another (see hotline.ami.framing). Hence three rules:

* a message the framing marked damaged (a header repeated in any spelling, a line that is not a
  header) is malformed as a whole, and so is any header given twice: none of its values is trusted;
* an event about a channel must carry the head of Asterisk's channel snapshot (``Privilege``,
  ``ChannelState``, ``ChannelStateDesc``, ``CallerIDNum``), which every real one does: the part of
  an event split after the caller number lacks it, and forging it does not fit in the 79 characters
  Asterisk keeps of a caller number;
* ``AgentComplete`` is the one event Asterisk 22 sends without a channel's snapshot: app_queue
  takes the caller's and the queue member's from the snapshot cache when the call ends, and leaves
  out the snapshot of a channel that is gone by then (under load, a caller who hung up). Each
  snapshot is there whole or not at all; one that is there must hold its head and, after its
  numbers, its ``Channel``, ``Uniqueid`` and ``Linkedid``: a snapshot cut by a split lacks one end.
  Its fields of a missing snapshot decode to ``None``;
* caller numbers are reduced to ``[+]digits`` (hotline.ami.caller_id) as they are decoded.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, NamedTuple

from hotline.addresses import parse_ip
from hotline.ami.caller_id import clean_number
from hotline.ami.framing import DAMAGE
from hotline.errors import HotlineError

# Lower-case header name -> (header name as sent, value); a repeated header's value is a list.
Headers = Mapping[str, tuple[str, object]]


class MalformedEvent(HotlineError):
    """The peer (Asterisk) sent something we cannot decode."""

    def __init__(self, message: str, **details: object) -> None:
        super().__init__("ami-malformed-event", message, status=502, details=dict(details))


def _text(headers: Headers, key: str, event: str) -> str:
    pair = headers.get(key)
    value = None if pair is None else pair[1]
    if type(value) is str:  # the hot path: one lookup, one type check
        return value
    if value is None:
        raise MalformedEvent(f"AMI event {event} lacks the {key!r} header", event=event, header=key)
    if isinstance(value, list):
        raise MalformedEvent(f"AMI event {event} repeats the {key!r} header", event=event, header=key)
    return str(value)


def _optional(headers: Headers, key: str) -> str | None:
    pair = headers.get(key)
    value = None if pair is None else pair[1]
    if type(value) is str or value is None:
        return value
    if isinstance(value, list):
        raise MalformedEvent(f"AMI message repeats the {key!r} header", header=key)
    return None


def _int(headers: Headers, key: str, event: str) -> int:
    value = _text(headers, key, event)
    try:
        return int(value)
    except ValueError:
        raise MalformedEvent(f"AMI event {event}: {key}={value!r} is not a number", event=event) from None


def _timestamp(headers: Headers, event: str) -> float:
    pair = headers.get("timestamp")
    value = _text(headers, "timestamp", event) if pair is None else pair[1]
    try:
        return float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise MalformedEvent(f"AMI event {event}: Timestamp={value!r} is not a time", event=event) from None


def _number(value: str | None) -> str | None:
    return clean_number(value)


def _intact(headers: Headers, name: str) -> None:
    """Refuse a message the framing found damaged (see hotline.ami.framing)."""
    damage = headers.get(DAMAGE)
    if damage is not None:
        problems = damage[1] if isinstance(damage[1], list) else [damage[1]]
        raise MalformedEvent(
            f"AMI message {name} is damaged ({'; '.join(map(str, problems))}): "
            "text injected through a caller ID? Nothing in it is used.",
            event=name,
            problems=problems,
        )


# The head of the channel snapshot in every event about a channel, before the caller number.
_SNAPSHOT_HEAD = ("privilege", "channelstate", "channelstatedesc", "calleridnum")


def _privileged(headers: Headers, name: str) -> None:
    if "privilege" not in headers:
        raise MalformedEvent(
            f"AMI event {name} lacks the 'privilege' header of its channel snapshot "
            "(the part of an event split by text injected through a caller ID?)",
            event=name,
            header="privilege",
        )


# Every header of a channel snapshot (Asterisk's ast_manager_build_channel_state_string_prefix);
# what one that is there must hold: its head, before its caller numbers, and its channel's identity,
# after them.
_SNAPSHOT_FIELDS = (
    "channel",
    "channelstate",
    "channelstatedesc",
    "calleridnum",
    "calleridname",
    "connectedlinenum",
    "connectedlinename",
    "language",
    "accountcode",
    "context",
    "exten",
    "priority",
    "uniqueid",
    "linkedid",
)
_SNAPSHOT_ENDS = ("channelstate", "channelstatedesc", "calleridnum", "channel", "uniqueid", "linkedid")
_SNAPSHOT_OWNERS = {"": "caller's", "dest": "queue member's"}


def _has_snapshot(headers: Headers, name: str, prefix: str) -> bool:
    """Whether the event carries the channel snapshot whose headers begin with ``prefix`` (``""``:
    the caller's, ``"dest"``: the queue member's). Asterisk leaves a snapshot out as a whole; one
    that is there only in part is the piece of an event split by text injected through a caller
    number, and the event is malformed."""
    if not any(prefix + key in headers for key in _SNAPSHOT_FIELDS):
        return False
    for key in _SNAPSHOT_ENDS:
        if prefix + key not in headers:
            raise MalformedEvent(
                f"AMI event {name} lacks the {prefix + key!r} header of the {_SNAPSHOT_OWNERS[prefix]} "
                "channel snapshot it carries (the part of an event split by text injected through a "
                "caller ID?)",
                event=name,
                header=prefix + key,
            )
    return True


def _whole_snapshot(headers: Headers, name: str) -> None:
    for key in _SNAPSHOT_HEAD:
        if key not in headers:
            raise MalformedEvent(
                f"AMI event {name} lacks the {key!r} header of its channel snapshot "
                "(the part of an event split by text injected through a caller ID?)",
                event=name,
                header=key,
            )


def _of_a_channel(decoder: Callable[[Headers], Event | None]) -> Callable[[Headers], Event | None]:
    """``decoder`` for an event about a channel: it must carry its whole channel snapshot."""

    def decode_channel_event(h: Headers) -> Event | None:
        _whole_snapshot(h, _optional(h, "event") or "?")
        return decoder(h)

    return decode_channel_event


def _same_event(self: tuple[object, ...], other: object) -> bool:
    """Events are NamedTuples (immutable, no ``__dict__``, cheap to build on the hot path) that
    compare equal only to an event of the same type, never to a plain tuple."""
    return type(self) is type(other) and tuple.__eq__(self, other)


def _different_event(self: tuple[object, ...], other: object) -> bool:
    return not _same_event(self, other)


# --- channel events ---------------------------------------------------------------------------


class ChannelCreated(NamedTuple):
    timestamp: float
    uniqueid: str
    linkedid: str
    channel: str
    caller: str | None
    context: str
    exten: str


class ChannelHungUp(NamedTuple):
    timestamp: float
    uniqueid: str
    linkedid: str
    channel: str
    cause: int


# --- queue caller events ----------------------------------------------------------------------


class QueueCallerJoined(NamedTuple):
    timestamp: float
    uniqueid: str
    linkedid: str
    queue: str
    position: int
    caller: str | None


class QueueCallerLeft(NamedTuple):
    timestamp: float
    uniqueid: str
    linkedid: str
    queue: str


class QueueCallerAbandoned(NamedTuple):
    timestamp: float
    uniqueid: str
    linkedid: str
    queue: str
    hold_time: int


class AgentCalled(NamedTuple):
    """A lawyer's phone rings with a queued caller (the desk's screen pop)."""

    timestamp: float
    uniqueid: str
    linkedid: str
    queue: str
    member_name: str
    interface: str
    caller: str | None


class AgentRingStopped(NamedTuple):
    """The lawyer did not answer in time (AgentRingNoAnswer) or the caller went (AgentDump)."""

    timestamp: float
    uniqueid: str
    linkedid: str
    interface: str


class AgentConnected(NamedTuple):
    timestamp: float
    uniqueid: str
    linkedid: str
    queue: str
    member_name: str
    interface: str
    hold_time: int
    # The lawyer's channel (for listening in, three-way calls and transfers); None without DestChannel.
    lawyer_channel: str | None = None


class AgentCompleted(NamedTuple):
    """A queued call with a lawyer ended (or was transferred).

    ``uniqueid`` is the caller's channel, ``None`` when Asterisk left out the caller's snapshot
    (their channel was gone); ``linkedid`` is the call's, from the caller's snapshot or else from
    the queue member's (``DestLinkedid``)."""

    timestamp: float
    uniqueid: str | None
    linkedid: str
    queue: str
    member_name: str
    interface: str
    hold_time: int
    talk_time: int
    reason: str


# --- queue member events ----------------------------------------------------------------------


class QueueMemberChanged(NamedTuple):
    """A member was added, changed state, paused or resumed (``removed`` marks removal)."""

    timestamp: float
    queue: str
    interface: str
    member_name: str
    status: int
    paused: bool
    paused_reason: str
    in_call: bool
    calls_taken: int
    removed: bool
    penalty: int = 0


# --- the hotline's own dialplan events (UserEvent) --------------------------------------------


class IntakeStarted(NamedTuple):
    timestamp: float
    uniqueid: str
    linkedid: str
    caller: str | None


class RecordingStarted(NamedTuple):
    timestamp: float
    uniqueid: str
    linkedid: str
    file: str


class VoicemailStarted(NamedTuple):
    timestamp: float
    uniqueid: str
    linkedid: str
    file: str


class RouteChosen(NamedTuple):
    """The topic and language the caller chose in the flow, and the keys pressed."""

    timestamp: float
    uniqueid: str
    linkedid: str
    language: str | None
    topic: str | None
    path: str | None


class CallTransferred(NamedTuple):
    """An outside line (e.g. 12345) answered the caller; sent from that line's channel."""

    timestamp: float
    uniqueid: str
    linkedid: str
    target: str


class CallerRated(NamedTuple):
    timestamp: float
    uniqueid: str
    linkedid: str
    rating: int | None


class CallbackRated(NamedTuple):
    """The citizen's keypad rating after a callback (None: no valid key), for the ticket it belongs to."""

    timestamp: float
    uniqueid: str
    linkedid: str
    ticket: str
    rating: int | None


# --- system -------------------------------------------------------------------------------------


class FullyBooted(NamedTuple):
    """Sent on boot and, without a Timestamp, to every new AMI session."""

    timestamp: float | None


class AsteriskShutdown(NamedTuple):
    timestamp: float


# --- security (read class "security") -----------------------------------------------------------


class SecurityFailure(NamedTuple):
    """Asterisk refused someone: a wrong password (``ChallengeResponseFailed``, ``InvalidPassword``;
    guessing for an unknown name is one too) or an ACL (``FailedACL``).

    ``InvalidAccountID`` (a request naming no endpoint, no password tried) is not taken: its
    ``AccountID`` is the From user as the sender wrote it, line breaks and all, so it could carry a
    whole forged event naming another address to ban. Asterisk still logs it in messages.log, and
    such a request learns nothing (every name gets the same challenge).

    ``service`` is ``PJSIP`` for SIP requests (``AMI`` for AMI logins); ``address`` is the sender's
    IP address without port or transport."""

    timestamp: float
    kind: str
    service: str
    account: str
    address: str


Event = (
    ChannelCreated
    | ChannelHungUp
    | QueueCallerJoined
    | QueueCallerLeft
    | QueueCallerAbandoned
    | AgentCalled
    | AgentRingStopped
    | AgentConnected
    | AgentCompleted
    | QueueMemberChanged
    | IntakeStarted
    | RecordingStarted
    | VoicemailStarted
    | CallerRated
    | CallbackRated
    | RouteChosen
    | CallTransferred
    | FullyBooted
    | AsteriskShutdown
    | SecurityFailure
)


for _event_type in Event.__args__:
    # Type-aware equality for every event (see _same_event); the hash stays the tuple's.
    setattr(_event_type, "__eq__", _same_event)  # noqa: B010
    setattr(_event_type, "__ne__", _different_event)  # noqa: B010
    setattr(_event_type, "__hash__", tuple.__hash__)  # noqa: B010


def _channel_created(h: Headers) -> ChannelCreated:
    name = "Newchannel"
    return ChannelCreated(
        _timestamp(h, name),
        _text(h, "uniqueid", name),
        _text(h, "linkedid", name),
        _text(h, "channel", name),
        _number(_optional(h, "calleridnum")),
        _text(h, "context", name),
        _text(h, "exten", name),
    )


def _channel_hung_up(h: Headers) -> ChannelHungUp:
    name = "Hangup"
    return ChannelHungUp(
        _timestamp(h, name),
        _text(h, "uniqueid", name),
        _text(h, "linkedid", name),
        _text(h, "channel", name),
        _int(h, "cause", name),
    )


def _queue_caller_joined(h: Headers) -> QueueCallerJoined:
    name = "QueueCallerJoin"
    return QueueCallerJoined(
        _timestamp(h, name),
        _text(h, "uniqueid", name),
        _text(h, "linkedid", name),
        _text(h, "queue", name),
        _int(h, "position", name),
        _number(_optional(h, "calleridnum")),
    )


def _queue_caller_left(h: Headers) -> QueueCallerLeft:
    name = "QueueCallerLeave"
    return QueueCallerLeft(
        _timestamp(h, name), _text(h, "uniqueid", name), _text(h, "linkedid", name), _text(h, "queue", name)
    )


def _queue_caller_abandoned(h: Headers) -> QueueCallerAbandoned:
    name = "QueueCallerAbandon"
    return QueueCallerAbandoned(
        _timestamp(h, name),
        _text(h, "uniqueid", name),
        _text(h, "linkedid", name),
        _text(h, "queue", name),
        _int(h, "holdtime", name),
    )


def _agent_called(h: Headers) -> AgentCalled:
    name = "AgentCalled"
    return AgentCalled(
        _timestamp(h, name),
        _text(h, "uniqueid", name),
        _text(h, "linkedid", name),
        _text(h, "queue", name),
        _text(h, "membername", name),
        _text(h, "interface", name),
        _number(_optional(h, "calleridnum")),
    )


def _agent_ring_stopped(h: Headers) -> AgentRingStopped:
    name = _optional(h, "event") or "AgentRingNoAnswer"
    return AgentRingStopped(
        _timestamp(h, name),
        _text(h, "uniqueid", name),
        _text(h, "linkedid", name),
        _text(h, "interface", name),
    )


def _agent_connected(h: Headers) -> AgentConnected:
    name = "AgentConnect"
    return AgentConnected(
        _timestamp(h, name),
        _text(h, "uniqueid", name),
        _text(h, "linkedid", name),
        _text(h, "queue", name),
        _text(h, "membername", name),
        _text(h, "interface", name),
        _int(h, "holdtime", name),
        _optional(h, "destchannel") or None,
    )


def _agent_completed(h: Headers) -> AgentCompleted:
    name = "AgentComplete"
    _privileged(h, name)
    uniqueid: str | None
    if _has_snapshot(h, name, ""):
        _has_snapshot(h, name, "dest")  # the member's, when there, is whole too
        uniqueid, linkedid = _text(h, "uniqueid", name), _text(h, "linkedid", name)
    elif _has_snapshot(h, name, "dest"):
        uniqueid, linkedid = None, _text(h, "destlinkedid", name)
    else:
        raise MalformedEvent(
            f"AMI event {name} carries neither the caller's nor the queue member's channel snapshot "
            "(no 'linkedid' or 'destlinkedid' header): the call it ends cannot be told",
            event=name,
            header="linkedid",
        )
    return AgentCompleted(
        _timestamp(h, name),
        uniqueid,
        linkedid,
        _text(h, "queue", name),
        _text(h, "membername", name),
        _text(h, "interface", name),
        _int(h, "holdtime", name),
        _int(h, "talktime", name),
        _text(h, "reason", name),
    )


def _member(removed: bool) -> Callable[[Headers], QueueMemberChanged]:
    def decode(h: Headers) -> QueueMemberChanged:
        name = _optional(h, "event") or "QueueMember"
        return QueueMemberChanged(
            _timestamp(h, name),
            _text(h, "queue", name),
            _text(h, "interface", name),
            _text(h, "membername", name),
            _int(h, "status", name),
            _text(h, "paused", name) == "1",
            _optional(h, "pausedreason") or "",
            _optional(h, "incall") == "1",
            _int(h, "callstaken", name),
            removed,
            _int(h, "penalty", name) if "penalty" in h else 0,
        )

    return decode


def _user_event(h: Headers) -> Event | None:
    kind = _text(h, "userevent", "UserEvent")
    name = f"UserEvent {kind}"
    if kind not in _USER_EVENTS:
        return None
    _whole_snapshot(h, name)  # ours are all sent from a channel's dialplan
    timestamp, uniqueid, linkedid = (
        _timestamp(h, name),
        _text(h, "uniqueid", name),
        _text(h, "linkedid", name),
    )
    if kind == "HotlineIntake":
        return IntakeStarted(timestamp, uniqueid, linkedid, _number(_optional(h, "hotlinecaller")))
    if kind == "HotlineRecording":
        return RecordingStarted(timestamp, uniqueid, linkedid, _text(h, "hotlinefile", name))
    if kind == "HotlineVoicemail":
        return VoicemailStarted(timestamp, uniqueid, linkedid, _text(h, "hotlinefile", name))
    if kind == "HotlineRoute":
        path = " ".join((_optional(h, "hotlinepath") or "").split())
        return RouteChosen(
            timestamp,
            uniqueid,
            linkedid,
            _optional(h, "hotlinelanguage") or None,
            _optional(h, "hotlinetopic") or None,
            path or None,
        )
    if kind == "HotlineTransfer":
        return CallTransferred(timestamp, uniqueid, linkedid, _text(h, "hotlinetarget", name))
    raw = _text(h, "hotlinerating", name)
    if raw not in {"1", "2", "3", "4", "5", "none"}:
        raise MalformedEvent(f"{name}: rating {raw!r} is not 1-5 or 'none'", event=name)
    rating = None if raw == "none" else int(raw)
    if kind == "HotlineCallbackRating":
        return CallbackRated(timestamp, uniqueid, linkedid, _text(h, "hotlineticket", name), rating)
    return CallerRated(timestamp, uniqueid, linkedid, rating)


def remote_ip(value: str) -> str | None:
    """The IP address in a security event's ``RemoteAddress`` (``IPV4/UDP/192.0.2.7/5060``,
    ``IPV6/UDP/2001:db8::7/5060``; the transport may be missing); ``None`` when there is none."""
    parts = value.split("/")
    if len(parts) < 3 or parts[0] not in {"IPV4", "IPV6"}:
        return None
    address = parse_ip(parts[-2])
    return str(address) if address is not None else None


def _security_failure(h: Headers, name: str) -> SecurityFailure:
    raw = _text(h, "remoteaddress", name)
    address = remote_ip(raw)
    if address is None:
        raise MalformedEvent(f"AMI event {name}: RemoteAddress={raw!r} holds no IP address", event=name)
    for required in ("severity", "sessionid", "localaddress"):  # all there in Asterisk's own events
        _text(h, required, name)
    return SecurityFailure(
        _timestamp(h, name), name, _text(h, "service", name), _text(h, "accountid", name), address
    )


_USER_EVENTS = frozenset(
    {
        "HotlineIntake",
        "HotlineRecording",
        "HotlineVoicemail",
        "HotlineRating",
        "HotlineCallbackRating",
        "HotlineRoute",
        "HotlineTransfer",
    }
)

_DECODERS: dict[str, Callable[[Headers], Event | None]] = {
    "Newchannel": _of_a_channel(_channel_created),
    "Hangup": _of_a_channel(_channel_hung_up),
    "QueueCallerJoin": _of_a_channel(_queue_caller_joined),
    "QueueCallerLeave": _of_a_channel(_queue_caller_left),
    "QueueCallerAbandon": _of_a_channel(_queue_caller_abandoned),
    "AgentCalled": _of_a_channel(_agent_called),
    "AgentRingNoAnswer": _of_a_channel(_agent_ring_stopped),
    "AgentDump": _of_a_channel(_agent_ring_stopped),
    "AgentConnect": _of_a_channel(_agent_connected),
    "AgentComplete": _agent_completed,  # either channel snapshot may be missing (see the top)
    "QueueMemberAdded": _member(False),
    "QueueMemberStatus": _member(False),
    "QueueMemberPause": _member(False),
    "QueueMemberPenalty": _member(False),
    "QueueMemberRinginuse": _member(False),
    "QueueMemberRemoved": _member(True),
    "UserEvent": _user_event,
    "FullyBooted": lambda h: FullyBooted(_timestamp(h, "FullyBooted") if "timestamp" in h else None),
    "Shutdown": lambda h: AsteriskShutdown(_timestamp(h, "Shutdown")),
    "ChallengeResponseFailed": lambda h: _security_failure(h, "ChallengeResponseFailed"),
    "InvalidPassword": lambda h: _security_failure(h, "InvalidPassword"),
    "FailedACL": lambda h: _security_failure(h, "FailedACL"),
}

SUBSCRIBED_EVENTS: frozenset[str] = frozenset(_DECODERS)

# Frequent events no part of the hotline uses: manager.conf's ``disabledevents`` stops Asterisk
# from building them at all (an event filter only drops them per session, after they were built).
# Several come for every dialplan step, variable, RTCP report or DTMF digit of every call.
DISABLED_EVENTS: frozenset[str] = frozenset(
    {
        "Newexten",
        "VarSet",
        "TestEvent",
        "RTCPSent",
        "RTCPReceived",
        "DTMFBegin",
        "DTMFEnd",
        "Newstate",
        "NewCallerid",
        "NewConnectedLine",
        "NewAccountCode",
        "DialBegin",
        "DialState",
        "DialEnd",
        "BridgeCreate",
        "BridgeEnter",
        "BridgeLeave",
        "BridgeDestroy",
        "BridgeMerge",
        "BridgeInfoChannel",
        "MixMonitorStart",
        "MixMonitorStop",
        "MusicOnHoldStart",
        "MusicOnHoldStop",
        "HangupRequest",
        "SoftHangupRequest",
        "LocalBridge",
        "DeviceStateChange",
        "ExtensionStatus",
        "PeerStatus",
        "ContactStatus",
        "Registry",
        "SuccessfulAuth",
        "RequestBadFormat",
        "Cdr",
        "CEL",
    }
)


def headers_of(message: Any) -> Headers:
    """The headers of a panoramisk message, or of a plain mapping, as ``lower-case name -> (Name, value)``.

    That is how panoramisk's case-insensitive message stores them, so a received message is used
    as it is, without a copy (decoding is on the hot path of every event)."""
    store = getattr(message, "_store", None)
    if isinstance(store, dict):
        return store
    return {str(key).lower(): (str(key), value) for key, value in message.items()}


def decode(headers: Headers) -> Event | None:
    """Decode one AMI event; ``None`` when the controller has no use for it.

    ``headers`` maps lower-case header names to ``(Name, value)`` (see :func:`headers_of`); header
    names are matched without regard to case, as Asterisk is not consistent (``HoldTime`` and
    ``Holdtime``).
    """
    if DAMAGE in headers:
        claimed = headers.get("event", ("", ""))[1]
        _intact(headers, "/".join(claimed) if isinstance(claimed, list) else str(claimed or "without Event"))
    name = _optional(headers, "event")
    if name is None:
        raise MalformedEvent("AMI message has no Event header")
    decoder = _DECODERS.get(name)
    if decoder is None:
        return None
    return decoder(headers)


# --- snapshots: answers to CoreShowChannels and QueueStatus after every (re)connect ------------


@dataclass(frozen=True, slots=True)
class ChannelSnapshot:
    uniqueid: str
    linkedid: str
    name: str
    caller: str | None
    context: str
    exten: str
    application: str
    duration_seconds: int
    bridge_id: str
    account_code: str | None = None


@dataclass(frozen=True, slots=True)
class QueueEntrySnapshot:
    uniqueid: str
    queue: str
    caller: str | None
    wait_seconds: int


@dataclass(frozen=True, slots=True)
class QueueMemberSnapshot:
    queue: str
    interface: str
    member_name: str
    status: int
    paused: bool
    paused_reason: str
    in_call: bool
    calls_taken: int
    penalty: int = 0


def _duration(value: str, event: str) -> int:
    parts = value.split(":")
    try:
        if len(parts) == 3:
            return int(parts[0]) * 3600 + int(parts[1]) * 60 + int(parts[2])
        return int(value)
    except ValueError:
        raise MalformedEvent(f"{event}: Duration {value!r} is not HH:MM:SS", event=event) from None


def decode_channel_snapshot(h: Headers) -> ChannelSnapshot:
    name = "CoreShowChannel"
    _intact(h, name)
    return ChannelSnapshot(
        _text(h, "uniqueid", name),
        _text(h, "linkedid", name),
        _text(h, "channel", name),
        _number(_optional(h, "calleridnum")),
        _text(h, "context", name),
        _text(h, "exten", name),
        _optional(h, "application") or "",
        _duration(_text(h, "duration", name), name),
        _optional(h, "bridgeid") or "",
        _optional(h, "accountcode"),
    )


def decode_queue_entry(h: Headers) -> QueueEntrySnapshot:
    name = "QueueEntry"
    _intact(h, name)
    return QueueEntrySnapshot(
        _text(h, "uniqueid", name),
        _text(h, "queue", name),
        _number(_optional(h, "calleridnum")),
        _int(h, "wait", name),
    )


def decode_queue_member(h: Headers) -> QueueMemberSnapshot:
    name = "QueueMember"
    _intact(h, name)
    return QueueMemberSnapshot(
        _text(h, "queue", name),
        _text(h, "location", name),
        _text(h, "name", name),
        _int(h, "status", name),
        _text(h, "paused", name) == "1",
        _optional(h, "pausedreason") or "",
        _optional(h, "incall") == "1",
        _int(h, "callstaken", name),
        _int(h, "penalty", name),
    )
