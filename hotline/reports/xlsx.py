"""Reports as Excel workbooks (the monthly report; the criticism report, :func:`render_criticism_xlsx`):
numbers stay numbers, formatted by Excel.

Sheets, in the PDF's order: the summary (with the report's title, bureau, month and time of
generation above it), calls per day, one sheet per heat map (周一..周日 by hour 0-23), then every
other table. Each sheet's header row is bold and frozen; a table's note is under it. The bytes
depend on the report only (the generated time included): the archive's timestamps are that time.
"""

from __future__ import annotations

import io
import unicodedata
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from typing import Any, Final

from hotline.reports.display import DAILY_TITLE, NO_FIGURE, format_cell, local_time, month_label
from hotline.reports.document import (
    WEEKDAYS_ZH,
    Cell,
    ColumnKind,
    CriticismReport,
    DailySeries,
    HeatMap,
    MonthlyReport,
    Passage,
    Table,
)

# Excel number formats by column kind (text: General).
NUMBER_FORMATS: Final[dict[ColumnKind, str]] = {
    "int": "0",
    "number": "0.0",
    "percent": "0.0%",
    "seconds": "0",
    "hours": "0.0",
    "change": "+0.0%;-0.0%",
    "text": "General",
}
DATE_FORMAT: Final = "yyyy-mm-dd"
TIME_FORMAT: Final = "yyyy-mm-dd hh:mm"
SHEET_TITLE_LENGTH: Final = 31  # Excel's limit
_SHEET_TITLE_FORBIDDEN: Final = str.maketrans(dict.fromkeys("[]:*?/\\", "_"))
_MIN_WIDTH: Final = 6
_MAX_WIDTH: Final = 50
DAILY_HEADER: Final = ("日期", "呼入", "接通", "放弃")

Entry = tuple[Cell | date, ColumnKind | None]  # a cell's value and how it is shown (None: a date)


def render_xlsx(report: MonthlyReport) -> bytes:
    """The workbook's bytes (.xlsx)."""
    return render_sheets(
        sheet_plans(report),
        title=report.title,
        creator=report.bureau,
        generated_at=report.generated_at,
        timezone=report.timezone,
    )


def render_criticism_xlsx(report: CriticismReport) -> bytes:
    """The criticism report's workbook: the summary (with the cover block), one sheet per table,
    and the measures taken, a paragraph a row."""
    summary = replace(_table_plan(report.summary), heading=report.title, cover=_cover(report))
    plans = [summary]
    for section in report.sections:
        if isinstance(section, Passage):
            rows: list[list[Entry]] = [[(paragraph, "text")] for paragraph in section.paragraphs]
            plans.append(SheetPlan(section.title, [section.title], rows or [[(section.empty, "text")]]))
        else:
            plans.append(_table_plan(section))
    return render_sheets(
        plans,
        title=report.title,
        creator=report.bureau,
        generated_at=report.generated_at,
        timezone=report.timezone,
    )


def _cover(report: MonthlyReport | CriticismReport) -> tuple[tuple[str, str | datetime], ...]:
    return (
        ("单位", report.bureau),
        ("统计月份", month_label(report.month)),
        ("生成时间", local_time(report.generated_at, report.timezone)),
    )


def render_sheets(
    plans: Sequence[SheetPlan], *, title: str, creator: str, generated_at: datetime, timezone: str
) -> bytes:
    """A workbook of ``plans``, one sheet each, its bytes depending on its content only."""
    import openpyxl  # type: ignore[import-untyped, unused-ignore]
    from openpyxl.writer.excel import ExcelWriter  # type: ignore[import-untyped, unused-ignore]

    workbook = openpyxl.Workbook()
    workbook.remove(workbook.active)
    for sheet_title, plan in zip(unique_sheet_titles([plan.title for plan in plans]), plans, strict=True):
        _write_sheet(workbook.create_sheet(sheet_title), plan)
    generated = generated_at.astimezone(UTC).replace(tzinfo=None)
    workbook.properties.title = title
    workbook.properties.creator = creator
    workbook.properties.created = generated
    workbook.properties.modified = generated
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        ExcelWriter(workbook, archive).write_data()
    return with_fixed_timestamps(buffer.getvalue(), local_time(generated_at, timezone))


@dataclass(frozen=True, slots=True)
class SheetPlan:
    """What one sheet holds: a header, rows, a note; the first sheet also the report's cover block
    (``heading`` and its ``(label, value)`` lines) above its header."""

    title: str
    header: Sequence[Cell]
    rows: Sequence[Sequence[Entry]]
    note: str = ""
    heading: str = ""
    cover: Sequence[tuple[str, str | datetime]] = ()


def _write_sheet(sheet: Any, plan: SheetPlan) -> None:
    """Fill ``sheet`` (an openpyxl worksheet) with ``plan``."""
    from openpyxl.styles import Alignment, Font  # type: ignore[import-untyped, unused-ignore]
    from openpyxl.utils import get_column_letter  # type: ignore[import-untyped, unused-ignore]

    bold = Font(bold=True)
    row = 1
    if plan.heading:
        sheet.cell(row, 1, plan.heading).font = Font(bold=True, size=14)
        for name, detail in plan.cover:
            row += 1
            sheet.cell(row, 1, name).font = bold
            cell = sheet.cell(row, 2, detail)
            cell.alignment = Alignment(horizontal="left")
            if isinstance(detail, datetime):
                cell.number_format = TIME_FORMAT
        row += 2  # a blank line before the table
    header_row = row
    for column, label in enumerate(plan.header, start=1):
        cell = sheet.cell(header_row, column, label)
        cell.font = bold
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
    for entries in plan.rows:
        row += 1
        for column, (value, kind) in enumerate(entries, start=1):
            if value is None:
                continue  # no figure: an empty cell
            cell = sheet.cell(row, column, value)
            if isinstance(value, date):
                cell.number_format = DATE_FORMAT
            elif kind is not None and not isinstance(value, str):
                cell.number_format = NUMBER_FORMATS[kind]
    if plan.note:
        sheet.cell(row + 2, 1, f"注：{plan.note}").font = Font(italic=True, color="666666")
    sheet.freeze_panes = sheet.cell(header_row + 1, 1).coordinate
    for column, width in enumerate(column_widths(plan.header, plan.rows), start=1):
        sheet.column_dimensions[get_column_letter(column)].width = width


def sheet_plans(report: MonthlyReport) -> list[SheetPlan]:
    """The workbook's sheets in order (titles as the report has them, before they are made valid)."""
    summary = replace(_table_plan(report.summary), heading=report.title, cover=_cover(report))
    return [
        summary,
        _daily_plan(report.daily),
        *(_heatmap_plan(heatmap) for heatmap in report.heatmaps),
        *(_table_plan(table) for table in report.tables),
    ]


def _table_plan(table: Table) -> SheetPlan:
    rows = [
        [(value, table.kind_at(index, column)) for column, value in enumerate(row)]
        for index, row in enumerate(table.rows)
    ]
    return SheetPlan(table.title, [column.label for column in table.columns], rows, table.note)


def _daily_plan(daily: DailySeries) -> SheetPlan:
    rows: list[list[Entry]] = [
        [(date.fromisoformat(day), None), (offered, "int"), (answered, "int"), (abandoned, "int")]
        for day, offered, answered, abandoned in zip(
            daily.days, daily.offered, daily.answered, daily.abandoned, strict=True
        )
    ]
    return SheetPlan(DAILY_TITLE, DAILY_HEADER, rows)


def _heatmap_plan(heatmap: HeatMap) -> SheetPlan:
    header: list[Cell] = ["星期", *range(24)]
    rows: list[list[Entry]] = [
        [(weekday, "text"), *((value, "int") for value in values)]
        for weekday, values in zip(WEEKDAYS_ZH, heatmap.values, strict=True)
    ]
    return SheetPlan(heatmap.title, header, rows, "列为当地时间的小时（0 表示 0:00-0:59）。")


def unique_sheet_titles(titles: Iterable[str]) -> list[str]:
    """Valid, distinct sheet titles: at most 31 characters, none of ``[]:*?/\\``, no two equal when
    case is ignored (as Excel compares them); a repeat gets ``(2)``, ``(3)``..."""
    seen: set[str] = set()
    result = []
    for raw in titles:
        base = raw.translate(_SHEET_TITLE_FORBIDDEN).strip().strip("'") or "Sheet"
        title = base[:SHEET_TITLE_LENGTH]
        number = 1
        while title.casefold() in seen:
            number += 1
            suffix = f"({number})"
            title = base[: SHEET_TITLE_LENGTH - len(suffix)] + suffix
        seen.add(title.casefold())
        result.append(title)
    return result


def column_widths(header: Sequence[Cell], rows: Sequence[Sequence[Entry]]) -> list[float]:
    """Each column's width in Excel's units (about one Latin character; a Chinese one counts two)."""
    widths = [display_width(format_cell(label, "text")) for label in header]
    for values in rows:
        for column, (value, kind) in enumerate(values):
            text = value.isoformat() if isinstance(value, date) else format_cell(value, kind or "text")
            if text != NO_FIGURE:
                widths[column] = max(widths[column], display_width(text))
    return [float(min(max(width + 2, _MIN_WIDTH), _MAX_WIDTH)) for width in widths]


def display_width(text: str) -> int:
    """Columns ``text`` takes in a fixed-width grid: wide (CJK) characters take two."""
    return sum(2 if unicodedata.east_asian_width(char) in ("W", "F") else 1 for char in text)


def with_fixed_timestamps(workbook: bytes, moment: datetime) -> bytes:
    """The same archive with every member dated ``moment`` (a zip otherwise records the time of
    writing, and two renders of one report would differ)."""
    stamp = (moment.year, moment.month, moment.day, moment.hour, moment.minute, moment.second)
    output = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(workbook)) as source, zipfile.ZipFile(output, "w") as target:
        for member in source.infolist():
            info = zipfile.ZipInfo(member.filename, date_time=stamp)
            info.compress_type = zipfile.ZIP_DEFLATED
            target.writestr(info, source.read(member))
    return output.getvalue()
