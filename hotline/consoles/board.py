"""What the supervisor's wallboard and the lawyer's desk show, computed from live state (pure).

Live figures (who waits, who rings, who talks) come from :class:`LiveState`; today's totals
(answered, abandoned, service level, ratings, talk time) are the statistics' figures of today
(hotline/stats/definitions.py), passed in. Times are epoch seconds.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

from hotline.calls.state import LiveState, QueueMember

LawyerState = Literal["free", "ringing", "on_call", "paused", "unavailable", "logged_out"]

# Asterisk device states (QueueMemberStatus "Status").
_IN_USE = frozenset({2, 3, 7, 8})  # in use, busy, ringing while in use, on hold
_RINGING = frozenset({6, 7})
_UNREACHABLE = frozenset({4, 5})  # invalid, unavailable: the phone is not registered


@dataclass(frozen=True, slots=True)
class QueueTotals:
    """A queue's figures today, as hotline/stats/definitions.py defines them."""

    answered: int = 0
    abandoned: int = 0
    service_level: float | None = None
    average_wait: float | None = None  # of answered calls (ASA)
    average_rating: float | None = None


@dataclass(frozen=True, slots=True)
class LawyerTotals:
    calls: int = 0
    talk_seconds: int = 0


@dataclass(frozen=True, slots=True)
class DayTotals:
    queues: Mapping[str, QueueTotals] = field(default_factory=dict)
    lawyers: Mapping[str, LawyerTotals] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class QueueRow:
    queue: str
    label: str
    waiting: int
    longest_wait: int  # seconds; 0 when nobody waits
    oldest_since: float | None  # when the longest-waiting caller joined (the page counts on)
    answered: int
    abandoned: int
    service_level: float | None  # share answered within the threshold; None before any call
    average_wait: float | None
    average_rating: float | None


@dataclass(frozen=True, slots=True)
class LawyerRow:
    extension: str
    name: str
    state: LawyerState
    pause_reason: str
    calls_today: int
    talk_seconds: int
    # The caller's call the lawyer rings with or talks in, and since when.
    linkedid: str | None
    since: float | None
    # How the lawyer takes calls (电话 / 浏览器 / 视频): "phone" (a SIP softphone), "browser" (the
    # desk's browser phone), "video" (in a video consultation now).
    channel: str = "phone"


@dataclass(frozen=True, slots=True)
class Board:
    at: float
    queues: tuple[QueueRow, ...]
    lawyers: tuple[LawyerRow, ...]


def lawyer_state(
    memberships: Sequence[QueueMember], *, ringing: bool, on_call: bool
) -> tuple[LawyerState, str]:
    """A lawyer's state and pause reason, from their queue memberships and live calls."""
    if not memberships:
        return "logged_out", ""
    statuses = {member.status for member in memberships}
    if on_call or any(member.in_call for member in memberships) or statuses & _IN_USE:
        return "on_call", ""
    if ringing or statuses & _RINGING:
        return "ringing", ""
    paused = next((member for member in memberships if member.paused), None)
    if paused is not None:
        return "paused", paused.paused_reason
    if statuses <= _UNREACHABLE:
        return "unavailable", ""
    return "free", ""


def _memberships(state: LiveState) -> dict[str, list[QueueMember]]:
    by_extension: dict[str, list[QueueMember]] = {}
    for member in state.members.values():
        by_extension.setdefault(member.interface.removeprefix("PJSIP/"), []).append(member)
    return by_extension


def lawyer_rows(
    state: LiveState,
    lawyers: Iterable[tuple[str, str]],
    totals: Mapping[str, LawyerTotals],
    browser: Collection[str] = (),
) -> tuple[LawyerRow, ...]:
    """One row per lawyer (extension, name), in the order given; ``browser``: the extensions that
    answer with the desk's browser phone."""
    memberships = _memberships(state)
    offers = {offer.interface.removeprefix("PJSIP/"): offer for offer in state.offers.values()}
    legs = {leg.member_name: leg for leg in state.legs.values()}
    rows = []
    for extension, name in lawyers:
        leg, offer = legs.get(extension), offers.get(extension)
        status, reason = lawyer_state(
            memberships.get(extension, []), ringing=offer is not None, on_call=leg is not None
        )
        today = totals.get(extension, LawyerTotals())
        current = leg or offer
        call = state.calls.get(current.linkedid) if current else None
        if call is not None and call.media == "video":
            channel = "video"
        else:
            channel = "browser" if extension in browser else "phone"
        rows.append(
            LawyerRow(
                extension,
                name,
                status,
                reason,
                today.calls,
                today.talk_seconds,
                current.linkedid if current else None,
                current.since if current else None,
                channel,
            )
        )
    return tuple(rows)


def queue_rows(
    state: LiveState, now: float, queues: Iterable[tuple[str, str]], totals: Mapping[str, QueueTotals]
) -> tuple[QueueRow, ...]:
    """One row per queue (name, label), in the order given; a queue not listed appears only
    while somebody waits in it (a lawyer's personal queue, say)."""
    oldest: dict[str, float] = {}
    waiting: dict[str, int] = {}
    for entry in state.queue_callers.values():
        waiting[entry.queue] = waiting.get(entry.queue, 0) + 1
        oldest[entry.queue] = min(oldest.get(entry.queue, entry.joined_at), entry.joined_at)
    listed = list(queues)
    names = {name for name, _label in listed}
    listed += [(name, name) for name in sorted(waiting) if name not in names]
    rows = []
    for name, label in listed:
        today = totals.get(name, QueueTotals())
        since = oldest.get(name)
        rows.append(
            QueueRow(
                queue=name,
                label=label,
                waiting=waiting.get(name, 0),
                longest_wait=max(0, round(now - since)) if since is not None else 0,
                oldest_since=since,
                answered=today.answered,
                abandoned=today.abandoned,
                service_level=today.service_level,
                average_wait=today.average_wait,
                average_rating=today.average_rating,
            )
        )
    return tuple(rows)


def build_board(
    state: LiveState,
    now: float,
    *,
    queues: Iterable[tuple[str, str]],
    lawyers: Iterable[tuple[str, str]],
    totals: DayTotals,
    browser: Collection[str] = (),
) -> Board:
    return Board(
        at=now,
        queues=queue_rows(state, now, queues, totals.queues),
        lawyers=lawyer_rows(state, lawyers, totals.lawyers, browser),
    )


# --- the lawyer's desk --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DeskCall:
    """The call ringing at, or connected to, the lawyer's phone (the screen pop)."""

    linkedid: str
    caller: str | None
    queue: str
    topic: str | None
    language: str | None
    ringing: bool
    queued_at: float | None  # the page counts the waiting time from here while it rings
    wait_seconds: int | None  # how long the caller waited, once answered
    since: float  # ringing or connected since
    channel: str | None  # the lawyer's channel, once connected


def desk_call(state: LiveState, extension: str, now: float) -> DeskCall | None:
    """The lawyer's current call (a connected one wins over a ringing one)."""
    leg = next((leg for leg in state.legs.values() if leg.member_name == extension), None)
    if leg is not None:
        call = state.calls.get(leg.linkedid)
        return DeskCall(
            leg.linkedid,
            call.caller if call else None,
            leg.queue,
            call.topic if call else None,
            call.language if call else None,
            False,
            call.queued_at if call else None,
            call.wait_seconds if call else None,
            leg.since,
            leg.channel,
        )
    offer = state.offers.get(f"PJSIP/{extension}")
    if offer is None:
        return None
    call = state.calls.get(offer.linkedid)
    queued_at = call.queued_at if call else None
    return DeskCall(
        offer.linkedid,
        offer.caller or (call.caller if call else None),
        offer.queue,
        call.topic if call else None,
        call.language if call else None,
        True,
        queued_at,
        round(now - queued_at) if queued_at is not None else None,
        offer.since,
        None,
    )


def lawyer_channel(state: LiveState, extension: str, linkedid: str) -> str | None:
    """The lawyer's channel in the call ``linkedid``, if that lawyer is connected to it now."""
    return next(
        (
            leg.channel
            for leg in state.legs.values()
            if leg.member_name == extension and leg.linkedid == linkedid
        ),
        None,
    )
