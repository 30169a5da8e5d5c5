"""Local calendar periods (pure): a range of local days as UTC instants, stretches of constant UTC
offset, and the time buckets figures are grouped by.

The database is asked in the finest time grain needed (``day``: ``YYYY-MM-DD``, or ``hour``:
``YYYY-MM-DD HH``, both local); weeks, months, weekdays and hours of the day are derived here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Final, Literal
from zoneinfo import ZoneInfo

TimeGrain = Literal["none", "day", "hour"]
TIME_DIMENSIONS: Final = ("hour", "weekday", "day", "week", "month")


@dataclass(frozen=True, slots=True)
class Span:
    """UTC instants ``[start, end)`` over which the zone's offset from UTC is ``offset_minutes``."""

    start: datetime
    end: datetime
    offset_minutes: int


@dataclass(frozen=True, slots=True)
class Period:
    """Local days ``first`` up to (not including) ``until``, in ``timezone``."""

    first: date
    until: date
    timezone: str

    @property
    def start(self) -> datetime:
        return local_midnight(self.first, self.timezone)

    @property
    def end(self) -> datetime:
        return local_midnight(self.until, self.timezone)

    def days(self) -> list[str]:
        count = (self.until - self.first).days
        return [(self.first + timedelta(days=n)).isoformat() for n in range(count)]


def local_midnight(day: date, timezone: str) -> datetime:
    """The UTC instant the local day starts."""
    return datetime.combine(day, time(0), ZoneInfo(timezone)).astimezone(UTC)


def month_period(month: str, timezone: str) -> Period:
    """``YYYY-MM`` as a period of local days."""
    first = date.fromisoformat(f"{month}-01")
    return Period(first, add_months(first, 1), timezone)


def add_months(day: date, months: int) -> date:
    """The first of the month ``months`` after ``day``'s month."""
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def today(now: datetime, timezone: str) -> Period:
    local = now.astimezone(ZoneInfo(timezone)).date()
    return Period(local, local + timedelta(days=1), timezone)


def _offset(moment: datetime, zone: ZoneInfo) -> int:
    offset = moment.astimezone(zone).utcoffset()
    assert offset is not None
    return int(offset.total_seconds() // 60)


def spans(start: datetime, end: datetime, timezone: str) -> list[Span]:
    """``[start, end)`` cut where the zone's UTC offset changes (never, in Asia/Shanghai): within a
    span, local time is UTC plus a fixed offset, which every database can add. Changes are found to
    the minute (zones change on whole minutes)."""
    zone = ZoneInfo(timezone)
    result: list[Span] = []
    cursor, offset = start, _offset(start, zone)
    probe = start
    while probe < end:
        following = min(probe + timedelta(hours=1), end)
        if _offset(following, zone) != offset:
            low, high = 0, -(-(following - probe) // timedelta(minutes=1))  # minutes after probe
            while high - low > 1:
                middle = (low + high) // 2
                if _offset(probe + timedelta(minutes=middle), zone) == offset:
                    low = middle
                else:
                    high = middle
            change = min(probe + timedelta(minutes=high), end)
            result.append(Span(cursor, change, offset))
            cursor, offset = change, _offset(change, zone)
        probe = following
    result.append(Span(cursor, end, offset))
    return [span for span in result if span.start < span.end] or [Span(start, end, offset)]


def grain_for(by: tuple[str, ...]) -> TimeGrain:
    """The finest local time the database must group by for these dimensions."""
    if "hour" in by or "weekday" in by:
        return "hour"
    if {"day", "week", "month"} & set(by):
        return "day"
    return "none"


def bucket(dimension: str, local: str) -> str | int:
    """A time dimension's value from a local ``YYYY-MM-DD`` or ``YYYY-MM-DD HH`` bucket:
    hour 0-23, weekday 1 (Monday) - 7, day ``YYYY-MM-DD``, week (its Monday) ``YYYY-MM-DD``,
    month ``YYYY-MM``."""
    if dimension == "hour":
        return int(local[11:13])
    day = date.fromisoformat(local[:10])
    if dimension == "day":
        return local[:10]
    if dimension == "weekday":
        return day.isoweekday()
    if dimension == "week":
        return (day - timedelta(days=day.weekday())).isoformat()
    if dimension == "month":
        return local[:7]
    raise ValueError(f"not a time dimension: {dimension}")
