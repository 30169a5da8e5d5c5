"""Who among the callers waiting in the queues hears an announcement now, and what it says: their
place in the line and the expected wait (ivr_flows/waiting.yaml, hotline/ivr/waiting.py).

Pure: the callers, the queues' figures and the times of the last announcements come in, the
announcements to play go out; no clock inside (``now`` is given).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Final

_CAP: Final = 99  # two digits per number in the dialplan's extension


@dataclass(frozen=True, slots=True)
class WaitingCaller:
    """A caller waiting in a queue (Asterisk's QueueEntry)."""

    uniqueid: str
    channel: str  # e.g. PJSIP/citizen-0000001a
    queue: str
    position: int  # 1 = next
    waited: int  # seconds in the queue so far


@dataclass(frozen=True, slots=True)
class QueueFigures:
    """What Asterisk says of a queue, for the expected wait."""

    talk_time: int  # Asterisk's recent average talk time in the queue (QueueParams TalkTime, s); 0: none yet
    serving: int  # members who can take calls now (not paused, registered); may be 0


@dataclass(frozen=True, slots=True)
class Rules:
    """When callers hear announcements and how their expected wait is reckoned."""

    every_seconds: int = 30  # between two announcements to the same caller
    first_after_seconds: int = 5  # the first one once the caller has waited this long
    default_handling_seconds: int = 300  # a call's handling time when the queue has no figure yet
    wrapup_seconds: int = 0  # added to each call's handling time
    positions: int = 10  # places said (ivr_flows/waiting.yaml); beyond, the "more" prompt
    minutes: int = 20  # minutes of expected wait said; beyond, the "more" prompt


@dataclass(frozen=True, slots=True)
class Announcement:
    """What one caller hears now: their place in the line and the expected wait in minutes."""

    uniqueid: str
    channel: str
    queue: str
    position: int
    minutes: int

    @property
    def extension(self) -> str:
        """The digits the dialplan's [hotline-announce] context is dialled with: two digits of
        position then two of minutes, each capped at 99 (e.g. position 3, 7 minutes -> "0307")."""
        return f"{_two_digits(self.position)}{_two_digits(self.minutes)}"


def _two_digits(value: int) -> str:
    return f"{min(max(value, 0), _CAP):02d}"


def expected_minutes(position: int, figures: QueueFigures | None, rules: Rules) -> int:
    """ceil(position * (talk_time or default_handling_seconds, + wrapup_seconds) / max(serving, 1) / 60),
    at least 1.

    Each caller ahead, and the caller's own turn, takes one call's handling time: the queue's recent
    average talk time as Asterisk reckons it (``default_handling_seconds`` until the queue has one),
    plus the lawyer's wrap-up after the call. The lawyers serving the queue share these calls; when
    none is serving (all paused, or between shifts), one is assumed, so the caller still hears a
    finite wait rather than none. Rounded up: a caller told "3 minutes" should rarely wait longer.
    """
    talk_time = figures.talk_time if figures is not None else 0
    handling = (talk_time if talk_time > 0 else rules.default_handling_seconds) + rules.wrapup_seconds
    serving = max(figures.serving if figures is not None else 1, 1)
    seconds = position * handling
    return max(-(-seconds // (serving * 60)), 1)  # ceiling division in integers


def plan(
    callers: Sequence[WaitingCaller],
    figures: Mapping[str, QueueFigures],
    heard: Mapping[str, float],
    now: float,
    rules: Rules,
) -> list[Announcement]:
    """Who hears an announcement now: a caller never announced to once they waited
    first_after_seconds; afterwards every every_seconds since ``heard[uniqueid]`` (the epoch seconds
    of the last one). Callers in order of (queue, position).

    ``figures`` is by queue name (a queue without figures takes the defaults of
    :func:`expected_minutes`)."""
    due = [
        caller
        for caller in callers
        if (
            caller.waited >= rules.first_after_seconds
            if caller.uniqueid not in heard
            else now - heard[caller.uniqueid] >= rules.every_seconds
        )
    ]
    return [
        Announcement(
            caller.uniqueid,
            caller.channel,
            caller.queue,
            caller.position,
            expected_minutes(caller.position, figures.get(caller.queue), rules),
        )
        for caller in sorted(due, key=lambda caller: (caller.queue, caller.position))
    ]
