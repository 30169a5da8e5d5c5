"""Reports as PDF, ready to send: A4 portrait, zh-CN, the Chinese font embedded: the monthly report
(``templates/monthly.html``) and the analysis of citizens' criticism (``templates/criticism.html``),
both on ``templates/base.html`` (the page, the cover, the tables' look).

Rendered with WeasyPrint from HTML and CSS: the CSS paged-media rules
give the page numbers (第 N 页 / 共 M 页), table headers repeated on every page a table spans and
the layout in one readable file, and WeasyPrint embeds a subset of each font it uses. Its system
libraries (Pango, HarfBuzz) are Debian packages that ``scripts/setup`` installs, so ReportLab's
hand-placed drawing was not needed. Charts are matplotlib SVG (vector, text kept as text in the
same font: :mod:`hotline.reports.charts`).

The monthly report's order: cover, main figures (the summary), calls per day, the two heat maps,
then every other table with its note. The criticism report's: cover, main figures, then its tables
and the measures taken. WeasyPrint and matplotlib are imported when a report is rendered, not before.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Final

import jinja2

from hotline.reports.charts import daily_chart_svg, heatmap_svg
from hotline.reports.display import (
    DAILY_TITLE,
    FIGURE_KINDS,
    HEATMAPS_TITLE,
    NO_FIGURE,
    chinese_ordinal,
    format_cell,
    month_label,
    time_label,
)
from hotline.reports.document import CriticismReport, MonthlyReport, Passage, Table
from hotline.reports.fonts import ReportFont, find_cjk_font

TEMPLATES: Final = Path(__file__).parent / "templates"
TEMPLATE: Final = "monthly.html"
CRITICISM_TEMPLATE: Final = "criticism.html"
# Tables of long texts, whose cells wrap.
WRAPPED_TABLES: Final = frozenset({"excerpts"})
# A table of at most this many rows starts on the next page rather than split (about a third of a
# page); a longer one is split, its header repeated.
KEEP_TOGETHER_ROWS: Final = 15


@dataclass(frozen=True, slots=True)
class CellView:
    text: str
    css: str  # "figure" (right-aligned), "text" or "none" (no figure)


@dataclass(frozen=True, slots=True)
class TableView:
    number: str  # the section number, 一, 二...
    title: str
    header: tuple[CellView, ...]
    rows: tuple[tuple[CellView, ...], ...]
    note: str
    keep_together: bool  # short: not split across pages


@dataclass(frozen=True, slots=True)
class SectionView:
    """A section of a report laid out in order: a table, or paragraphs written by people."""

    number: str
    title: str
    table: TableView | None = None
    wrap: bool = False  # the table's text cells wrap
    paragraphs: tuple[str, ...] = ()
    empty: str = ""  # shown when a passage has no paragraph


@dataclass(frozen=True, slots=True)
class ChartView:
    title: str
    image: str  # a data: URL of the SVG


@dataclass(frozen=True, slots=True)
class Charts:
    """The charts as SVG documents: calls per day, and one per heat map in the report's order."""

    daily: str
    heatmaps: tuple[str, ...]


def render_pdf(report: MonthlyReport) -> bytes:
    """The PDF's bytes."""
    from weasyprint import HTML

    font = find_cjk_font()
    charts = Charts(
        daily=daily_chart_svg(report.daily, font),
        heatmaps=tuple(heatmap_svg(heatmap, font) for heatmap in report.heatmaps),
    )
    html = render_html(report, charts, font)
    pdf: bytes = HTML(string=html, base_url=str(TEMPLATES)).write_pdf()
    return pdf


def render_criticism_pdf(report: CriticismReport) -> bytes:
    """The criticism report's PDF bytes."""
    from weasyprint import HTML

    html = render_criticism_html(report, find_cjk_font())
    pdf: bytes = HTML(string=html, base_url=str(TEMPLATES)).write_pdf()
    return pdf


def render_criticism_html(report: CriticismReport, font: ReportFont) -> str:
    sections = []
    for index, section in enumerate(report.sections, start=2):
        number = chinese_ordinal(index)
        if isinstance(section, Passage):
            sections.append(
                SectionView(number, section.title, paragraphs=section.paragraphs, empty=section.empty)
            )
        else:
            view = table_view(section, number)
            sections.append(SectionView(number, section.title, view, wrap=section.key in WRAPPED_TABLES))
    context = {
        "report": report,
        "month": month_label(report.month),
        "generated": time_label(report.generated_at, report.timezone),
        "font_family": font.family,
        "font_url": font.path.as_uri(),
        "summary": table_view(report.summary, chinese_ordinal(1)),
        "sections": tuple(sections),
    }
    return _environment().get_template(CRITICISM_TEMPLATE).render(context)


def render_html(report: MonthlyReport, charts: Charts, font: ReportFont) -> str:
    """The HTML the PDF is laid out from."""
    return _environment().get_template(TEMPLATE).render(page_context(report, charts, font))


def page_context(report: MonthlyReport, charts: Charts, font: ReportFont) -> dict[str, object]:
    """What the template shows, every figure already formatted."""
    heatmaps = tuple(
        ChartView(heatmap.title, svg_data_url(svg))
        for heatmap, svg in zip(report.heatmaps, charts.heatmaps, strict=True)
    )
    first_table = 4  # after the summary, calls per day and the heat maps
    return {
        "report": report,
        "month": month_label(report.month),
        "generated": time_label(report.generated_at, report.timezone),
        "font_family": font.family,
        "font_url": font.path.as_uri(),
        "summary": table_view(report.summary, chinese_ordinal(1)),
        "daily": ChartView(DAILY_TITLE, svg_data_url(charts.daily)),
        "daily_number": chinese_ordinal(2),
        "heatmaps": heatmaps,
        "heatmaps_title": HEATMAPS_TITLE,
        "heatmaps_number": chinese_ordinal(3),
        "tables": tuple(
            table_view(table, chinese_ordinal(first_table + index))
            for index, table in enumerate(report.tables)
        ),
    }


def table_view(table: Table, number: str) -> TableView:
    """``table`` with every cell formatted and aligned by its kind."""
    header = tuple(
        CellView(column.label, "figure" if column.kind in FIGURE_KINDS else "text")
        for column in table.columns
    )
    rows = []
    for index, row in enumerate(table.rows):
        cells = []
        for column, value in enumerate(row):
            kind = table.kind_at(index, column)
            text = format_cell(value, kind)
            css = "none" if text == NO_FIGURE else "figure" if kind in FIGURE_KINDS else "text"
            cells.append(CellView(text, css))
        rows.append(tuple(cells))
    return TableView(number, table.title, header, tuple(rows), table.note, len(rows) <= KEEP_TOGETHER_ROWS)


def svg_data_url(svg: str) -> str:
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode()).decode("ascii")


@cache
def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATES)),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
