"""The monthly analysis of citizens' criticism built from a fixture month (tests/criticism_month.py)
on SQLite and PostgreSQL: every figure as worked out by hand, then read back from the PDF and the
workbook: counts by channel, category and target, the upheld share, the times, the overdue items,
the excerpts with numbers masked, the trend and the measures."""

from __future__ import annotations

import io
import re
import subprocess
from pathlib import Path

import openpyxl
import pytest
from sqlalchemy.orm import Session, sessionmaker

from hotline.criticism.taxonomy import default_taxonomy
from hotline.reports.criticism import CriticismReportBuilder
from hotline.reports.document import CriticismReport, Passage, Table
from hotline.reports.models import StoredCriticismReport
from hotline.reports.pdf import render_criticism_pdf
from hotline.reports.xlsx import render_criticism_xlsx
from tests import criticism_month as month

pytestmark = pytest.mark.db


def _table(report: CriticismReport, key: str) -> Table:
    return next(s for s in report.sections if isinstance(s, Table) and s.key == key)


@pytest.fixture
def built(session_factory: sessionmaker[Session]) -> tuple[CriticismReport, dict[str, str]]:
    """The report of the fixture month, and the items' numbers by letter."""
    with session_factory.begin() as session:
        numbers = month.fill(session)
        session.add(StoredCriticismReport(month=month.MONTH, measures=month.MEASURES))
    builder = CriticismReportBuilder(default_taxonomy(), timezone="Asia/Shanghai", bureau="温州市司法局")
    with session_factory() as session:
        return builder.build(session, month.MONTH, month.NOW), numbers


def test_the_figures_are_the_hand_worked_ones(built: tuple[CriticismReport, dict[str, str]]) -> None:
    report, numbers = built
    assert report.title == "12348公共法律服务热线 2026年11月 群众批评意见分析报告"
    summary = {row[0]: (row[1], row[2]) for row in report.summary.rows}
    assert summary == month.SUMMARY
    assert [row[:3] for row in _table(report, "by_channel").rows] == [
        ("电话留言", 1, 0.25),
        ("差评后留言", 1, 0.25),
        ("网上留言", 1, 0.25),
        ("来信", 1, 0.25),
    ]
    assert sorted(row[:2] for row in _table(report, "by_category").rows) == sorted(
        [("服务态度", 1), ("等待与接通", 1), ("专业水平", 1), ("待确认", 1)]
    )
    assert sorted(row[:4] for row in _table(report, "by_target").rows) == sorted(
        [
            ("律师", "王律师（8001）", 1, 1),
            ("律师", "李律师（8002）", 1, 0),
            ("热线本身", "12348热线", 1, 0),
            ("律所", "瓯越律师事务所", 1, 0),
        ]
    )
    overdue = {row[0]: (row[5], row[6]) for row in _table(report, "overdue").rows}
    assert overdue == {
        numbers["B"]: ("超期答复", month.overdue_days("B")),
        numbers["C"]: ("未答复", month.overdue_days("C")),
    }
    trend = _table(report, "trend").rows
    assert [row[0] for row in trend] == [
        "2026年6月",
        "2026年7月",
        "2026年8月",
        "2026年9月",
        "2026年10月",
        "2026年11月",
    ]
    assert [row[1] for row in trend] == [0, 0, 0, 0, 1, 4]
    excerpts = {row[0]: row[3] for row in _table(report, "excerpts").rows}
    assert month.PHONE_IN_TEXT not in excerpts[numbers["A"]] and "***********" in excerpts[numbers["A"]]
    assert "example.com" not in excerpts[numbers["A"]]
    assert excerpts[numbers["D"]] == "（无文字）"
    measures = report.sections[-1]
    assert isinstance(measures, Passage) and measures.paragraphs == tuple(month.MEASURES.splitlines())


def test_the_pdf_and_the_workbook_say_the_same(
    built: tuple[CriticismReport, dict[str, str]], tmp_path: Path
) -> None:
    report, numbers = built
    pdf = tmp_path / "criticism.pdf"
    pdf.write_bytes(render_criticism_pdf(report))
    text = re.sub(
        r"\s+",
        "",
        subprocess.run(
            ["pdftotext", "-enc", "UTF-8", str(pdf), "-"], capture_output=True, text=True, check=True
        ).stdout,
    )
    for words in ("群众批评意见分析报告", "统计月份：2026年11月", "属实率", "50.0%", "33.3%", "6.0"):
        assert words in text, words
    for title in (
        "主要情况",
        "近六个月趋势",
        "按渠道",
        "按类别",
        "按对象",
        "超期事项",
        "意见摘录",
        "整改措施",
    ):
        assert title in text, title
    for words in ("王律师（8001）", "瓯越律师事务所", "网上留言", numbers["C"], "4.0"):
        assert words in text, words
    assert month.PHONE_IN_TEXT not in text and "zhang.san" not in text
    assert "13800000000" not in text  # the citizens' own numbers are never in the report
    assert re.sub(r"\s+", "", month.MEASURES) in text

    book = openpyxl.load_workbook(io.BytesIO(render_criticism_xlsx(report)))
    assert book.sheetnames == [
        "主要情况",
        "近六个月趋势",
        "按渠道",
        "按类别",
        "按对象",
        "超期事项",
        "意见摘录",
        "整改措施",
    ]
    first = book["主要情况"]
    assert first["A1"].value == report.title
    rows = {row[0]: row[1:3] for row in first.iter_rows(min_row=6, values_only=True) if row[0]}
    assert rows["收到意见（件）"] == (4, 1) and rows["属实率"] == (0.5, 1.0)
    assert rows["按期答复率"] == (0.3333, 1.0)
    overdue = [
        row
        for row in book["超期事项"].iter_rows(min_row=2, values_only=True)
        if str(row[0]).startswith("YJ-")
    ]
    assert {row[0] for row in overdue} == {numbers["B"], numbers["C"]}
    assert [
        row[0] for row in book["整改措施"].iter_rows(min_row=2, values_only=True)
    ] == month.MEASURES.splitlines()
    cells = " ".join(str(v) for row in book["意见摘录"].iter_rows(values_only=True) for v in row if v)
    assert month.PHONE_IN_TEXT not in cells and numbers["A"] in cells
