"""Deadlines (限时办结), pure: rules like ``24h`` or ``3wd`` turned into moments with the holiday calendar."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from hotline.ivr.calendar import Calendar, day_kind
from hotline.settings import DEADLINE_RULE, DEADLINE_RULE_HINT


@dataclass(frozen=True, slots=True)
class Rule:
    count: int
    unit: str  # h: hours, d: calendar days, wd: working days (the holiday calendar's, 调休 included)

    def __str__(self) -> str:
        return f"{self.count}{self.unit}"


def parse_rule(text: str) -> Rule:
    match = DEADLINE_RULE.match(text.strip())
    if match is None:
        raise ValueError(DEADLINE_RULE_HINT % text)
    return Rule(int(match["count"]), match["unit"])


def due_at(start: datetime, rule: Rule, calendar: Calendar) -> datetime:
    """When something started at ``start`` is due under ``rule``.

    Working days keep the clock time: a referral on Friday 15:00 with 3wd is due on Wednesday
    15:00, skipping the weekend and any public holiday, and counting make-up working days."""
    if start.tzinfo is None:
        raise ValueError("due_at needs a time-zone-aware start")
    if rule.unit == "h":
        return start + timedelta(hours=rule.count)
    if rule.unit == "d":
        return start + timedelta(days=rule.count)
    local = start.astimezone(ZoneInfo(calendar.timezone))
    day, left = local.date(), rule.count
    while left:
        day += timedelta(days=1)
        if day_kind(calendar, day)[0] == "workday":
            left -= 1
    moment = datetime.combine(day, local.timetz().replace(tzinfo=None), ZoneInfo(calendar.timezone))
    return moment.astimezone(start.tzinfo)
