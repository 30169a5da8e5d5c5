"""The report's charts as SVG (vector), drawn with matplotlib: calls per day and the weekday x hour
heat maps.

Text stays text in the SVG (``svg.fonttype = "none"``), in the report's Chinese font family: the PDF
renderer sets it in that same font file and embeds it, so labels are selectable and searchable, and
the layout matplotlib measured is the one printed. matplotlib is imported inside the functions (it
takes a while to load) and used without pyplot (no display, no global figure state); its settings
are applied with ``rc_context`` for the drawing only. Call from one thread at a time (a report is
rendered in a worker process).
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from typing import TYPE_CHECKING, Final

from hotline.reports.display import day_of_month
from hotline.reports.document import WEEKDAYS_ZH, DailySeries, HeatMap
from hotline.reports.fonts import ReportFont

if TYPE_CHECKING:
    from matplotlib.figure import Figure

# The page's text width (A4 less 18 mm margins) in inches: charts are drawn at their printed size,
# so a font size here is the size on paper.
WIDTH_INCHES: Final = (210 - 2 * 18) / 25.4
OFFERED_COLOR: Final = "#1f4e79"
ANSWERED_COLOR: Final = "#2e8b57"
ABANDONED_COLOR: Final = "#c0392b"
WEEKEND_COLOR: Final = "#eef1f5"
# Heat map colour scales by heat map key (others: the first).
HEATMAP_COLORMAPS: Final = {"offered": "Blues", "abandoned": "Reds"}


def daily_chart_svg(daily: DailySeries, font: ReportFont) -> str:
    """Calls offered, answered and abandoned per day, weekends shaded."""
    with _style(font):
        figure = _figure(2.7)
        axes = figure.add_subplot()
        days = [day_of_month(day) for day in daily.days]
        for day, iso in zip(days, daily.days, strict=True):
            if date.fromisoformat(iso).weekday() >= 5:
                axes.axvspan(day - 0.5, day + 0.5, color=WEEKEND_COLOR, linewidth=0, zorder=0)
        for values, label, color in (
            (daily.offered, "呼入", OFFERED_COLOR),
            (daily.answered, "接通", ANSWERED_COLOR),
            (daily.abandoned, "放弃", ABANDONED_COLOR),
        ):
            axes.plot(days, values, label=label, color=color, linewidth=1.4, marker="o", markersize=2.5)
        axes.set_xticks(days)
        if days:
            axes.set_xlim(days[0] - 0.5, days[-1] + 0.5)
        axes.set_ylim(0, max((*daily.offered, 1)) * 1.12)
        axes.set_xlabel("日期（灰色底为周六、周日）")
        axes.set_title("单位：通", loc="left", fontsize=7, color="#555555")  # upright, not a rotated label
        axes.grid(axis="y", color="#d9d9d9", linewidth=0.6)
        axes.set_axisbelow(True)
        axes.legend(loc="upper center", bbox_to_anchor=(0.5, 1.14), ncol=3, frameon=False)
        return _svg(figure)


def heatmap_svg(heatmap: HeatMap, font: ReportFont) -> str:
    """A weekday (rows, Monday on top) by hour (columns 0-23) grid, coloured by count, each count
    written in its cell (none for 0)."""
    from matplotlib.ticker import MaxNLocator

    with _style(font):
        figure = _figure(2.45)
        axes = figure.add_subplot()
        peak = max((max(row, default=0) for row in heatmap.values), default=0)
        colormap = HEATMAP_COLORMAPS.get(heatmap.key, "Blues")
        mesh = axes.pcolormesh(
            heatmap.values, cmap=colormap, vmin=0, vmax=max(peak, 1), edgecolors="white", linewidth=0.6
        )
        axes.invert_yaxis()
        axes.set_yticks([row + 0.5 for row in range(7)], WEEKDAYS_ZH)
        axes.set_xticks([hour + 0.5 for hour in range(24)], [str(hour) for hour in range(24)])
        axes.tick_params(length=0)
        for side in ("top", "right", "bottom", "left"):
            axes.spines[side].set_visible(False)
        axes.set_xlabel("时（当地时间，0 表示 0:00-0:59）")
        for row, values in enumerate(heatmap.values):
            for hour, value in enumerate(values):
                if value:
                    dark = value > 0.6 * peak
                    axes.text(
                        hour + 0.5,
                        row + 0.5,
                        str(value),
                        ha="center",
                        va="center",
                        fontsize=6,
                        color="white" if dark else "#333333",
                    )
        colorbar = figure.colorbar(mesh, ax=axes, fraction=0.03, pad=0.015)
        colorbar.ax.set_title("通", fontsize=7, color="#555555")
        colorbar.ax.yaxis.set_major_locator(MaxNLocator(nbins=5, integer=True))
        colorbar.outline.set_visible(False)
        return _svg(figure)


@contextmanager
def _style(font: ReportFont) -> Iterator[None]:
    """matplotlib's settings for the report's charts, for the duration of one drawing."""
    import matplotlib as mpl
    from matplotlib import font_manager

    if not any(entry.fname == str(font.path) for entry in font_manager.fontManager.ttflist):
        font_manager.fontManager.addfont(str(font.path))
    with mpl.rc_context(
        {
            "font.family": [font.family],
            "font.size": 8,
            "axes.unicode_minus": False,  # a hyphen-minus, as the tables print negative numbers
            "axes.spines.top": False,
            "axes.spines.right": False,
            "axes.edgecolor": "#888888",
            "xtick.color": "#444444",
            "ytick.color": "#444444",
            "svg.fonttype": "none",  # text as <text> in the font family above, set by the PDF renderer
            "svg.hashsalt": "hotline-report",  # the same ids on every run: the same SVG for the same data
        }
    ):
        yield


def _figure(height_inches: float) -> Figure:
    from matplotlib.figure import Figure

    return Figure(figsize=(WIDTH_INCHES, height_inches), layout="constrained")


def _svg(figure: Figure) -> str:
    buffer = io.StringIO()
    figure.savefig(buffer, format="svg", metadata={"Date": None})
    return buffer.getvalue()
