"""AMI messages decoded into typed, immutable events.

Pure code: headers in, events out, no I/O. A header the event must carry but does not is a
:class:`MalformedEvent` (never an empty string). Events the controller does not use decode to
``None``; :data:`SUBSCRIBED_EVENTS` is also what manager.conf's event filter lets through.

Decoding is one table, :data:`EVENTS`: a row per AMI event (per ``UserEvent`` of our dialplan)
says which typed event it gives, what of a channel snapshot it must carry and, field by field,
which header feeds the field, how its text is converted and what the field holds when the header
is missing (or that it must not be); see hotline.ami.records. Each row's decoder is compiled from
the table when the first event of its name comes. The answers to our snapshot actions
(``CoreShowChannels``, ``QueueStatus``) are records of the same kind.

Asterisk copies caller numbers into events unescaped, so text from a SIP From user can add header
lines to an event or end it and start another (see hotline.ami.framing). Hence these rules:

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
from functools import partial
from typing import Any, NamedTuple

from hotline.addresses import parse_ip
from hotline.ami.caller_id import clean_number
from hotline.ami.framing import DAMAGE
from hotline.ami.records import (
    Check,
    Const,
    Field,
    Nested,
    Reader,
    Record,
    Source,
    check_record,
    compile_reader,
    number,
    read,
    read_field,
    record,
    reference_reader,
    text,
)
from hotline.ami.records import Headers as Headers
from hotline.ami.records import MalformedEvent as MalformedEvent

# --- queue members: one value for the events, the QueueStatus answer and the live state ---------


class QueueMember(NamedTuple):
    """A lawyer's membership of a queue as Asterisk reports it (a ``QueueMember*`` event or an item
    of the ``QueueStatus`` answer); the live state keeps it as it comes."""

    queue: str
    interface: str
    member_name: str
    status: int
    paused: bool
    paused_reason: str
    in_call: bool
    calls_taken: int
    penalty: int = 0


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
    member: QueueMember
    removed: bool = False


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
    # "video" for a video consultation; None for a phone call.
    media: str | None = None


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


class CallbackStarted(NamedTuple):
    """The lawyer answered a callback's first ring: the hotline now calls the citizen (the call is
    the lawyer's channel, its linkedid fixed by the originate)."""

    timestamp: float
    uniqueid: str
    linkedid: str
    ticket: str
    number: str | None
    lawyer: str


class CallbackAnswered(NamedTuple):
    """The citizen answered a callback (the call from the lawyer's phone through the outside line)."""

    timestamp: float
    uniqueid: str
    linkedid: str
    ticket: str


class CallbackFailed(NamedTuple):
    """A callback's citizen did not answer (``status``: Dial's DIALSTATUS, e.g. NOANSWER, BUSY);
    sent from the lawyer's side of the callback."""

    timestamp: float
    uniqueid: str
    linkedid: str
    ticket: str
    status: str


class QueuedCallbackRequested(NamedTuple):
    """A waiting caller pressed 1 to keep their place and be called back (排队回电), from a number
    that can be called; sent from the caller's channel, which then hangs up."""

    timestamp: float
    uniqueid: str
    linkedid: str
    number: str | None
    queue: str
    position: int


class CriticismLeft(NamedTuple):
    """A caller is recording criticism (投诉与意见) into ``file`` (under the voicemail directory);
    ``kind``: ``phone`` (the menu's key) or ``after-rating`` (after a rating of 1-2)."""

    timestamp: float
    uniqueid: str
    linkedid: str
    file: str
    kind: str
    caller: str | None  # the caller's number
    lawyer: str | None  # the lawyer who served the call (after a rating), if any


class CallerAnnounced(NamedTuple):
    """A waiting caller heard their position and expected wait; sent from the announcement's own
    channel (``channel``: the caller's channel it was whispered to)."""

    timestamp: float
    uniqueid: str
    linkedid: str
    channel: str
    position: int
    minutes: int


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
    | CallbackStarted
    | CallbackAnswered
    | CallbackFailed
    | QueuedCallbackRequested
    | CallerAnnounced
    | CriticismLeft
    | RouteChosen
    | CallTransferred
    | FullyBooted
    | AsteriskShutdown
    | SecurityFailure
)


def _same_event(self: tuple[object, ...], other: object) -> bool:
    """Events are NamedTuples (immutable, no ``__dict__``, cheap to build on the hot path) that
    compare equal only to an event of the same type, never to a plain tuple."""
    return type(self) is type(other) and tuple.__eq__(self, other)


def _different_event(self: tuple[object, ...], other: object) -> bool:
    return not _same_event(self, other)


for _event_type in (*Event.__args__, QueueMember):
    # Type-aware equality for every event (see _same_event); the hash stays the tuple's.
    setattr(_event_type, "__eq__", _same_event)  # noqa: B010
    setattr(_event_type, "__ne__", _different_event)  # noqa: B010
    setattr(_event_type, "__hash__", tuple.__hash__)  # noqa: B010


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


# --- converters (see hotline.ami.records.Field) -----------------------------------------------


def _is_set(value: str) -> bool:
    return value == "1"


def _or_none(value: str) -> str | None:
    return value or None


def _words(value: str) -> str | None:
    return " ".join(value.split()) or None


def _rating(value: str) -> int | None:
    if value not in {"1", "2", "3", "4", "5", "none"}:
        raise ValueError("a rating (1-5 or 'none')")
    return None if value == "none" else int(value)


def _duration(value: str) -> int:
    parts = value.split(":")
    try:
        if len(parts) == 3:
            return int(parts[0]) * 3600 + int(parts[1]) * 60 + int(parts[2])
        return int(value)
    except ValueError:
        raise ValueError("a duration (HH:MM:SS)") from None


def remote_ip(value: str) -> str | None:
    """The IP address in a security event's ``RemoteAddress`` (``IPV4/UDP/192.0.2.7/5060``,
    ``IPV6/UDP/2001:db8::7/5060``; the transport may be missing); ``None`` when there is none."""
    parts = value.split("/")
    if len(parts) < 3 or parts[0] not in {"IPV4", "IPV6"}:
        return None
    address = parse_ip(parts[-2])
    return str(address) if address is not None else None


def _remote_ip(value: str) -> str:
    address = remote_ip(value)
    if address is None:
        raise ValueError("an address with an IP address (IPV4/UDP/192.0.2.7/5060)")
    return address


# --- what of a channel snapshot an event must carry ---------------------------------------------

# The head of the channel snapshot in every event about a channel, before the caller number.
_SNAPSHOT_HEAD = ("privilege", "channelstate", "channelstatedesc", "calleridnum")
_HEAD_KEYS = frozenset(_SNAPSHOT_HEAD)


def _channel_snapshot_head(headers: Headers, name: str) -> None:
    for key in _SNAPSHOT_HEAD:
        if key not in headers:
            raise MalformedEvent(
                f"AMI event {name} lacks the {key!r} header of its channel snapshot "
                "(the part of an event split by text injected through a caller ID?)",
                event=name,
                header=key,
            )


# Every header of a channel snapshot (Asterisk's ast_manager_build_channel_state_string_prefix);
# what one that is there must hold: its head, before its caller numbers, and its channel's identity,
# after them. By prefix: "" the caller's, "dest" the queue member's.
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
_PREFIXED = {
    prefix: (tuple(prefix + key for key in _SNAPSHOT_FIELDS), tuple(prefix + key for key in _SNAPSHOT_ENDS))
    for prefix in _SNAPSHOT_OWNERS
}


def _has_snapshot(headers: Headers, name: str, prefix: str) -> bool:
    """Whether the event carries the channel snapshot whose headers begin with ``prefix``.
    Asterisk leaves a snapshot out as a whole; one that is there only in part is the piece of an
    event split by text injected through a caller number, and the event is malformed."""
    fields, ends = _PREFIXED[prefix]
    if not any(key in headers for key in fields):
        return False
    for key in ends:
        if key not in headers:
            raise MalformedEvent(
                f"AMI event {name} lacks the {key!r} header of the {_SNAPSHOT_OWNERS[prefix]} "
                "channel snapshot it carries (the part of an event split by text injected through a "
                "caller ID?)",
                event=name,
                header=key,
            )
    return True


def _caller_or_member_snapshot(headers: Headers, name: str) -> None:
    if "privilege" not in headers:
        raise MalformedEvent(
            f"AMI event {name} lacks the 'privilege' header of its channel snapshot "
            "(the part of an event split by text injected through a caller ID?)",
            event=name,
            header="privilege",
        )
    if _has_snapshot(headers, name, ""):
        _has_snapshot(headers, name, "dest")  # the member's, when there, is whole too
    elif not _has_snapshot(headers, name, "dest"):
        raise MalformedEvent(
            f"AMI event {name} carries neither the caller's nor the queue member's channel snapshot "
            "(no 'linkedid' or 'destlinkedid' header): the call it ends cannot be told",
            event=name,
            header="linkedid",
        )


class Carries(NamedTuple):
    """What of a channel snapshot an event must carry: ``check`` refuses an event without it; when
    the rule is only that the headers ``present`` are there, a compiled reader tests them itself."""

    check: Check
    present: frozenset[str] = frozenset()


# An event about a channel carries the head of the channel's snapshot.
CHANNEL_HEAD = Carries(_channel_snapshot_head, _HEAD_KEYS)
# AgentComplete (see the top): the caller's snapshot or the queue member's or both, each whole.
CALLER_OR_MEMBER = Carries(_caller_or_member_snapshot)


@dataclass(frozen=True, slots=True)
class EventDecoding:
    """One row of :data:`EVENTS`: the AMI event (``Event``, and ``UserEvent`` for ours), what of a
    channel snapshot it must carry (``None``: it is about no channel), headers it must carry that
    no field takes, and the record its event is read with."""

    event: str
    record: Record[Any]
    carries: Carries | None = None
    user_event: str | None = None
    requires: tuple[str, ...] = ()

    @property
    def name(self) -> str:
        return self.event if self.user_event is None else f"{self.event} {self.user_event}"


def on(
    event: str,
    kind: type[Event],
    carries: Carries | None = None,
    /,
    *,
    user_event: str | None = None,
    requires: tuple[str, ...] = (),
    **fields: Source,
) -> EventDecoding:
    return EventDecoding(event, Record(kind, fields), carries, user_event, requires)


TIMESTAMP = Field("timestamp", float)
CALLER = Field("calleridnum", clean_number, default=None)
QUEUE, INTERFACE, MEMBER_NAME = text("queue"), text("interface"), text("membername")


def about_a_call(
    event: str, kind: type[Event], /, *, user_event: str | None = None, **fields: Source
) -> EventDecoding:
    """A row of an event about a channel: it carries the channel's snapshot (its head) and says
    when (``Timestamp``), which channel (``Uniqueid``) and which call (``Linkedid``)."""
    common: dict[str, Source] = {
        "timestamp": TIMESTAMP,
        "uniqueid": text("uniqueid"),
        "linkedid": text("linkedid"),
    }
    return EventDecoding(event, Record(kind, {**common, **fields}), CHANNEL_HEAD, user_event)


def ours(user_event: str, kind: type[Event], /, **fields: Source) -> EventDecoding:
    """A row of the dialplan's own events (``UserEvent``), all sent from a caller's channel."""
    return about_a_call("UserEvent", kind, user_event=user_event, **fields)


_MEMBER_FIELDS: dict[str, Source] = {
    "queue": QUEUE,
    "interface": INTERFACE,
    "member_name": MEMBER_NAME,
    "status": number("status"),
    "paused": Field("paused", _is_set),
    "paused_reason": Field("pausedreason", default=""),
    "in_call": Field("incall", _is_set, default=False),
    "calls_taken": number("callstaken"),
    "penalty": Field("penalty", int, default=0),
}
MEMBER_OF_EVENT = record(QueueMember, **_MEMBER_FIELDS)
# QueueStatus names two headers otherwise, and always gives the penalty.
MEMBER_OF_STATUS = record(
    QueueMember,
    **{
        **_MEMBER_FIELDS,
        "interface": text("location"),
        "member_name": text("name"),
        "penalty": number("penalty"),
    },
)
RATING = Field("hotlinerating", _rating)

# --- the table ----------------------------------------------------------------------------------

EVENTS: tuple[EventDecoding, ...] = (
    about_a_call(
        "Newchannel",
        ChannelCreated,
        channel=text("channel"),
        caller=CALLER,
        context=text("context"),
        exten=text("exten"),
    ),
    about_a_call("Hangup", ChannelHungUp, channel=text("channel"), cause=number("cause")),
    about_a_call(
        "QueueCallerJoin", QueueCallerJoined, queue=QUEUE, position=number("position"), caller=CALLER
    ),
    about_a_call("QueueCallerLeave", QueueCallerLeft, queue=QUEUE),
    about_a_call("QueueCallerAbandon", QueueCallerAbandoned, queue=QUEUE, hold_time=number("holdtime")),
    about_a_call(
        "AgentCalled", AgentCalled, queue=QUEUE, member_name=MEMBER_NAME, interface=INTERFACE, caller=CALLER
    ),
    about_a_call("AgentRingNoAnswer", AgentRingStopped, interface=INTERFACE),
    about_a_call("AgentDump", AgentRingStopped, interface=INTERFACE),
    about_a_call(
        "AgentConnect",
        AgentConnected,
        queue=QUEUE,
        member_name=MEMBER_NAME,
        interface=INTERFACE,
        hold_time=number("holdtime"),
        lawyer_channel=Field("destchannel", _or_none, default=None),
    ),
    on(
        "AgentComplete",
        AgentCompleted,
        CALLER_OR_MEMBER,
        timestamp=TIMESTAMP,
        uniqueid=Field("uniqueid", default=None),  # the caller's snapshot is there whole or not at all
        linkedid=Field("linkedid", otherwise="destlinkedid"),
        queue=QUEUE,
        member_name=MEMBER_NAME,
        interface=INTERFACE,
        hold_time=number("holdtime"),
        talk_time=number("talktime"),
        reason=text("reason"),
    ),
    *(
        on(
            name,
            QueueMemberChanged,
            timestamp=TIMESTAMP,
            member=Nested(MEMBER_OF_EVENT),
            removed=Const(name == "QueueMemberRemoved"),
        )
        for name in (
            "QueueMemberAdded",
            "QueueMemberStatus",
            "QueueMemberPause",
            "QueueMemberPenalty",
            "QueueMemberRinginuse",
            "QueueMemberRemoved",
        )
    ),
    ours("HotlineIntake", IntakeStarted, caller=Field("hotlinecaller", clean_number, default=None)),
    ours("HotlineRecording", RecordingStarted, file=text("hotlinefile")),
    ours("HotlineVoicemail", VoicemailStarted, file=text("hotlinefile")),
    ours(
        "HotlineRoute",
        RouteChosen,
        language=Field("hotlinelanguage", _or_none, default=None),
        topic=Field("hotlinetopic", _or_none, default=None),
        path=Field("hotlinepath", _words, default=None),
        media=Field("hotlinemedia", _or_none, default=None),
    ),
    ours("HotlineTransfer", CallTransferred, target=text("hotlinetarget")),
    ours("HotlineRating", CallerRated, rating=RATING),
    ours("HotlineCallbackRating", CallbackRated, ticket=text("hotlineticket"), rating=RATING),
    ours(
        "HotlineCallbackStarted",
        CallbackStarted,
        ticket=text("hotlineticket"),
        number=Field("hotlinenumber", clean_number, default=None),
        lawyer=text("hotlinelawyer"),
    ),
    ours("HotlineCallbackAnswered", CallbackAnswered, ticket=text("hotlineticket")),
    ours("HotlineCallbackFailed", CallbackFailed, ticket=text("hotlineticket"), status=text("hotlinestatus")),
    ours(
        "HotlineQueuedCallback",
        QueuedCallbackRequested,
        number=Field("hotlinenumber", clean_number, default=None),
        queue=text("hotlinequeue"),
        position=number("hotlineposition"),
    ),
    ours(
        "HotlineCriticism",
        CriticismLeft,
        file=text("hotlinefile"),
        kind=text("hotlinekind"),
        caller=CALLER,
        lawyer=Field("hotlinelawyer", _or_none, default=None),
    ),
    ours(
        "HotlineAnnounced",
        CallerAnnounced,
        channel=text("hotlinechannel"),
        position=number("hotlineposition"),
        minutes=number("hotlineminutes"),
    ),
    on("FullyBooted", FullyBooted, timestamp=Field("timestamp", float, default=None)),
    on("Shutdown", AsteriskShutdown, timestamp=TIMESTAMP),
    *(
        on(
            name,
            SecurityFailure,
            requires=("severity", "sessionid", "localaddress"),  # all there in Asterisk's own events
            timestamp=TIMESTAMP,
            kind=Const(name),
            service=text("service"),
            account=text("accountid"),
            address=Field("remoteaddress", _remote_ip),
        )
        for name in ("ChallengeResponseFailed", "InvalidPassword", "FailedACL")
    ),
)

SUBSCRIBED_EVENTS: frozenset[str] = frozenset(row.event for row in EVENTS)

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


# --- the decoders of the table, each made when the first event of its name comes ---------------

Decoder = Reader[Event | None]


def _requiring(headers: tuple[str, ...], carries: Carries | None) -> Check:
    def check(message: Headers, name: str) -> None:
        if carries is not None:
            carries.check(message, name)
        for header in headers:
            read_field(Field(header), message, name)

    return check


def _check_of(row: EventDecoding) -> Check | None:
    if row.requires:
        return _requiring(row.requires, row.carries)
    return None if row.carries is None else row.carries.check


def reference_decoder(row: EventDecoding) -> Decoder:
    """The row's decoder by the reference reader (hotline.ami.records.read)."""
    check_record(row.record)
    return reference_reader(row.record, _check_of(row))


def compiled_decoder(row: EventDecoding) -> Decoder:
    """The row's decoder compiled to straight-line Python (hotline.ami.records.compile_reader)."""
    check_record(row.record)
    present = row.carries.present if row.carries is not None and not row.requires else frozenset()
    return compile_reader(row.record, _check_of(row), present)


class _Decoders:
    """Event name -> decoder, and our ``UserEvent`` kind -> decoder, made by ``make`` from the
    table. Every name starts with a stand-in that makes the decoder when its first event comes and
    puts it in its place: nothing is compiled at import, and a name not in the table is a miss."""

    def __init__(self, make: Callable[[EventDecoding], Decoder]) -> None:
        self._make = make
        self.events: dict[str, Decoder] = {"UserEvent": self._user_event}
        self.ours: dict[str, Decoder] = {}
        for row in EVENTS:
            table, key = (self.events, row.event) if row.user_event is None else (self.ours, row.user_event)
            table[key] = partial(self._first, table, key, row)

    def _first(
        self, table: dict[str, Decoder], key: str, row: EventDecoding, headers: Headers, name: str
    ) -> Event | None:
        decoder = table[key] = self._make(row)
        return decoder(headers, name)

    def _user_event(self, headers: Headers, name: str) -> Event | None:
        pair = headers.get("userevent")
        kind = None if pair is None else pair[1]
        if type(kind) is not str:
            kind = read_field(Field("userevent"), headers, name)
        decoder = self.ours.get(kind)
        return None if decoder is None else decoder(headers, f"UserEvent {kind}")


_COMPILED = _Decoders(compiled_decoder).events
_REFERENCE = _Decoders(reference_decoder).events


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


def headers_of(message: Any) -> Headers:
    """The headers of a received message (:class:`~hotline.ami.framing.AmiMessage`), or of a plain
    mapping, as ``lower-case name -> (Name, value)``: a received message is used as it is, without
    a copy (decoding is on the hot path of every event)."""
    stored = getattr(message, "headers", None)
    if isinstance(stored, dict):
        return stored
    return {str(key).lower(): (str(key), value) for key, value in message.items()}


def decode(headers: Headers, *, _decoders: Mapping[str, Decoder] = _COMPILED) -> Event | None:
    """Decode one AMI event; ``None`` when the controller has no use for it.

    ``headers`` maps lower-case header names to ``(Name, value)`` (see :func:`headers_of`); header
    names are matched without regard to case, as Asterisk is not consistent (``HoldTime`` and
    ``Holdtime``).
    """
    if DAMAGE in headers:
        claimed = headers.get("event", ("", ""))[1]
        _intact(headers, "/".join(claimed) if isinstance(claimed, list) else str(claimed or "without Event"))
    pair = headers.get("event")
    if pair is None:
        raise MalformedEvent("AMI message has no Event header")
    name = pair[1]
    if type(name) is not str:
        name = read_field(Field("event"), headers, "?")
    decoder = _decoders.get(name)
    return None if decoder is None else decoder(headers, name)


def decode_by_reference(headers: Headers) -> Event | None:
    """:func:`decode` by the reference reader instead of the compiled ones (they give the same)."""
    return decode(headers, _decoders=_REFERENCE)


# --- the answers to our snapshot actions --------------------------------------------------------

CHANNEL_SNAPSHOT = record(
    ChannelSnapshot,
    uniqueid=text("uniqueid"),
    linkedid=text("linkedid"),
    name=text("channel"),
    caller=CALLER,
    context=text("context"),
    exten=text("exten"),
    application=Field("application", default=""),
    duration_seconds=Field("duration", _duration),
    bridge_id=Field("bridgeid", default=""),
    account_code=Field("accountcode", default=None),
)
QUEUE_ENTRY = record(
    QueueEntrySnapshot, uniqueid=text("uniqueid"), queue=QUEUE, caller=CALLER, wait_seconds=number("wait")
)


def decode_channel_snapshot(headers: Headers) -> ChannelSnapshot:
    _intact(headers, "CoreShowChannel")
    return read(CHANNEL_SNAPSHOT, headers, "CoreShowChannel")


def decode_queue_entry(headers: Headers) -> QueueEntrySnapshot:
    _intact(headers, "QueueEntry")
    return read(QUEUE_ENTRY, headers, "QueueEntry")


def decode_queue_member(headers: Headers) -> QueueMember:
    _intact(headers, "QueueMember")
    return read(MEMBER_OF_STATUS, headers, "QueueMember")
