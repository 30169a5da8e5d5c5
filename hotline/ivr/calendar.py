"""Office hours and China's public holidays: when the duty lawyers answer the phone.

``ivr_flows/calendar.yaml`` gives the time zone and the on-duty hours of each kind of day;
``ivr_flows/holidays/<year>.yaml`` lists a year's public holidays and make-up working days (调休),
as the State Council publishes them each November. :func:`load_calendar` reads and checks all of
them and reports every problem at once (file, line, place and fix); :func:`day_kind` and
:func:`is_open` answer questions; :func:`missing_years` names the holiday files still to be added.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path
from types import MappingProxyType
from typing import Any, Final, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from hotline.errors import InvalidInputError
from hotline.ivr.source import Place, Source, load_yaml, schema_problems

ERROR_ID: Final = "calendar-invalid"

DayKind = Literal["workday", "restday"]
DAY_KINDS: Final[tuple[DayKind, ...]] = ("workday", "restday")

_RANGE = re.compile(r"(\d\d):(\d\d)-(\d\d):(\d\d)")
_DATE = re.compile(r"\d{4}-\d\d-\d\d")

_RANGES: Final[dict[str, Any]] = {
    "type": "array",
    "description": 'The on-duty time ranges of this kind of day, e.g. ["08:30-12:00", "13:30-17:30"]; '
    "[] for closed all day.",
    "items": {
        "type": "string",
        "description": 'A time range written "HH:MM-HH:MM" in quotes, 24-hour clock, e.g. "13:30-17:30"; '
        "24:00 may end a range.",
    },
}
CALENDAR_SCHEMA: Final[Mapping[str, Any]] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "Office hours of the 12348 hotline (ivr_flows/calendar.yaml)",
    "type": "object",
    "additionalProperties": False,
    "required": ["timezone", "hours"],
    "properties": {
        "timezone": {"type": "string", "description": "An IANA time zone name, e.g. Asia/Shanghai."},
        "hours": {
            "type": "object",
            "description": "The on-duty hours of each kind of day: workday and restday.",
            "additionalProperties": False,
            "required": list(DAY_KINDS),
            "properties": {"workday": _RANGES, "restday": _RANGES},
        },
    },
}

_NAME: Final = {"type": "string", "minLength": 1, "description": "The day's name, e.g. 国庆节 or 国庆节调休."}
_DAY: Final = {"description": "A date written YYYY-MM-DD without quotes, e.g. 2026-10-01."}
HOLIDAYS_SCHEMA: Final[Mapping[str, Any]] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "A year's public holidays and make-up working days (ivr_flows/holidays/<year>.yaml)",
    "type": "object",
    "additionalProperties": False,
    "required": ["year", "holidays"],
    "properties": {
        "year": {"type": "integer", "description": "The year the file covers, e.g. 2026, as in its name."},
        "holidays": {
            "type": "array",
            "description": "Days off: {name: 国庆节, from: 2026-10-01, to: 2026-10-07}, one per holiday.",
            "items": {
                "type": "object",
                "description": "A holiday {name: ..., from: YYYY-MM-DD, to: YYYY-MM-DD}, both days included.",
                "additionalProperties": False,
                "required": ["name", "from", "to"],
                "properties": {"name": _NAME, "from": _DAY, "to": _DAY},
            },
        },
        "workdays": {
            "type": "array",
            "description": "Make-up working days (调休): {name: 国庆节调休, date: 2026-10-10}; [] if none.",
            "items": {
                "type": "object",
                "description": "A Saturday or Sunday worked: {name: ..., date: YYYY-MM-DD}.",
                "additionalProperties": False,
                "required": ["name", "date"],
                "properties": {"name": _NAME, "date": _DAY},
            },
        },
    },
}


@dataclass(frozen=True, slots=True)
class TimeRange:
    """On duty from ``start`` (included) until ``end`` (excluded); ``end`` None stands for 24:00."""

    start: time
    end: time | None

    def __str__(self) -> str:
        return f"{self.start:%H:%M}-{'24:00' if self.end is None else f'{self.end:%H:%M}'}"


@dataclass(frozen=True, slots=True)
class SpecialDay:
    """A listed day: a public holiday (``restday``) or a make-up working day (``workday``)."""

    day: date
    kind: DayKind
    name: str


@dataclass(frozen=True, slots=True)
class Calendar:
    timezone: str
    hours: Mapping[DayKind, tuple[TimeRange, ...]]
    special_days: Mapping[date, SpecialDay]
    years: frozenset[int]  # the years that have a holiday file


def minutes(range_: TimeRange) -> tuple[int, int]:
    """(start, end) in minutes since midnight; end is 1440 for 24:00."""
    end = 1440 if range_.end is None else range_.end.hour * 60 + range_.end.minute
    return range_.start.hour * 60 + range_.start.minute, end


def day_kind(calendar: Calendar, day: date) -> tuple[DayKind, str]:
    """The kind of ``day`` and why: "weekday", "weekend", or the holiday's or make-up day's name."""
    special = calendar.special_days.get(day)
    if special is not None:
        return special.kind, special.name
    return ("workday", "weekday") if day.weekday() < 5 else ("restday", "weekend")


def is_open(calendar: Calendar, moment: datetime) -> bool:
    """Whether lawyers answer at ``moment`` (time-zone aware; taken in the calendar's time zone)."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"is_open needs a time-zone-aware datetime, got {moment.isoformat()}.")
    local = moment.astimezone(ZoneInfo(calendar.timezone))
    kind, _ = day_kind(calendar, local.date())
    second = local.hour * 3600 + local.minute * 60 + local.second
    return any(start * 60 <= second < end * 60 for start, end in map(minutes, calendar.hours[kind]))


def missing_years(calendar: Calendar, today: date) -> list[int]:
    """The years without a holiday file: this year, and from 1 December on also next year."""
    wanted = [today.year, today.year + 1] if today.month == 12 else [today.year]
    return [year for year in wanted if year not in calendar.years]


def load_calendar(calendar_file: Path, holidays_dir: Path) -> Calendar:
    """Read and check the office hours and every holiday file; raise one error listing all problems."""
    problems: list[str] = []
    timezone, hours = _load_hours(calendar_file, problems)
    special_days, years = _load_holidays(holidays_dir, problems)
    if problems:
        raise InvalidInputError(
            ERROR_ID,
            f"The calendar has {len(problems)} problem(s):\n" + "\n".join(problems),
            problems=problems,
        )
    return Calendar(timezone, MappingProxyType(hours), MappingProxyType(special_days), frozenset(years))


def _read(path: Path, problems: list[str]) -> Source | None:
    try:
        return load_yaml(path, ERROR_ID)
    except InvalidInputError as exc:
        problems.append(exc.message)
    except ValueError as exc:  # PyYAML raises this for an impossible date such as 2026-02-30
        found = [
            f"{path.name}:{number}: {token} is not a real date ({exc}). Fix: correct the month or day."
            for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
            for token in _DATE.findall(line)
            if _bad_date(token)
        ]
        problems.extend(found or [f"{path.name}: {exc}. Fix: correct the dates (YYYY-MM-DD)."])
    return None


def _bad_date(text: str) -> bool:
    try:
        date.fromisoformat(text)
    except ValueError:
        return True
    return False


def _mapping(value: Any) -> dict[Any, Any]:
    return value if isinstance(value, dict) else {}


def _load_hours(path: Path, problems: list[str]) -> tuple[str, dict[DayKind, tuple[TimeRange, ...]]]:
    source = _read(path, problems)
    if source is None:
        return "", {}
    problems.extend(schema_problems(source, CALENDAR_SCHEMA))
    data = _mapping(source.data)
    timezone = data.get("timezone")
    if isinstance(timezone, str):
        try:
            ZoneInfo(timezone)
        except (ZoneInfoNotFoundError, ValueError):
            problems.append(
                source.problem(
                    ("timezone",),
                    f"unknown time zone {timezone!r}.",
                    "use an IANA time zone name such as Asia/Shanghai (mind the capitals).",
                )
            )
    hours: dict[DayKind, tuple[TimeRange, ...]] = {}
    for kind in DAY_KINDS:
        items = _mapping(data.get("hours")).get(kind)
        ranges: list[tuple[TimeRange, Place]] = []
        for index, text in enumerate(items if isinstance(items, list) else []):
            if isinstance(text, str):  # anything else is a schema problem, already reported
                place: Place = ("hours", kind, index)
                parsed = _parse_range(text)
                if isinstance(parsed, TimeRange):
                    ranges.append((parsed, place))
                else:
                    problems.append(source.problem(place, *parsed))
        ranges.sort(key=lambda item: minutes(item[0]))
        latest: TimeRange | None = None  # of the ranges so far, the one that ends last
        for range_, place in ranges:
            if latest is not None and minutes(range_)[0] < minutes(latest)[1]:
                problems.append(
                    source.problem(
                        place,
                        f"{range_} overlaps {latest}.",
                        "ranges of one kind of day must not overlap: merge them or correct the times.",
                    )
                )
            if latest is None or minutes(range_)[1] > minutes(latest)[1]:
                latest = range_
        hours[kind] = tuple(range_ for range_, _ in ranges)
    return timezone if isinstance(timezone, str) else "", hours


def _parse_range(text: str) -> TimeRange | tuple[str, str]:
    """The range written in ``text``, or (problem, fix)."""
    match = _RANGE.fullmatch(text.strip())
    if match is None:
        return f"{text!r} is not a time range HH:MM-HH:MM.", 'write it like "08:30-12:00" (two digits each).'
    start_h, start_m, end_h, end_m = map(int, match.groups())
    if start_h > 23 or start_m > 59 or end_m > 59 or end_h > 24 or (end_h == 24 and end_m):
        return f"{text!r} is not a time of day.", "hours run 00-23 and minutes 00-59; 24:00 may end a range."
    if end_h * 60 + end_m <= start_h * 60 + start_m:
        return (
            f"{text!r} does not end after it starts.",
            "give an end later than the start; write 24:00, not 00:00, for the end of the day.",
        )
    return TimeRange(time(start_h, start_m), None if end_h == 24 else time(end_h, end_m))


def _load_holidays(directory: Path, problems: list[str]) -> tuple[dict[date, SpecialDay], set[int]]:
    if not directory.is_dir():
        problems.append(f"{directory}: no such directory. Fix: create it with one file per year (2026.yaml).")
        return {}, set()
    special: dict[date, SpecialDay] = {}
    listed_at: dict[date, str] = {}  # "2026.yaml:14" for each day in special
    years: set[int] = set()
    for path in sorted(p for p in directory.iterdir() if p.suffix in {".yaml", ".yml"}):
        source = _read(path, problems)
        if source is None:
            continue
        problems.extend(schema_problems(source, HOLIDAYS_SCHEMA))
        data = _mapping(source.data)
        year = data.get("year")
        if not isinstance(year, int) or isinstance(year, bool):
            continue  # reported by the schema; the dates cannot be checked without it
        years.add(year)
        if path.stem != str(year):
            problems.append(
                source.problem(
                    ("year",),
                    f"the file is named {path.name} but says year {year}.",
                    f"name the file {year}.yaml, or correct the year.",
                )
            )
        lists: tuple[tuple[str, DayKind], ...] = (("holidays", "restday"), ("workdays", "workday"))
        for key, kind in lists:
            entries = data.get(key)
            for index, entry in enumerate(entries if isinstance(entries, list) else []):
                place: Place = (key, index)
                name = _mapping(entry).get("name")
                days = _entry_days(source, place, _mapping(entry), year, problems)
                if days and isinstance(name, str):
                    new = SpecialDay(days[0], kind, name)
                    _add(source, place, days, new, special, listed_at, problems)
    return special, years


def _entry_days(
    source: Source, place: Place, entry: dict[Any, Any], year: int, problems: list[str]
) -> list[date]:
    if place[0] == "workdays":
        day = _date(source, (*place, "date"), entry, year, problems)
        if day is not None and day.weekday() < 5:
            problems.append(
                source.problem(
                    (*place, "date"),
                    f"{day} is a {day:%A}; a make-up working day is a Saturday or Sunday worked.",
                    "correct the date, or remove the entry (Monday to Friday are working days anyway).",
                )
            )
        return [] if day is None else [day]
    first = _date(source, (*place, "from"), entry, year, problems)
    last = _date(source, (*place, "to"), entry, year, problems)
    if first is None or last is None:
        return []
    if first > last:
        problems.append(
            source.problem(
                (*place, "from"), f"from {first} is after to {last}.", "swap them, or correct the dates."
            )
        )
        return []
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


def _date(source: Source, place: Place, entry: dict[Any, Any], year: int, problems: list[str]) -> date | None:
    if place[-1] not in entry:
        return None  # reported by the schema
    value = entry[place[-1]]
    if isinstance(value, str) and _DATE.fullmatch(value) and not _bad_date(value):
        value = date.fromisoformat(value)
    if not isinstance(value, date) or isinstance(value, datetime):
        problems.append(
            source.problem(place, f"{value!r} is not a date.", "write it YYYY-MM-DD, e.g. 2026-10-01.")
        )
        return None
    if value.year != year:
        problems.append(
            source.problem(
                place,
                f"{value} is not in {year}, the year of this file.",
                f"correct the date, or list it in {value.year}.yaml.",
            )
        )
        return None
    return value


def _add(
    source: Source,
    place: Place,
    days: list[date],
    new: SpecialDay,
    special: dict[date, SpecialDay],
    listed_at: dict[date, str],
    problems: list[str],
) -> None:
    """Record ``days`` as ``new``'s kind and name; report (once per entry) days already listed."""
    clashes = [day for day in days if day in special]
    if clashes:
        old = special[clashes[0]]
        more = f" (and {len(clashes) - 1} more day(s))" if len(clashes) > 1 else ""
        if old.kind != new.kind:
            problem = f"{clashes[0]}{more} is both a holiday and a make-up working day ({old.name}"
            fix = "a day is either off or worked: remove it from holidays or from workdays."
        else:
            problem = f"{clashes[0]}{more} is listed twice (also as {old.name}"
            fix = "list each day once: remove the repeat or correct the dates."
        problems.append(source.problem(place, f"{problem} at {listed_at[clashes[0]]}).", fix))
    where = f"{source.path.name}:{source.line(place)}"
    for day in days:
        if day not in special:
            special[day] = SpecialDay(day, new.kind, new.name)
            listed_at[day] = where
