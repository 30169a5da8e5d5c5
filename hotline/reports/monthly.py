"""The monthly report (月报), assembled from the statistics: what the bureau sends upward.

Every figure is a KPI of :mod:`hotline.stats.definitions`, computed by
:class:`~hotline.stats.service.Statistics` for the month (local calendar days), the month before
and the same month a year earlier. The database is asked for the month twice: by local hour (rolled
up to the days, the month's total and the heat maps) and by topic, language and lawyer together
(rolled up to each); tables are then rolled up in memory (a firm from its lawyers), so a month of
a million calls is a handful of grouped queries.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Final

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from hotline.assessment.service import Assessor
from hotline.ivr.catalog import Catalog
from hotline.reports.assessment import assessment_table
from hotline.reports.document import (
    Cell,
    Column,
    ColumnKind,
    DailySeries,
    HeatMap,
    MonthlyReport,
    Table,
)
from hotline.routing.duty_hours import hours_on_duty, rostered_hours
from hotline.routing.models import Lawyer
from hotline.stats.definitions import KPI_BY_KEY, TICKET_OUTCOMES, Figure, Tally
from hotline.stats.periods import Period, add_months, month_period
from hotline.stats.service import Statistics
from hotline.transcription.models import KeywordAlert


@dataclass(frozen=True, slots=True)
class Hours:
    """A lawyer's hours in the month: rostered, and actually on duty (None: not known)."""

    rostered: float | None = None
    on_duty: float | None = None


# The summary's KPIs, in the order the report lists them.
SUMMARY_KPIS: Final[tuple[str, ...]] = (
    "calls",
    "offered",
    "answered",
    "answer_rate",
    "abandoned",
    "abandon_rate",
    "service_level",
    "asa",
    "wait_p90",
    "average_talk",
    "voicemail",
    "after_hours",
    "transferred",
    "rating_rate",
    "satisfaction_rate",
    "tickets",
    "on_time_rate",
    "overdue",
    "callback_in_time_rate",
    "handoffs_delivered",
    "handoffs_dead",
    "reviews",
    "qa_average",
    "red_line_failures",
    "alerts",
)

# The keyword categories of HOTLINE_TRANSCRIPTION__KEYWORDS, in Chinese (others show as named).
ALERT_CATEGORIES_ZH: Final[Mapping[str, str]] = {"safety": "人身安全", "deadline": "时效紧急"}


def _kind(key: str) -> ColumnKind:
    return KPI_BY_KEY[key].kind


def change(now: Figure, before: Figure, kind: ColumnKind) -> float | None:
    """环比/同比: points for a rate, the relative change for anything else."""
    if now is None or before is None:
        return None
    if kind == "percent":
        return round(float(now) - float(before), 4)
    if before == 0:
        return None
    return round((float(now) - float(before)) / float(before), 4)


def _month_title(month: str) -> str:
    year, number = month.split("-")
    return f"{year}年{int(number)}月"


def _col(key: str, label: str | None = None) -> Column:
    kpi = KPI_BY_KEY[key]
    return Column(key, label or kpi.label, kpi.kind)


class MonthlyBuilder:
    """Builds a month's report from the statistics (one per installation: the bureau's name and
    the topic catalog's labels)."""

    def __init__(
        self, stats: Statistics, catalog: Catalog, bureau: str, assessor: Assessor | None = None
    ) -> None:
        self._stats = stats
        self._catalog = catalog
        self._bureau = bureau
        self._assessor = assessor  # the assessment's section (动态考核), when there is a scheme

    def build(
        self,
        session: Session,
        month: str,
        *,
        generated_at: datetime,
        hours: Mapping[str, Hours] | None = None,
    ) -> MonthlyReport:
        stats = self._stats
        period = month_period(month, stats.timezone)
        previous = month_period(add_months(period.first, -1).isoformat()[:7], stats.timezone)
        last_year = month_period(f"{period.first.year - 1}-{period.first.month:02d}", stats.timezone)
        # One reading by the hour gives the days and the heat maps; the month's total is the days'.
        by_day, heat = stats.grouped_each(session, period, (["day"], ["weekday", "hour"]))
        totals = [by_day.total, *(stats.grouped(session, p).total for p in (previous, last_year))]
        by_topic, by_language, by_lawyer = stats.grouped_each(
            session, period, (["topic"], ["language"], ["lawyer"]), waits=False
        )
        if hours is None:
            hours = lawyer_hours(session, period, generated_at)
        lawyers = {
            extension: (name, firm)
            for extension, name, firm in session.execute(select(Lawyer.extension, Lawyer.name, Lawyer.firm))
        }
        title = f"12348公共法律服务热线 {_month_title(month)} 服务情况月报"
        return MonthlyReport(
            month=month,
            bureau=self._bureau,
            title=title,
            generated_at=generated_at,
            timezone=stats.timezone,
            summary=self._summary(totals),
            daily=self._daily(period, by_day.groups),
            heatmaps=self._heatmaps(heat.groups),
            tables=(
                self._per_day(period, by_day.groups),
                self._per_dimension("by_topic", "咨询事项", by_topic.groups, self._catalog.topic_label),
                self._per_dimension("by_language", "语种", by_language.groups, self._catalog.language_label),
                self._per_lawyer(by_lawyer.groups, lawyers, hours),
                self._per_firm(by_lawyer.groups, lawyers, hours),
                self._tickets(totals[0]),
                self._referrals(totals[0]),
                self._alerts(session, period),
                *((assessment_table(session, self._assessor, month),) if self._assessor else ()),
            ),
        )

    # --- tables ------------------------------------------------------------------------------

    def _summary(self, totals: Sequence[Tally]) -> Table:
        now, before, year_ago = (self._stats.figures(t) for t in totals)
        rows: list[tuple[Cell, ...]] = []
        for key in SUMMARY_KPIS:
            kind = _kind(key)
            rows.append(
                (
                    KPI_BY_KEY[key].label,
                    now[key],
                    before[key],
                    change(now[key], before[key], kind),
                    year_ago[key],
                    change(now[key], year_ago[key], kind),
                )
            )
        return Table(
            "summary",
            "主要指标",
            (
                Column("kpi", "指标", "text"),
                Column("month", "本月", "number"),
                Column("previous", "上月", "number"),
                Column("mom", "环比", "change"),
                Column("last_year", "去年同月", "number"),
                Column("yoy", "同比", "change"),
            ),
            tuple(rows),
            note=(
                "比率类指标的环比、同比为百分点之差，其余为相对变化。服务水平 = "
                f"{self._stats.thresholds.service_level_seconds}秒内接通 ÷（进入队列 − 短时放弃）。"
            ),
            row_kinds=tuple(_kind(key) for key in SUMMARY_KPIS),
        )

    @staticmethod
    def _daily(period: Period, groups: Mapping[tuple[object, ...], Tally]) -> DailySeries:
        days = period.days()
        tallies = [groups.get((day,), Tally()) for day in days]
        return DailySeries(
            days=tuple(days),
            offered=tuple(t.offered for t in tallies),
            answered=tuple(t.answered for t in tallies),
            abandoned=tuple(t.abandoned for t in tallies),
        )

    @staticmethod
    def _heatmaps(groups: Mapping[tuple[object, ...], Tally]) -> tuple[HeatMap, ...]:
        def grid(count: str) -> tuple[tuple[int, ...], ...]:
            return tuple(
                tuple(int(getattr(groups.get((weekday, hour), Tally()), count)) for hour in range(24))
                for weekday in range(1, 8)
            )

        return (
            HeatMap("heat_offered", "进入队列来电（星期 × 时段）", grid("offered")),
            HeatMap("heat_abandoned", "放弃来电（星期 × 时段）", grid("abandoned")),
        )

    def _per_day(self, period: Period, groups: Mapping[tuple[object, ...], Tally]) -> Table:
        keys: tuple[str, ...] = ("calls", "offered", "answered", "abandoned", "answer_rate", "service_level")
        keys += ("average_wait", "satisfaction_rate", "tickets")
        rows = []
        for day in period.days():
            figures = self._stats.figures(groups.get((day,), Tally()))
            weekday = "一二三四五六日"[date.fromisoformat(day).weekday()]
            rows.append((f"{day}（{weekday}）", *(figures[k] for k in keys)))
        return Table("per_day", "每日来电", (Column("day", "日期", "text"), *map(_col, keys)), tuple(rows))

    def _per_dimension(
        self, key: str, title: str, groups: Mapping[tuple[object, ...], Tally], label: object
    ) -> Table:
        keys: tuple[str, ...] = ("calls", "offered", "answered", "answer_rate", "service_level", "asa")
        keys += ("satisfaction_rate", "tickets", "referrals")
        rows = []
        for (value,), tally in groups.items():
            figures = self._stats.figures(tally)
            name = (label(value) if callable(label) else None) or (str(value) if value else "未选择")
            rows.append((name, *(figures[k] for k in keys)))
        return Table(key, title, (Column("name", title, "text"), *map(_col, keys)), tuple(rows))

    def _per_lawyer(
        self,
        groups: Mapping[tuple[object, ...], Tally],
        lawyers: Mapping[str, tuple[str, str | None]],
        hours: Mapping[str, Hours],
    ) -> Table:
        rows = []
        for (extension,), tally in groups.items():
            if extension is None:
                continue
            name, firm = lawyers.get(str(extension), (str(extension), None))
            figures = self._stats.figures(tally)
            mine = hours.get(str(extension), Hours())
            rows.append(
                (
                    str(extension),
                    name,
                    firm or "",
                    figures["answered"],
                    figures["talk_hours"],
                    mine.rostered,
                    mine.on_duty,
                    figures["satisfaction_rate"],
                    figures["reviews"],
                    figures["qa_average"],
                    figures["red_line_failures"],
                )
            )
        return Table(
            "by_lawyer",
            "律师",
            (
                Column("extension", "分机", "text"),
                Column("name", "律师", "text"),
                Column("firm", "律所", "text"),
                _col("answered"),
                _col("talk_hours"),
                Column("rostered_hours", "排班时长(小时)", "hours"),
                Column("on_duty_hours", "在岗时长(小时)", "hours"),
                _col("satisfaction_rate"),
                _col("reviews"),
                _col("qa_average"),
                _col("red_line_failures"),
            ),
            tuple(rows),
            note="在岗时长：登录队列且未示忙的时长（Asterisk 队列日志）。",
        )

    def _per_firm(
        self,
        groups: Mapping[tuple[object, ...], Tally],
        lawyers: Mapping[str, tuple[str, str | None]],
        hours: Mapping[str, Hours],
    ) -> Table:
        firms: dict[str, tuple[set[str], Tally, float | None, float | None]] = {}
        for (extension,), tally in groups.items():
            if extension is None:
                continue
            _name, firm = lawyers.get(str(extension), (str(extension), None))
            members, total, rostered, on_duty = firms.get(firm or "未登记律所", (set(), Tally(), None, None))
            mine = hours.get(str(extension), Hours())
            members.add(str(extension))
            firms[firm or "未登记律所"] = (
                members,
                total.add(tally),
                _plus(rostered, mine.rostered),
                _plus(on_duty, mine.on_duty),
            )
        rows = []
        for firm, (members, tally, rostered, on_duty) in sorted(firms.items()):
            figures = self._stats.figures(tally)
            rows.append(
                (
                    firm,
                    len(members),
                    figures["answered"],
                    figures["talk_hours"],
                    rostered,
                    on_duty,
                    figures["satisfaction_rate"],
                    figures["qa_average"],
                )
            )
        return Table(
            "by_firm",
            "律所",
            (
                Column("firm", "律所", "text"),
                Column("lawyers", "律师人数", "int"),
                _col("answered"),
                _col("talk_hours"),
                Column("rostered_hours", "排班时长(小时)", "hours"),
                Column("on_duty_hours", "在岗时长(小时)", "hours"),
                _col("satisfaction_rate"),
                _col("qa_average"),
            ),
            tuple(rows),
        )

    def _tickets(self, tally: Tally) -> Table:
        figures = self._stats.figures(tally)
        keys = [f"tickets_{key.replace('-', '_')}" for key, _ in TICKET_OUTCOMES]
        keys += ["tickets", "due", "on_time_rate", "overdue", "callbacks_due", "callbacks_made"]
        keys += ["callbacks_in_time", "callback_in_time_rate"]
        return Table(
            "tickets",
            "工单与限时办结",
            (Column("item", "项目", "text"), Column("value", "数值", "number")),
            tuple((KPI_BY_KEY[k].label, figures[k]) for k in keys),
            note="限时办结率 = 按期办结 ÷ 已到期工单；超期未办结以报表生成时为准。",
            row_kinds=tuple(_kind(k) for k in keys),
        )

    def _referrals(self, tally: Tally) -> Table:
        figures = self._stats.figures(tally)
        keys = [
            f"tickets_{key.replace('-', '_')}"
            for key, _ in TICKET_OUTCOMES
            if key not in ("answered", "none")
        ]
        keys += ["referrals", "handoffs", "handoffs_delivered", "handoffs_dead"]
        return Table(
            "referrals",
            "转办与移交",
            (Column("item", "项目", "text"), Column("value", "数量", "int")),
            tuple((KPI_BY_KEY[k].label, figures[k]) for k in keys),
            note="移交：工单推送至案件系统或12345热线；移交失败为多次重试后仍未送达、需人工处理的。",
        )

    def _alerts(self, session: Session, period: Period) -> Table:
        rows = session.execute(
            select(
                KeywordAlert.category,
                func.count(),
                func.count(KeywordAlert.acknowledged_at),
            )
            .where(KeywordAlert.created_at >= period.start, KeywordAlert.created_at < period.end)
            .group_by(KeywordAlert.category)
            .order_by(KeywordAlert.category)
        )
        return Table(
            "alerts",
            "关键词预警",
            (
                Column("category", "类别", "text"),
                Column("alerts", "预警数", "int"),
                Column("acknowledged", "已处理", "int"),
            ),
            tuple(
                (ALERT_CATEGORIES_ZH.get(category, category), int(count), int(acknowledged))
                for category, count, acknowledged in rows
            ),
        )


def lawyer_hours(session: Session, period: Period, now: datetime) -> dict[str, Hours]:
    """Each lawyer's rostered hours and hours available in the queues (logged in, not paused:
    Asterisk's queue_log) within the period."""
    rostered = rostered_hours(session, period.start, period.end)
    on_duty = hours_on_duty(session, period.start, period.end, now=now)
    return {
        extension: Hours(
            rostered=round(rostered[extension], 2) if extension in rostered else None,
            on_duty=round(on_duty[extension].available_hours, 2) if extension in on_duty else None,
        )
        for extension in set(rostered) | set(on_duty)
    }


def _plus(a: float | None, b: float | None) -> float | None:
    if a is None:
        return b
    if b is None:
        return a
    return round(a + b, 2)
