"""When each lawyer was actually on duty, read from Asterisk's ``queue_log``: a pure parser and reducer.

app_queue appends one line per queue event to the instance's ``queue_log`` (logger.conf names it,
hotline/asterisk/layout.py says where): ``epoch|callid|queue|agent|event|data1|data2|...``, the
time in whole epoch seconds. With ``log_membername_as_agent = yes`` (queues.conf) the agent is the
member's name, which the applier sets to the lawyer's extension (``PJSIP/8001`` joins as ``8001``);
a member added without a name is logged by its interface, read here as the same extension.

The member events, as Asterisk 22 writes them:

* ``ADDMEMBER`` (data1 ``PAUSED`` when added paused) and ``REMOVEMEMBER``, one line per queue;
* ``PAUSE`` / ``UNPAUSE`` (data1: the reason), one line per queue the member is in; a pause in
  every queue (``QueuePause`` without a queue, what the controller sends) is announced by one
  ``PAUSEALL`` / ``UNPAUSEALL`` line before them, which adds nothing the per-queue lines do not say;
* ``QUEUESTART`` (Asterisk started) and ``CONFIGRELOAD`` (its logger reloaded). After a restart
  Asterisk puts the dynamic members back from its database (``persistentmembers = yes``), paused
  as they were, without writing ``ADDMEMBER``: a ``QUEUESTART`` therefore changes nobody's
  presence. Asterisk writes nothing when it stops, so the time it was down counts for the members
  it had when it stopped.

Call events (``ENTERQUEUE``, ``CONNECT``, ``COMPLETEAGENT`` ...) say nothing about presence.

A lawyer is **logged in** from joining a first queue until leaving the last one, however many
queues they are in (one union of time), and **paused** while paused in every queue they are in
(no queue may offer them a call). :func:`step` folds one line into the members' :data:`Presence`
and returns the intervals it closed; the intervals still open are :func:`open_intervals`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Final, Literal

from hotline.errors import HotlineError

LOGGED_IN: Final = "logged_in"
PAUSED: Final = "paused"
PresenceState = Literal["logged_in", "paused"]

# The events that change who is in which queue, paused or not.
MEMBER_EVENTS: Final = frozenset({"ADDMEMBER", "REMOVEMEMBER", "PAUSE", "UNPAUSE", "PAUSEALL", "UNPAUSEALL"})
_NO_QUEUE_EVENTS: Final = frozenset({"PAUSEALL", "UNPAUSEALL"})


class MalformedQueueLogLine(HotlineError):
    def __init__(self, message: str) -> None:
        super().__init__("queue-log-line-malformed", message, status=502)


@dataclass(frozen=True, slots=True)
class QueueLogLine:
    at: int  # epoch seconds
    callid: str
    queue: str
    agent: str
    event: str
    data: tuple[str, ...] = ()


def parse_line(text: str) -> QueueLogLine:
    """One line of ``queue_log`` (without its newline); :class:`MalformedQueueLogLine` when it has
    fewer than five fields, a time that is not whole epoch seconds, or a member event without its
    queue or agent."""
    fields = text.rstrip("\r\n").split("|")
    if len(fields) < 5:
        raise MalformedQueueLogLine(f"{len(fields)} fields, at least 5 expected")
    at, callid, queue, agent, event, *data = fields
    if not at.isascii() or not at.isdigit():
        raise MalformedQueueLogLine(f"time {at[:20]!r} is not epoch seconds")
    if not event:
        raise MalformedQueueLogLine("no event")
    if event in MEMBER_EVENTS:
        if agent in ("", "NONE"):
            raise MalformedQueueLogLine(f"{event} without a member")
        if event not in _NO_QUEUE_EVENTS and queue in ("", "NONE"):
            raise MalformedQueueLogLine(f"{event} without a queue")
    return QueueLogLine(int(at), callid, queue, agent, event, tuple(data))


def extension_of(agent: str) -> str | None:
    """The lawyer's extension of a queue_log agent: the member name (``8001``) or the interface
    (``PJSIP/8001``); None for another technology's interface (not a staff phone)."""
    technology, slash, name = agent.partition("/")
    if not slash:
        return agent or None
    return name if technology == "PJSIP" and name else None


@dataclass(frozen=True, slots=True)
class Member:
    """A member in at least one queue: since when, in which queues, paused in which of them, and
    since when paused in all of them (None: available in at least one)."""

    since: int
    queues: frozenset[str]
    paused_in: frozenset[str] = frozenset()
    paused_since: int | None = None


# Extension -> the member's presence; only members in at least one queue are kept.
Presence = Mapping[str, Member]


@dataclass(frozen=True, slots=True)
class Interval:
    """``[starts_at, ends_at)`` in epoch seconds: logged in, or paused (within being logged in)."""

    extension: str
    state: PresenceState
    starts_at: int
    ends_at: int


def _interval(extension: str, state: PresenceState, start: int, end: int) -> list[Interval]:
    # A clock set back between two lines gives no negative time; nothing of zero length is kept.
    return [Interval(extension, state, start, end)] if end > start else []


def _settle(
    extension: str, before: Member | None, queues: frozenset[str], paused_in: frozenset[str], at: int
) -> tuple[Member | None, list[Interval]]:
    """The member after its queues (and those it is paused in) changed at ``at``, with the
    intervals the change closed."""
    paused_in &= queues
    closed: list[Interval] = []
    paused_since = None if before is None else before.paused_since
    now_paused = bool(queues) and paused_in == queues
    if paused_since is not None and not now_paused:
        closed += _interval(extension, PAUSED, paused_since, at)
        paused_since = None
    elif paused_since is None and now_paused:
        paused_since = at
    if not queues:
        if before is not None:
            closed += _interval(extension, LOGGED_IN, before.since, at)
        return None, closed
    since = at if before is None else before.since
    return Member(since, queues, paused_in, paused_since), closed


def _added(member: Member | None, line: QueueLogLine) -> tuple[frozenset[str], frozenset[str]]:
    queues = frozenset() if member is None else member.queues
    paused_in = frozenset() if member is None else member.paused_in
    paused = bool(line.data) and line.data[0] == "PAUSED"
    return queues | {line.queue}, (paused_in | {line.queue}) if paused else (paused_in - {line.queue})


def _removed(member: Member | None, line: QueueLogLine) -> tuple[frozenset[str], frozenset[str]] | None:
    if member is None or line.queue not in member.queues:
        return None  # not a member there (removed before the reading began): nothing open
    return member.queues - {line.queue}, member.paused_in - {line.queue}


def _paused(member: Member | None, line: QueueLogLine) -> tuple[frozenset[str], frozenset[str]]:
    # Only a member can be paused: a pause in a queue not known here (its ADDMEMBER came before
    # the reading began) shows the member is there from now.
    queues = frozenset() if member is None else member.queues
    paused_in = frozenset() if member is None else member.paused_in
    return queues | {line.queue}, paused_in | {line.queue}


def _unpaused(member: Member | None, line: QueueLogLine) -> tuple[frozenset[str], frozenset[str]]:
    queues = frozenset() if member is None else member.queues
    paused_in = frozenset() if member is None else member.paused_in
    return queues | {line.queue}, paused_in - {line.queue}


_Transition = Callable[[Member | None, QueueLogLine], tuple[frozenset[str], frozenset[str]] | None]

# Event -> the member's queues and paused queues after it (None: no change). Events not listed
# (calls, QUEUESTART, CONFIGRELOAD, PAUSEALL / UNPAUSEALL: see the module's docstring) change nothing.
TRANSITIONS: Final[Mapping[str, _Transition]] = {
    "ADDMEMBER": _added,
    "REMOVEMEMBER": _removed,
    "PAUSE": _paused,
    "UNPAUSE": _unpaused,
}


def step(presence: Presence, line: QueueLogLine) -> tuple[Presence, list[Interval]]:
    """The presence after ``line``, and the intervals it closed. ``presence`` is not changed."""
    transition = TRANSITIONS.get(line.event)
    extension = extension_of(line.agent)
    if transition is None or extension is None:
        return presence, []
    before = presence.get(extension)
    changed = transition(before, line)
    if changed is None:
        return presence, []
    after, closed = _settle(extension, before, *changed, line.at)
    if after == before:
        return presence, closed
    members = dict(presence)
    if after is None:
        del members[extension]
    else:
        members[extension] = after
    return members, closed


def reduce(presence: Presence, lines: Iterable[QueueLogLine]) -> tuple[Presence, list[Interval]]:
    """:func:`step` over ``lines`` in order: the presence after them and every interval closed."""
    closed: list[Interval] = []
    for line in lines:
        presence, ended = step(presence, line)
        closed += ended
    return presence, closed


def open_intervals(presence: Presence, until: int) -> list[Interval]:
    """The intervals not closed yet, as if they ended at ``until`` (epoch seconds)."""
    intervals: list[Interval] = []
    for extension, member in sorted(presence.items()):
        intervals += _interval(extension, LOGGED_IN, member.since, until)
        if member.paused_since is not None:
            intervals += _interval(extension, PAUSED, member.paused_since, until)
    return intervals


# --- the presence kept between readings (the cursor's JSON) ----------------------------------------


def presence_to_json(presence: Presence) -> dict[str, Any]:
    return {
        extension: {
            "since": member.since,
            "queues": sorted(member.queues),
            "paused_in": sorted(member.paused_in),
            "paused_since": member.paused_since,
        }
        for extension, member in sorted(presence.items())
    }


def presence_from_json(data: Mapping[str, Any]) -> Presence:
    """What :func:`presence_to_json` wrote."""
    return {
        str(extension): Member(
            since=int(value["since"]),
            queues=frozenset(str(queue) for queue in value["queues"]),
            paused_in=frozenset(str(queue) for queue in value["paused_in"]),
            paused_since=None if value["paused_since"] is None else int(value["paused_since"]),
        )
        for extension, value in data.items()
        if value["queues"]
    }
