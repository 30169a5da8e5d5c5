"""The monthly report rendered to XLSX and PDF, read back as a reader would: the workbook with
openpyxl (numbers as numbers, Excel formats, frozen headers), the PDF with poppler's tools (the text
a reader sees, the fonts embedded, no glyph the font lacks, pages)."""

from __future__ import annotations

import io
import os
import re
import shutil
import subprocess
import sys
import zipfile
from datetime import date, datetime
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from fontTools.ttLib import TTCollection, TTFont

import hotline
from hotline.errors import ConfigurationError
from hotline.reports import fonts
from hotline.reports.display import DAILY_TITLE, chinese_ordinal, format_cell, month_label, time_label
from hotline.reports.document import WEEKDAYS_ZH, MonthlyReport
from hotline.reports.fonts import find_cjk_font
from hotline.reports.pdf import render_pdf
from hotline.reports.xlsx import NUMBER_FORMATS, render_xlsx, unique_sheet_titles
from tests.report_sample import BUREAU, LAWYERS, TITLE, empty_report, sample_report


def _poppler(tool: str, *args: str) -> str:
    if shutil.which(tool) is None:
        pytest.fail(f"{tool} is not installed: run scripts/setup (apt package poppler-utils)")
    return subprocess.run([tool, *args], capture_output=True, text=True, check=True, timeout=60).stdout


def _squeeze(text: str) -> str:
    """``text`` without whitespace (pdftotext breaks lines where the layout does)."""
    return re.sub(r"\s+", "", text)


@pytest.fixture(scope="module")
def report() -> MonthlyReport:
    return sample_report()


@pytest.fixture(scope="module")
def workbook(report: MonthlyReport) -> Any:
    return openpyxl.load_workbook(io.BytesIO(render_xlsx(report)))


@pytest.fixture(scope="module")
def pdf_file(report: MonthlyReport, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("report") / "report.pdf"
    path.write_bytes(render_pdf(report))
    return path


@pytest.fixture(scope="module")
def pdf_text(pdf_file: Path) -> str:
    return _poppler("pdftotext", "-enc", "UTF-8", str(pdf_file), "-")


# --- how figures read ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "kind", "text"),
    [
        (4886, "int", "4886"),
        (1236.54, "hours", "1236.5"),
        (87.0, "number", "87.0"),
        (0.93737, "percent", "93.7%"),
        (1.0, "percent", "100.0%"),
        (18.6, "seconds", "19"),
        (0.0853, "change", "+8.5%"),
        (-0.123, "change", "-12.3%"),
        (0.0, "change", "+0.0%"),
        (None, "percent", "—"),
        ("婚姻家庭", "text", "婚姻家庭"),
    ],
)
def test_figures_read_as_their_kind_says(value: float | str | None, kind: Any, text: str) -> None:
    assert format_cell(value, kind) == text


def test_dates_and_section_numbers_read_in_chinese() -> None:
    assert month_label("2026-11") == "2026年11月"
    assert (
        time_label(datetime.fromisoformat("2026-12-03T01:30:00+00:00"), "Asia/Shanghai")
        == "2026年12月3日 09:30"
    )
    assert [chinese_ordinal(n) for n in (1, 9, 10, 11, 12, 20, 35)] == [
        "一",
        "九",
        "十",
        "十一",
        "十二",
        "二十",
        "三十五",
    ]


def test_a_summary_row_shows_its_figures_as_that_row_kind(report: MonthlyReport) -> None:
    summary = report.summary
    rate = next(index for index, row in enumerate(summary.rows) if row[0] == "接通率")
    assert [summary.kind_at(rate, column) for column in range(6)] == [
        "text",
        "percent",
        "percent",
        "change",
        "percent",
        "change",
    ]


# --- XLSX ---------------------------------------------------------------------------------------


def _header_row(first_sheet: bool) -> int:
    return 6 if first_sheet else 1  # the first sheet has the title, bureau, month and time above


def test_every_table_is_a_sheet_in_the_pdf_order_with_a_bold_frozen_header(
    report: MonthlyReport, workbook: Any
) -> None:
    heatmap_titles = [heatmap.title for heatmap in report.heatmaps]
    assert workbook.sheetnames == [
        report.summary.title,
        DAILY_TITLE,
        *heatmap_titles,
        *(table.title for table in report.tables),
    ]
    for table in report.all_tables():
        sheet = workbook[table.title]
        header = _header_row(table is report.summary)
        assert [cell.value for cell in sheet[header]] == [column.label for column in table.columns]
        assert all(cell.font.bold for cell in sheet[header])
        assert sheet.freeze_panes == f"A{header + 1}"
        assert all(sheet.column_dimensions[cell.column_letter].width >= 6 for cell in sheet[header]), (
            table.title
        )


def test_figures_are_numbers_in_the_format_of_their_kind_and_no_figure_is_an_empty_cell(
    report: MonthlyReport, workbook: Any
) -> None:
    empty_cells = 0
    for table in report.all_tables():
        sheet = workbook[table.title]
        first_row = _header_row(table is report.summary) + 1
        for index, row in enumerate(table.rows):
            for column, value in enumerate(row):
                cell = sheet.cell(first_row + index, column + 1)
                kind = table.kind_at(index, column)
                if value is None:
                    assert cell.value is None, cell.coordinate
                    empty_cells += 1
                elif isinstance(value, str):
                    assert cell.value == value  # Chinese labels and names intact
                else:
                    assert isinstance(cell.value, int | float) and not isinstance(cell.value, bool)
                    assert cell.value == pytest.approx(value)
                    assert cell.number_format == NUMBER_FORMATS[kind], (table.title, cell.coordinate)
        assert sheet.cell(first_row + len(table.rows), 1).value is None  # nothing else under the rows
    assert empty_cells > 5
    lawyers = workbook["律师值班及接听情况"]
    assert [lawyers.cell(row, 1).value for row in range(2, 2 + len(LAWYERS))] == [name for name, _ in LAWYERS]
    assert lawyers["C2"].number_format == "0.0" and lawyers["F2"].number_format == "0.0%"
    summary = workbook["主要指标"]
    assert summary["D7"].number_format == "+0.0%;-0.0%"
    assert summary["B9"].value == pytest.approx(report.summary.rows[2][1])  # 接通率, as a share
    assert summary["B9"].number_format == "0.0%"


def test_the_first_sheet_carries_the_cover_and_a_note_follows_its_table(workbook: Any) -> None:
    sheet = workbook.worksheets[0]
    assert sheet["A1"].value == TITLE and sheet["A1"].font.bold
    assert (sheet["A2"].value, sheet["B2"].value) == ("单位", BUREAU)
    assert (sheet["A3"].value, sheet["B3"].value) == ("统计月份", "2026年11月")
    assert sheet["A4"].value == "生成时间"
    assert sheet["B4"].value == datetime(2026, 12, 3, 9, 30)  # Asia/Shanghai wall clock
    assert sheet["B4"].number_format == "yyyy-mm-dd hh:mm"
    notes = [
        cell.value for cell in sheet["A"] if isinstance(cell.value, str) and cell.value.startswith("注：")
    ]
    assert len(notes) == 1 and "接通率" in notes[0]


def test_the_daily_series_and_the_heat_maps_have_sheets_of_numbers(
    report: MonthlyReport, workbook: Any
) -> None:
    daily = workbook[DAILY_TITLE]
    assert [cell.value for cell in daily[1]] == ["日期", "呼入", "接通", "放弃"]
    assert daily.freeze_panes == "A2"
    assert daily["A2"].value.date() == date(2026, 11, 1) and daily["A2"].number_format == "yyyy-mm-dd"
    assert daily.max_row == 1 + 30
    assert [daily.cell(2 + day, 2).value for day in range(30)] == list(report.daily.offered)
    for heatmap in report.heatmaps:
        sheet = workbook[heatmap.title]
        assert [cell.value for cell in sheet[1]] == ["星期", *range(24)]
        assert sheet.freeze_panes == "A2"
        assert [sheet.cell(2 + row, 1).value for row in range(7)] == list(WEEKDAYS_ZH)
        assert [[sheet.cell(2 + row, 2 + hour).value for hour in range(24)] for row in range(7)] == [
            list(values) for values in heatmap.values
        ]


def test_sheet_titles_are_valid_and_distinct() -> None:
    titles = unique_sheet_titles(["咨询事项分布" * 6, "咨询事项分布" * 6, "Calls", "CALLS", "转办/反馈[1]"])
    assert all(len(title) <= 31 for title in titles)
    assert len({title.casefold() for title in titles}) == len(titles)
    assert titles[1].endswith("(2)") and titles[3] == "CALLS(2)"
    assert titles[4] == "转办_反馈_1_"


def test_the_workbook_bytes_depend_on_the_report_only(report: MonthlyReport) -> None:
    data = render_xlsx(report)
    assert render_xlsx(report) == data
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert {member.date_time for member in archive.infolist()} == {(2026, 12, 3, 9, 30, 0)}


# --- PDF ----------------------------------------------------------------------------------------


def test_the_pdf_shows_the_cover_figures_tables_and_names(report: MonthlyReport, pdf_text: str) -> None:
    text = _squeeze(pdf_text)
    assert BUREAU in text and _squeeze(TITLE) in text
    assert "统计月份：2026年11月" in text and "2026年12月3日09:30" in text
    answer_rate = format_cell(report.summary.rows[2][1], "percent")
    change = format_cell(report.summary.rows[0][3], "change")
    assert answer_rate in text and re.fullmatch(r"\d+\.\d%", answer_rate)
    assert change in text and change.startswith("+")
    for table in report.all_tables():
        assert table.title in text
        if table.note:
            assert _squeeze(table.note) in text
    for name, firm in LAWYERS:
        assert name in text and firm in text
    for chart_label in ("周一", "周日", "单位：通", "日期（灰色底为周六、周日）", "呼入", "放弃"):
        assert chart_label in text  # chart text is text, in the embedded font


def test_the_pdf_is_a4_with_numbered_pages(pdf_file: Path, pdf_text: str) -> None:
    info = _poppler("pdfinfo", str(pdf_file))
    pages = int(re.search(r"^Pages:\s+(\d+)$", info, re.MULTILINE).group(1))  # type: ignore[union-attr]
    assert pages >= 3
    assert "(A4)" in info
    footers = re.findall(r"第\s*(\d+)\s*页\s*/\s*共\s*(\d+)\s*页", pdf_text)  # pdftotext drops spaces
    assert footers == [(str(page), str(pages)) for page in range(2, pages + 1)]  # none on the cover


def test_every_font_is_embedded_and_the_text_is_all_in_the_chinese_font(
    pdf_file: Path, pdf_text: str
) -> None:
    lines = _poppler("pdffonts", str(pdf_file)).splitlines()
    assert lines[1].startswith("----")
    fonts_used = [line.split() for line in lines[2:]]
    assert fonts_used
    for columns in fonts_used:
        name, emb = columns[0], columns[-5]
        assert emb == "yes", name
        # The subset prefix (ABCDEF+), then the family: nothing fell back to another font.
        assert name.split("+")[-1].startswith(find_cjk_font().family.replace(" ", "-")), name
    # No glyph the font lacks (those would print as empty boxes): every character is in its map.
    font = find_cjk_font()
    face = (
        TTCollection(str(font.path)).fonts[0]
        if font.path.suffix.lower() == ".ttc"
        else TTFont(str(font.path))
    )
    mapped = set(face.getBestCmap())
    missing = {char for char in pdf_text if not char.isspace() and ord(char) not in mapped}
    assert not missing


def test_an_empty_month_renders_in_both_formats(tmp_path: Path) -> None:
    report = empty_report()
    workbook = openpyxl.load_workbook(io.BytesIO(render_xlsx(report)))
    lawyers = workbook["律师值班及接听情况"]
    assert lawyers["A2"].value is None and lawyers["A3"].value.startswith("注：")  # header, no rows, note
    assert lawyers.freeze_panes == "A2"
    assert workbook["主要指标"]["C7"].value is None
    pdf = tmp_path / "empty.pdf"
    pdf.write_bytes(render_pdf(report))
    text = _squeeze(_poppler("pdftotext", "-enc", "UTF-8", str(pdf), "-"))
    assert "本月无数据" in text and "十二、告警及处置" in text


def test_a_machine_without_the_chinese_font_is_told_which_package_to_install(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    missing = fonts.FontSource("No Such CJK Font", "fonts-wqy-microhei", ("/nonexistent/font.ttc",))
    monkeypatch.setattr(fonts, "CJK_FONT", missing)
    find_cjk_font.cache_clear()
    try:
        with pytest.raises(ConfigurationError) as raised:
            find_cjk_font()
    finally:
        find_cjk_font.cache_clear()
    assert raised.value.error_id == "report-font-missing"
    assert "fonts-wqy-microhei" in raised.value.message and "scripts/setup" in raised.value.message


def test_importing_the_renderers_loads_neither_matplotlib_nor_weasyprint() -> None:
    probe = (
        "import sys, hotline.reports.pdf, hotline.reports.xlsx; "
        "print(sorted(m for m in ('matplotlib', 'weasyprint', 'openpyxl') if m in sys.modules))"
    )
    project = Path(hotline.__file__).resolve().parents[1]  # this checkout's hotline, not an installed one
    loaded = subprocess.run(
        [sys.executable, "-c", probe],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
        env={**os.environ, "PYTHONPATH": str(project)},
    )
    assert loaded.stdout.strip() == "[]"
