"""Duty attendance, pure: rostered shifts against the time a lawyer was logged in (late, left early,
absent), and pauses beyond the daily allowance. Times in, minutes out; no clock inside."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo


@dataclass(frozen=True, slots=True)
class Interval:
    start: datetime  # aware
    end: datetime  # aware, exclusive; at or after start

    def __post_init__(self) -> None:
        if self.start.utcoffset() is None or self.end.utcoffset() is None:
            raise ValueError(
                f"An interval needs aware datetimes (with a time zone): {self.start}, {self.end}."
            )
        if _utc(self.end) < _utc(self.start):
            raise ValueError(f"An interval ends at or after its start: {self.start} to {self.end}.")

    @property
    def minutes(self) -> float:
        return _minutes(self.start, self.end)


# Arithmetic and comparisons in UTC: Python compares and subtracts two datetimes of the same zone by
# their wall clocks, which is wrong across a daylight-saving change.
def _utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC)


def _minutes(start: datetime, end: datetime) -> float:
    return (_utc(end) - _utc(start)).total_seconds() / 60


def merge(intervals: Sequence[Interval]) -> list[Interval]:
    """The same moments as ``intervals`` (overlapping, touching or repeated, in any order) as disjoint
    intervals in order, in UTC; empty ones dropped."""
    merged: list[Interval] = []
    for start, end in sorted((_utc(i.start), _utc(i.end)) for i in intervals):
        if end == start:
            continue
        if merged and start <= merged[-1].end:
            if end > merged[-1].end:
                merged[-1] = Interval(merged[-1].start, end)
        else:
            merged.append(Interval(start, end))
    return merged


@dataclass(frozen=True, slots=True)
class ShiftAttendance:
    shift: Interval
    present_minutes: float  # logged in within the shift
    late_minutes: float  # counted only beyond the grace, then in full
    left_early_minutes: float  # likewise
    absent: bool  # no presence in the shift at all


@dataclass(frozen=True, slots=True)
class Attendance:
    rostered_minutes: float
    present_minutes: float  # presence within shifts
    on_duty_minutes: float  # all presence, in shifts or not
    late_minutes: float
    left_early_minutes: float
    absent_minutes: float  # the length of the shifts missed whole
    absent_shifts: int
    shifts: tuple[ShiftAttendance, ...]

    @property
    def missed_minutes(self) -> float:
        """Late + left early + absent: the assessment's figure ``attendance_minutes``."""
        return self.late_minutes + self.left_early_minutes + self.absent_minutes


def _shift_attendance(shift: Interval, presence: Sequence[Interval], grace_minutes: float) -> ShiftAttendance:
    """``presence``: merged (disjoint, in order, in UTC)."""
    start, end = _utc(shift.start), _utc(shift.end)
    pieces = [(max(start, p.start), min(end, p.end)) for p in presence if p.start < end and p.end > start]
    if not pieces:
        return ShiftAttendance(shift, 0.0, 0.0, 0.0, absent=True)
    late = _minutes(start, pieces[0][0])
    early = _minutes(pieces[-1][1], end)
    return ShiftAttendance(
        shift,
        present_minutes=sum(_minutes(a, b) for a, b in pieces),
        late_minutes=late if late > grace_minutes else 0.0,
        left_early_minutes=early if early > grace_minutes else 0.0,
        absent=False,
    )


def attendance(
    shifts: Sequence[Interval], presence: Sequence[Interval], *, grace_minutes: float = 5
) -> Attendance:
    """Each shift against the presence (merged first): a shift without any presence is absent (its
    length counted as absent, not late or early); otherwise late is the start to the first moment
    present and left early the last moment present to the end, each counted in full when over
    ``grace_minutes``. Gaps inside a shift only lower its present minutes."""
    if grace_minutes < 0:
        raise ValueError(f"The grace is 0 minutes or more, not {grace_minutes}.")
    merged = merge(presence)
    per_shift = tuple(
        _shift_attendance(shift, merged, grace_minutes)
        for shift in sorted(shifts, key=lambda s: _utc(s.start))
    )
    absent = [s for s in per_shift if s.absent]
    return Attendance(
        rostered_minutes=sum(s.shift.minutes for s in per_shift),
        present_minutes=sum(s.present_minutes for s in per_shift),
        on_duty_minutes=sum(p.minutes for p in merged),
        late_minutes=sum(s.late_minutes for s in per_shift),
        left_early_minutes=sum(s.left_early_minutes for s in per_shift),
        absent_minutes=sum(s.shift.minutes for s in absent),
        absent_shifts=len(absent),
        shifts=per_shift,
    )


def _next_local_midnight(moment: datetime, zone: ZoneInfo) -> datetime:
    day = moment.astimezone(zone).date()
    return _utc(datetime.combine(date.fromordinal(day.toordinal() + 1), time(0), tzinfo=zone))


def paused_beyond(paused: Sequence[Interval], *, allowance_minutes_per_day: float, zone: ZoneInfo) -> float:
    """Minutes paused beyond the allowance, day by day: the pauses (merged first) are split at local
    midnight in ``zone``, each local day's total beyond the allowance counted, and the days summed."""
    if allowance_minutes_per_day < 0:
        raise ValueError(f"The daily allowance is 0 minutes or more, not {allowance_minutes_per_day}.")
    per_day: defaultdict[date, float] = defaultdict(float)
    for pause in merge(paused):
        start = pause.start
        while start < pause.end:
            end = min(pause.end, _next_local_midnight(start, zone))
            per_day[start.astimezone(zone).date()] += _minutes(start, end)
            start = end
    return sum(max(0.0, minutes - allowance_minutes_per_day) for minutes in per_day.values())
