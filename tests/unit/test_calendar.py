"""The office-hours and holiday calendar: the shipped files, the queries, and every kind of problem."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from hotline.errors import InvalidInputError
from hotline.ivr.calendar import (
    Calendar,
    TimeRange,
    day_kind,
    is_open,
    load_calendar,
    minutes,
    missing_years,
)

FLOWS = Path(__file__).resolve().parents[2] / "ivr_flows"
SHANGHAI = ZoneInfo("Asia/Shanghai")

CALENDAR = """\
timezone: Asia/Shanghai
hours:
  workday: ["08:30-12:00", "13:30-17:30"]
  restday: []
"""
HOLIDAYS = """\
year: 2026
holidays:
  - {name: 国庆节, from: 2026-10-01, to: 2026-10-07}
workdays:
  - {name: 国庆节调休, date: 2026-10-10}
"""


@pytest.fixture(scope="module")
def shipped() -> Calendar:
    return load_calendar(FLOWS / "calendar.yaml", FLOWS / "holidays")


def at(year: int, month: int, day: int, hour: int, minute: int, second: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=SHANGHAI)


def problems_of(tmp_path: Path, calendar: str = CALENDAR, **holidays: str) -> list[str]:
    """The problems load_calendar reports for these files (holiday files named by keyword: y2026=...)."""
    (tmp_path / "calendar.yaml").write_text(calendar, encoding="utf-8")
    (tmp_path / "holidays").mkdir()
    for name, text in (holidays or {"y2026": HOLIDAYS}).items():
        (tmp_path / "holidays" / f"{name.removeprefix('y')}.yaml").write_text(text, encoding="utf-8")
    with pytest.raises(InvalidInputError) as caught:
        load_calendar(tmp_path / "calendar.yaml", tmp_path / "holidays")
    error = caught.value
    assert error.error_id == "calendar-invalid"
    problems: list[str] = error.details["problems"]
    assert error.message.startswith(f"The calendar has {len(problems)} problem(s):\n")
    assert all(problem in error.message for problem in problems)
    return problems


def test_shipped_files_load(shipped: Calendar) -> None:
    assert shipped.timezone == "Asia/Shanghai"
    assert shipped.years == frozenset({2026})
    assert shipped.hours["workday"] == (
        TimeRange(time(8, 30), time(12, 0)),
        TimeRange(time(13, 30), time(17, 30)),
    )
    assert shipped.hours["restday"] == ()
    assert day_kind(shipped, date(2026, 2, 17)) == ("restday", "春节")
    assert day_kind(shipped, date(2026, 1, 4)) == ("workday", "元旦调休")
    assert day_kind(shipped, date(2026, 10, 12)) == ("workday", "weekday")
    assert day_kind(shipped, date(2026, 10, 17)) == ("restday", "weekend")
    holidays = sum(1 for day in shipped.special_days.values() if day.kind == "restday")
    workdays = sorted(day.day for day in shipped.special_days.values() if day.kind == "workday")
    assert holidays == 3 + 9 + 3 + 5 + 3 + 3 + 7
    assert all(day.weekday() >= 5 for day in workdays)
    assert len(workdays) == 6


def test_holidays_and_make_up_days(shipped: Calendar) -> None:
    assert not is_open(shipped, at(2026, 10, 1, 10, 0))  # National Day
    assert is_open(shipped, at(2026, 10, 10, 10, 0))  # Saturday worked (调休)
    assert not is_open(shipped, at(2026, 10, 17, 10, 0))  # an ordinary Saturday


def test_office_hours_of_a_monday(shipped: Calendar) -> None:
    assert is_open(shipped, at(2026, 10, 12, 9, 0))
    assert is_open(shipped, at(2026, 10, 12, 8, 30))
    assert is_open(shipped, at(2026, 10, 12, 17, 29, 59))
    assert not is_open(shipped, at(2026, 10, 12, 12, 30))  # lunch
    assert not is_open(shipped, at(2026, 10, 12, 17, 30))
    assert not is_open(shipped, at(2026, 10, 12, 8, 29))


def test_aware_moments_are_taken_in_the_calendar_time_zone(shipped: Calendar) -> None:
    assert is_open(shipped, datetime(2026, 10, 12, 1, 0, tzinfo=UTC))  # 09:00 in Shanghai
    assert not is_open(shipped, datetime(2026, 10, 11, 23, 0, tzinfo=UTC))  # Monday 07:00 in Shanghai
    with pytest.raises(ValueError, match="time-zone-aware"):
        is_open(shipped, datetime(2026, 10, 12, 9, 0))


def test_minutes() -> None:
    assert minutes(TimeRange(time(8, 30), time(12, 0))) == (510, 720)
    assert minutes(TimeRange(time(18, 0), None)) == (1080, 1440)
    assert str(TimeRange(time(18, 0), None)) == "18:00-24:00"


def test_missing_years(shipped: Calendar) -> None:
    assert missing_years(shipped, date(2026, 6, 1)) == []
    assert missing_years(shipped, date(2026, 11, 30)) == []
    assert missing_years(shipped, date(2026, 12, 1)) == [2027]
    assert missing_years(shipped, date(2027, 3, 1)) == [2027]
    assert missing_years(shipped, date(2025, 12, 31)) == [2025]


def test_an_open_end_of_day_range_is_allowed(tmp_path: Path) -> None:
    (tmp_path / "holidays").mkdir()
    (tmp_path / "holidays" / "2026.yaml").write_text(HOLIDAYS, encoding="utf-8")
    (tmp_path / "calendar.yaml").write_text(
        CALENDAR.replace("restday: []", 'restday: ["20:00-24:00", "00:00-06:00"]'), encoding="utf-8"
    )
    calendar = load_calendar(tmp_path / "calendar.yaml", tmp_path / "holidays")
    assert is_open(calendar, at(2026, 10, 1, 23, 59, 59))
    assert is_open(calendar, at(2026, 10, 2, 0, 0))
    assert not is_open(calendar, at(2026, 10, 2, 6, 0))


@pytest.mark.parametrize(
    ("ranges", "expected"),
    [
        ('["8:30-12:00"]', "calendar.yaml:3: hours.workday.0: '8:30-12:00' is not a time range HH:MM-HH:MM."),
        ('["08:30-25:00"]', "calendar.yaml:3: hours.workday.0: '08:30-25:00' is not a time of day."),
        ('["12:00-08:30"]', "calendar.yaml:3: hours.workday.0: '12:00-08:30' does not end after it starts."),
        ('["18:00-00:00"]', "calendar.yaml:3: hours.workday.0: '18:00-00:00' does not end after it starts."),
        (
            '\n    - "13:30-17:30"\n    - "08:00-18:00"\n    - "08:30-12:00"',
            "calendar.yaml:6: hours.workday.2: 08:30-12:00 overlaps 08:00-18:00.",
        ),
        (
            '\n    - "08:00-18:00"\n    - "08:30-12:00"\n    - "13:30-17:30"',
            "calendar.yaml:6: hours.workday.2: 13:30-17:30 overlaps 08:00-18:00.",
        ),
    ],
)
def test_bad_time_ranges(tmp_path: Path, ranges: str, expected: str) -> None:
    calendar = CALENDAR.replace('["08:30-12:00", "13:30-17:30"]', ranges)
    problems = problems_of(tmp_path, calendar)
    assert any(problem.startswith(expected) for problem in problems), problems
    assert all(" Fix: " in problem for problem in problems)


def test_unknown_time_zone(tmp_path: Path) -> None:
    [problem] = problems_of(tmp_path, CALENDAR.replace("Asia/Shanghai", "Asia/Wenzhou"))
    assert problem.startswith("calendar.yaml:1: timezone: unknown time zone 'Asia/Wenzhou'. Fix: ")


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        (
            "to: 2026-10-07",
            "to: 2026-09-30",
            "2026.yaml:3: holidays.0.from: from 2026-10-01 is after to 2026-09-30.",
        ),
        ("to: 2026-10-07", "to: 2027-01-02", "2026.yaml:3: holidays.0.to: 2027-01-02 is not in 2026"),
        ("year: 2026", "year: 2027", "2026.yaml:1: year: the file is named 2026.yaml but says year 2027."),
        (
            "date: 2026-10-10",
            "date: 2026-10-03",
            "2026.yaml:5: workdays.0: 2026-10-03 is both a holiday and a make-up working day "
            "(国庆节 at 2026.yaml:3).",
        ),
        (
            "date: 2026-10-10",
            "date: 2026-10-12",
            "2026.yaml:5: workdays.0.date: 2026-10-12 is a Monday; a make-up working day is a Saturday",
        ),
        (
            "workdays:",
            "  - {name: 重复, from: 2026-10-07, to: 2026-10-08}\nworkdays:",
            "2026.yaml:4: holidays.1: 2026-10-07 is listed twice (also as 国庆节 at 2026.yaml:3).",
        ),
        ("2026-10-10", "2026-10-1O", "2026.yaml:5: workdays.0.date: '2026-10-1O' is not a date."),
        ("2026-10-10", "2026-02-30", "2026.yaml:5: 2026-02-30 is not a real date"),
    ],
)
def test_bad_holiday_files(tmp_path: Path, old: str, new: str, expected: str) -> None:
    problems = problems_of(tmp_path, y2026=HOLIDAYS.replace(old, new))
    assert any(problem.startswith(expected) for problem in problems), problems
    assert all(" Fix: " in problem for problem in problems)


def test_a_day_listed_in_two_files(tmp_path: Path) -> None:
    other = "year: 2026\nholidays:\n  - {name: 国庆节, from: 2026-10-05, to: 2026-10-08}\n"
    problems = problems_of(tmp_path, y2026=HOLIDAYS, y2026b=other)
    assert any(p.startswith("2026b.yaml:1: year: the file is named 2026b.yaml") for p in problems)
    assert any(
        p.startswith("2026b.yaml:3: holidays.0: 2026-10-05 (and 2 more day(s)) is listed twice")
        for p in problems
    ), problems


def test_all_problems_are_reported_at_once(tmp_path: Path) -> None:
    calendar = 'timezone: Mars/Olympus\nhours:\n  workday: ["09:00-08:00"]\n  restday: []\n  holiday: []\n'
    holidays = "year: 2026\nholidays:\n  - {name: 元旦, from: 2026-01-03, to: 2026-01-01}\nworkdays: 5\n"
    problems = problems_of(tmp_path, calendar, y2026=holidays, y2027="year: 2027\nholidays: []\nextra: 1\n")
    expected = [
        "calendar.yaml:2: hours: Additional properties are not allowed ('holiday' was unexpected).",
        "calendar.yaml:1: timezone: unknown time zone",
        "calendar.yaml:3: hours.workday.0: '09:00-08:00' does not end after it starts.",
        "2026.yaml:3: holidays.0.from: from 2026-01-03 is after to 2026-01-01.",
        "2026.yaml:4: workdays: 5 is not of type 'array'.",
        "2027.yaml:1: (top level): Additional properties are not allowed ('extra' was unexpected).",
    ]
    assert len(problems) == len(expected), problems
    for start in expected:
        assert any(problem.startswith(start) for problem in problems), (start, problems)


def test_unreadable_files_are_problems_too(tmp_path: Path) -> None:
    problems = problems_of(tmp_path, "timezone: [Asia/Shanghai\n", y2026="year: 2026\nholidays: []\n")
    assert len(problems) == 1
    assert problems[0].startswith("calendar.yaml:2: not valid YAML")
    (tmp_path / "calendar.yaml").write_text(CALENDAR, encoding="utf-8")
    with pytest.raises(InvalidInputError, match="no such directory"):
        load_calendar(tmp_path / "calendar.yaml", tmp_path / "nowhere")
