"""The monthly report as data: what every format (XLSX, PDF, the /reports page) shows, in order.

Built by :mod:`hotline.reports.monthly` from the statistics; rendered by
:mod:`hotline.reports.xlsx` and :mod:`hotline.reports.pdf`. Every label is zh-CN, ready to send.
Values are real numbers (``None``: no figure, e.g. a rate with nothing to divide by); a column's
``kind`` says how to show them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

# int: a count; number: a decimal (1 place); percent: a share 0..1 shown as 95.2%; seconds: a
# duration shown as seconds; hours: a duration in hours (1 place); change: a relative change (+0.12
# shown as +12.0%); text.
ColumnKind = Literal["int", "number", "percent", "seconds", "hours", "change", "text"]
Cell = str | int | float | None


@dataclass(frozen=True, slots=True)
class Column:
    key: str
    label: str  # zh-CN
    kind: ColumnKind


@dataclass(frozen=True, slots=True)
class Table:
    """One table of the report; in the XLSX one sheet (named ``title``, at most 31 characters)."""

    key: str  # stable id, e.g. "by_topic"
    title: str  # zh-CN
    columns: tuple[Column, ...]
    rows: tuple[tuple[Cell, ...], ...]
    note: str = ""  # zh-CN, shown under the table (e.g. how a figure is defined)
    # For a table with one measure a row (the summary: calls, answer rate, average wait...): each
    # row's kind, which replaces the kind of every column that is not "text" or "change" in that
    # row. Empty: every column keeps its own kind.
    row_kinds: tuple[ColumnKind, ...] = ()

    def kind_at(self, row: int, column: int) -> ColumnKind:
        """How the cell at ``rows[row][column]`` is shown."""
        kind = self.columns[column].kind
        if self.row_kinds and kind not in ("text", "change"):
            return self.row_kinds[row]
        return kind


@dataclass(frozen=True, slots=True)
class HeatMap:
    """Calls by weekday (rows, Monday first) and local hour (columns 0-23)."""

    key: str
    title: str  # zh-CN
    values: tuple[tuple[int, ...], ...]  # 7 rows of 24


WEEKDAYS_ZH: tuple[str, ...] = ("周一", "周二", "周三", "周四", "周五", "周六", "周日")


@dataclass(frozen=True, slots=True)
class DailySeries:
    """Calls per day of the month, for the chart (and its table)."""

    days: tuple[str, ...]  # YYYY-MM-DD
    offered: tuple[int, ...]
    answered: tuple[int, ...]
    abandoned: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class MonthlyReport:
    month: str  # YYYY-MM
    bureau: str  # e.g. 温州市司法局
    title: str  # e.g. 12348公共法律服务热线 2026年11月 服务情况月报
    generated_at: datetime  # aware
    timezone: str
    # KPI, this month, previous month, change, same month last year, change.
    summary: Table
    daily: DailySeries
    heatmaps: tuple[HeatMap, ...]  # offered, abandoned
    # The rest in order: per day, per topic, per language, per lawyer, per firm, tickets and
    # deadlines, referrals, hand-offs, alerts.
    tables: tuple[Table, ...]

    def all_tables(self) -> tuple[Table, ...]:
        """Every table in report order (the summary first): the XLSX's sheets."""
        return (self.summary, *self.tables)


@dataclass(frozen=True, slots=True)
class Passage:
    """Text written by people for the report (e.g. the measures taken), paragraph by paragraph."""

    key: str
    title: str  # zh-CN
    paragraphs: tuple[str, ...]
    empty: str = ""  # zh-CN, shown when there is no paragraph yet


@dataclass(frozen=True, slots=True)
class CriticismReport:
    """The monthly analysis of citizens' criticism (群众批评意见分析报告)."""

    month: str  # YYYY-MM
    bureau: str
    title: str
    generated_at: datetime  # aware
    timezone: str
    summary: Table  # the month's figures against the month before
    # In order: the trend, by channel, by category, by target, overdue items, excerpts (tables),
    # and the measures taken (the leader's passage).
    sections: tuple[Table | Passage, ...]

    def all_tables(self) -> tuple[Table, ...]:
        return (self.summary, *(section for section in self.sections if isinstance(section, Table)))
