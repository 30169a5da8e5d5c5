"""How the report's figures and dates read as text (the PDF; the XLSX keeps numbers and formats them
with the same rules as Excel number formats, see :mod:`hotline.reports.xlsx`)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Final
from zoneinfo import ZoneInfo

from hotline.reports.document import Cell, ColumnKind

# What a cell without a figure shows (a rate with nothing to divide by, a month without data).
NO_FIGURE: Final = "—"
# Titles of what the report shows beside its tables.
DAILY_TITLE: Final = "每日来电"
HEATMAPS_TITLE: Final = "来电时段分布"
# The kinds shown as figures: right-aligned, one digit style.
FIGURE_KINDS: Final[frozenset[ColumnKind]] = frozenset(
    {"int", "number", "percent", "seconds", "hours", "change"}
)


def format_cell(value: Cell, kind: ColumnKind) -> str:
    """``value`` as the report shows it: 1234, 12.5, 95.2%, 35, 3.5, +12.0%; ``None`` as a dash.

    A text column shows its value as it is; a figure in a text column (or text in a figure column)
    is shown as it is too rather than refused: the report is built from data, not typed in.
    """
    if value is None:
        return NO_FIGURE
    if isinstance(value, str) or kind == "text":
        return str(value)
    if kind in ("int", "seconds"):
        return f"{value:.0f}"
    if kind in ("number", "hours"):
        return f"{value:.1f}"
    if kind == "percent":
        return f"{value:.1%}"
    return f"{value:+.1%}"  # change


def month_label(month: str) -> str:
    """``2026-11`` -> ``2026年11月``."""
    year, number = month.split("-")
    return f"{int(year)}年{int(number)}月"


def local_time(moment: datetime, timezone: str) -> datetime:
    """``moment`` (aware) on the wall clock of ``timezone``, without the zone (as a cell shows it)."""
    return moment.astimezone(ZoneInfo(timezone)).replace(tzinfo=None)


def time_label(moment: datetime, timezone: str) -> str:
    """``2026年12月3日 09:30``, in ``timezone``'s local time."""
    local = local_time(moment, timezone)
    return f"{local.year}年{local.month}月{local.day}日 {local:%H:%M}"


def day_of_month(day: str) -> int:
    """``2026-11-07`` -> 7."""
    return date.fromisoformat(day).day


def chinese_ordinal(number: int) -> str:
    """1 -> 一, 10 -> 十, 12 -> 十二, 20 -> 二十, 35 -> 三十五 (section numbers, 1..99)."""
    if not 1 <= number <= 99:
        raise ValueError(f"section number {number} is outside 1..99")
    digits = "零一二三四五六七八九"
    tens, ones = divmod(number, 10)
    if tens == 0:
        return digits[ones]
    head = "十" if tens == 1 else f"{digits[tens]}十"
    return head + (digits[ones] if ones else "")
