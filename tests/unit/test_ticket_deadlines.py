"""Deadlines (限时办结), pure: hours, calendar days and working days by the shipped holiday calendar."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from hotline.ivr.calendar import Calendar, load_calendar
from hotline.settings import TicketSettings
from hotline.tickets.deadlines import due_at, parse_rule

FLOWS = Path(__file__).resolve().parents[2] / "ivr_flows"
BEIJING = ZoneInfo("Asia/Shanghai")


@pytest.fixture(scope="module")
def calendar() -> Calendar:
    return load_calendar(FLOWS / "calendar.yaml", FLOWS / "holidays")


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=BEIJING)


@pytest.mark.parametrize(
    ("start", "rule", "due"),
    [
        ("2026-11-27 15:00", "24h", "2026-11-28 15:00"),  # hours run through the weekend
        ("2026-11-27 15:00", "2d", "2026-11-29 15:00"),
        ("2026-11-27 15:00", "3wd", "2026-12-02 15:00"),  # Friday: Mon, Tue, Wed
        ("2026-11-28 10:00", "1wd", "2026-11-30 10:00"),  # Saturday: the next working day
        ("2026-09-30 09:00", "1wd", "2026-10-08 09:00"),  # National Day week off
        ("2026-10-09 17:00", "1wd", "2026-10-10 17:00"),  # Saturday 10 Oct is a make-up working day
    ],
)
def test_deadlines(calendar: Calendar, start: str, rule: str, due: str) -> None:
    assert due_at(at(start), parse_rule(rule), calendar) == at(due)


def test_a_deadline_keeps_the_start_s_time_zone(calendar: Calendar) -> None:
    start = at("2026-11-27 15:00").astimezone(ZoneInfo("UTC"))
    due = due_at(start, parse_rule("3wd"), calendar)
    assert due.tzinfo == start.tzinfo and due == at("2026-12-02 15:00")


@pytest.mark.parametrize("text", ["", "24", "3 days", "0h", "1w", "-2d", "10000h"])
def test_a_bad_rule_says_how_to_write_one(text: str) -> None:
    with pytest.raises(ValueError, match=r"hours \(24h\), calendar days \(2d\) or working days \(3wd\)"):
        parse_rule(text)


def test_a_bad_configured_deadline_is_refused_at_start() -> None:
    with pytest.raises(ValueError, match=r"HOTLINE_TICKETS__DEADLINES\['legal-aid'\]"):
        TicketSettings(deadlines={"legal-aid": "three days"})
