"""Hours on duty per lawyer, rostered and actual: what the monthly report shows beside each lawyer.

Rostered hours come from the duty roster (``duty_shifts``); actual hours from the intervals the
presence follower read from Asterisk's queue_log (``duty_presence`` and the cursor's open ones,
hotline/routing/presence.py). This module keeps those intervals (the follower's transaction calls
:func:`record_presence`) and answers both questions for a span of time.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from hotline.db.base import utcnow
from hotline.routing.models import DutyPresence, DutyShift, Lawyer, PresenceCursor, RingNoAnswer
from hotline.routing.presence import (
    LOGGED_IN,
    PAUSED,
    Interval,
    Presence,
    QueueLogLine,
    extension_of,
    open_intervals,
    presence_from_json,
    presence_to_json,
)
from hotline.routing.queue_log import Cursor

_CURSOR_ID = 1


@dataclass(frozen=True, slots=True)
class OnDuty:
    """One lawyer's time in the queues within a span, in hours: logged in (in at least one queue),
    paused (in every queue), and available to take calls (logged in and not paused)."""

    logged_in_hours: float
    paused_hours: float
    available_hours: float


# --- the follower's writes and reads --------------------------------------------------------------


def _at(epoch: int) -> datetime:
    return datetime.fromtimestamp(epoch, UTC)


def record_presence(
    session: Session,
    intervals: Sequence[Interval],
    cursor: Cursor,
    presence: Presence,
    lines: Sequence[QueueLogLine] = (),
) -> None:
    """Add the intervals a reading closed, the offers its ``lines`` say rang out unanswered, and move
    the cursor (with the open presence) past it, in the caller's transaction: a reading is kept
    whole or not at all."""
    for line in lines:
        extension = extension_of(line.agent) if line.event == "RINGNOANSWER" else None
        if extension is not None:
            session.add(
                RingNoAnswer(
                    extension=extension, at=_at(line.at), queue=line.queue[:64], callid=line.callid[:64]
                )
            )
    session.add_all(
        DutyPresence(
            extension=interval.extension,
            state=interval.state,
            starts_at=_at(interval.starts_at),
            ends_at=_at(interval.ends_at),
        )
        for interval in intervals
    )
    row = session.get(PresenceCursor, _CURSOR_ID)
    members = presence_to_json(presence)
    if row is None:
        session.add(PresenceCursor(id=_CURSOR_ID, inode=cursor.inode, offset=cursor.offset, members=members))
    else:
        row.inode, row.offset, row.members = cursor.inode, cursor.offset, members


def presence_reading(session: Session) -> tuple[Cursor | None, Presence]:
    """Where the reading stands and the presence of the members in a queue there (None and no one:
    nothing read yet)."""
    row = session.get(PresenceCursor, _CURSOR_ID)
    if row is None:
        return None, {}
    return Cursor(row.inode, row.offset), presence_from_json(row.members)


# --- the report's questions -----------------------------------------------------------------------


def _overlap(starts_at: datetime, ends_at: datetime, start: datetime, end: datetime) -> float:
    """Seconds of ``[starts_at, ends_at)`` within ``[start, end)``."""
    return max(0.0, (min(ends_at, end) - max(starts_at, start)).total_seconds())


def hours_on_duty(
    session: Session, start: datetime, end: datetime, *, now: datetime | None = None
) -> dict[str, OnDuty]:
    """Extension -> the lawyer's hours in Asterisk's queues within ``[start, end)`` (aware times),
    for every lawyer with time logged in there.

    The intervals are clipped to the span. The ones still open (a lawyer in a queue now) count up
    to ``now`` (default: the current time); the follower reads the queue_log within a second, so
    they end where Asterisk's account will end them. A lawyer in several queues counts once."""
    until = utcnow() if now is None else now
    spans: list[tuple[str, str, datetime, datetime]] = [
        (row.extension, row.state, row.starts_at, row.ends_at)
        for row in session.scalars(
            select(DutyPresence).where(DutyPresence.starts_at < end, DutyPresence.ends_at > start)
        )
    ]
    _cursor, presence = presence_reading(session)
    for interval in open_intervals(presence, int(until.timestamp())):
        spans.append((interval.extension, interval.state, _at(interval.starts_at), until))
    seconds: dict[str, dict[str, float]] = defaultdict(lambda: {LOGGED_IN: 0.0, PAUSED: 0.0})
    for extension, state, starts_at, ends_at in spans:
        within = _overlap(starts_at, ends_at, start, end)
        if within > 0:
            seconds[extension][state] += within
    return {
        extension: OnDuty(
            logged_in_hours=times[LOGGED_IN] / 3600,
            paused_hours=times[PAUSED] / 3600,
            available_hours=max(0.0, times[LOGGED_IN] - times[PAUSED]) / 3600,
        )
        for extension, times in sorted(seconds.items())
        if times[LOGGED_IN] > 0
    }


def rostered_hours(session: Session, start: datetime, end: datetime) -> dict[str, float]:
    """Extension -> the hours the duty roster put the lawyer on duty within ``[start, end)``.

    Only rostered shifts count (``source = "roster"``, imported with the roster). A manual shift,
    which a log-in without a rostered shift opens (``source = "manual"``), is not rostered: that
    time appears only in :func:`hours_on_duty`. Overlapping shifts of one lawyer count once. A
    shift a log-out ended early (:func:`hotline.routing.service.end_shifts`) counts to the end the
    roster gave it (``planned_ends_at``): the lawyer was rostered for it, and the hours on duty
    show what they served."""
    rostered_end = func.coalesce(DutyShift.planned_ends_at, DutyShift.ends_at)
    rows = session.execute(
        select(Lawyer.extension, DutyShift.starts_at, rostered_end)
        .join(DutyShift.lawyer)
        .where(DutyShift.source == "roster", DutyShift.starts_at < end, rostered_end > start)
    )
    shifts: dict[str, list[tuple[datetime, datetime]]] = defaultdict(list)
    for extension, starts_at, ends_at in rows:
        shifts[extension].append((max(starts_at, start), min(ends_at, end)))
    hours = {extension: _union_seconds(spans) / 3600 for extension, spans in sorted(shifts.items())}
    return {extension: value for extension, value in hours.items() if value > 0}


def _union_seconds(spans: Iterable[tuple[datetime, datetime]]) -> float:
    """Seconds covered by at least one of ``spans``."""
    total = 0.0
    reach: datetime | None = None
    for starts_at, ends_at in sorted(spans):
        if reach is None or starts_at > reach:
            total += (ends_at - starts_at).total_seconds()
            reach = ends_at
        elif ends_at > reach:
            total += (ends_at - reach).total_seconds()
            reach = ends_at
    return total
