"""The monthly analysis of citizens' criticism (群众批评意见分析报告): what was received, through
which channel, about what and whom, how much of it was upheld, how fast it was handled and
answered, what is overdue, what citizens said (anonymised), the trend, and the measures taken.

The items are read once (the month and the five before it, for the trend) into plain snapshots;
every figure is then computed by the pure functions here. Rendered by the same engine as the
monthly report (:mod:`hotline.reports.pdf`, :mod:`hotline.reports.xlsx`).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Final

from sqlalchemy import select
from sqlalchemy.orm import Session, lazyload

from hotline.criticism.labels import CHANNEL_LABELS, STATE_LABELS, TARGET_LABELS
from hotline.criticism.models import Criticism, CriticismState
from hotline.criticism.taxonomy import Taxonomy
from hotline.reports.document import Column, ColumnKind, CriticismReport, Passage, Table
from hotline.reports.models import StoredCriticismReport
from hotline.reports.monthly import change
from hotline.routing.models import Lawyer
from hotline.stats.periods import add_months, month_period

TREND_MONTHS: Final = 6  # the month and the five before it
EXCERPT_LENGTH: Final = 120  # characters of what a citizen said, in the excerpts
DAY_SECONDS: Final = 86400.0

UNCONFIRMED: Final = "待确认"


@dataclass(frozen=True, slots=True)
class Item:
    """What the report needs of one criticism."""

    number: str
    channel: str
    received_at: datetime
    state: str
    category: str | None
    target: str | None
    target_name: str | None
    text: str
    upheld: bool | None
    measure: str | None
    due_at: datetime | None
    handled_at: datetime | None
    replied_at: datetime | None
    assigned_to: str | None

    def overdue_days(self, now: datetime) -> float | None:
        """Days past the deadline: of the reply (given late), or until ``now`` (no reply yet);
        None when answered in time or not yet due."""
        if self.due_at is None:
            return None
        end = self.replied_at or now
        return (end - self.due_at).total_seconds() / DAY_SECONDS if end > self.due_at else None


# --- figures ------------------------------------------------------------------------------------

# The summary's rows: key, label, kind.
SUMMARY_ROWS: Final[tuple[tuple[str, str, ColumnKind], ...]] = (
    ("received", "收到意见（件）", "int"),
    ("handled", "已核查（件）", "int"),
    ("upheld", "属实（件）", "int"),
    ("upheld_rate", "属实率", "percent"),
    ("replied", "已答复（件）", "int"),
    ("on_time_rate", "按期答复率", "percent"),
    ("handle_days", "平均核查用时（天）", "number"),
    ("reply_days", "平均答复用时（天）", "number"),
    ("overdue_open", "超期未答复（件）", "int"),
    ("replied_late", "超期答复（件）", "int"),
    ("closed", "已办结（件）", "int"),
)


def _ratio(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def _mean_days(spans: Sequence[float]) -> float | None:
    return round(sum(spans) / len(spans) / DAY_SECONDS, 2) if spans else None


def figures(items: Sequence[Item], now: datetime) -> dict[str, int | float | None]:
    """The figures of ``items`` as they stand at ``now``.

    属实率 = upheld ÷ handled (found upheld or not); 按期答复率 = replied by the deadline ÷ the items
    whose deadline has passed or that were replied to; the times run from receipt to the finding
    and to the reply, in days."""
    handled = [item for item in items if item.upheld is not None]
    replied = [item for item in items if item.replied_at is not None]
    due = [item for item in items if item.replied_at is not None or (item.due_at and item.due_at <= now)]
    late = [item for item in due if item.overdue_days(now) is not None]
    return {
        "received": len(items),
        "handled": len(handled),
        "upheld": sum(1 for item in handled if item.upheld),
        "upheld_rate": _ratio(sum(1 for item in handled if item.upheld), len(handled)),
        "replied": len(replied),
        "on_time_rate": _ratio(len(due) - len(late), len(due)),
        "handle_days": _mean_days(
            [(i.handled_at - i.received_at).total_seconds() for i in items if i.handled_at is not None]
        ),
        "reply_days": _mean_days(
            [(i.replied_at - i.received_at).total_seconds() for i in replied if i.replied_at]
        ),
        "overdue_open": sum(1 for item in late if item.replied_at is None),
        "replied_late": sum(1 for item in late if item.replied_at is not None),
        "closed": sum(1 for item in items if item.state == CriticismState.closed),
    }


def anonymise(text: str) -> str:
    """What a citizen wrote, fit to quote: every run of five or more digits (a phone number, an ID
    card, an account; spaces and dashes inside count) masked with ``*``, e-mail addresses
    replaced, whitespace folded."""
    text = EMAIL.sub("***@***", text)
    text = NUMBER_RUN.sub(
        lambda m: re.sub(r"[\dXx]", "*", m.group()) if _digits(m.group()) >= 5 else m.group(), text
    )
    return " ".join(text.split())


EMAIL: Final = re.compile(r"[\w.+-]+@[\w-]+(\.[\w-]+)+")
NUMBER_RUN: Final = re.compile(r"\d(?:[\d\s-]*\d)?[Xx]?")


def _digits(text: str) -> int:
    return sum(char.isdigit() for char in text)


def excerpt(text: str, length: int = EXCERPT_LENGTH) -> str:
    quoted = anonymise(text)
    return quoted if len(quoted) <= length else quoted[: length - 1] + "…"


# --- the report ---------------------------------------------------------------------------------


def _month_title(month: str) -> str:
    year, number = month.split("-")
    return f"{year}年{int(number)}月"


@dataclass(frozen=True, slots=True)
class Labels:
    """How categories and lawyers are named in the report."""

    category: Callable[[str | None], str | None]
    lawyer: Mapping[str, str]  # extension -> name

    def target(self, item: Item) -> str:
        if item.target == "lawyer" and item.target_name:
            name = self.lawyer.get(item.target_name)
            return f"{name}（{item.target_name}）" if name else item.target_name
        if item.target == "hotline":
            return "12348热线"
        return item.target_name or "—"


def build_report(
    month: str,
    items: Sequence[Item],
    *,
    now: datetime,
    timezone: str,
    bureau: str,
    labels: Labels,
    measures: str | None,
) -> CriticismReport:
    """The report of ``month`` from ``items`` (received in that month and the five before it)."""
    periods = [
        month_period(add_months(month_period(month, timezone).first, -back).isoformat()[:7], timezone)
        for back in range(TREND_MONTHS)
    ]
    by_month: dict[str, list[Item]] = {period.first.isoformat()[:7]: [] for period in periods}
    for item in items:
        for period in periods:
            if period.start <= item.received_at < period.end:
                by_month[period.first.isoformat()[:7]].append(item)
    this, before = by_month[month], by_month[periods[1].first.isoformat()[:7]]
    now_figures, before_figures = figures(this, now), figures(before, now)
    summary = Table(
        "summary",
        "主要情况",
        (
            Column("item", "项目", "text"),
            Column("month", "本月", "number"),
            Column("previous", "上月", "number"),
            Column("mom", "环比", "change"),
        ),
        tuple(
            (
                label,
                now_figures[key],
                before_figures[key],
                change(now_figures[key], before_figures[key], kind),
            )
            for key, label, kind in SUMMARY_ROWS
        ),
        note=(
            "属实率 = 属实 ÷ 已核查；按期答复率 = 按期答复 ÷（已到答复期限或已答复的意见）；"
            "超期以报告生成时为准。"
        ),
        row_kinds=tuple(kind for _key, _label, kind in SUMMARY_ROWS),
    )
    return CriticismReport(
        month=month,
        bureau=bureau,
        title=f"12348公共法律服务热线 {_month_title(month)} 群众批评意见分析报告",
        generated_at=now,
        timezone=timezone,
        summary=summary,
        sections=(
            _trend(by_month, now),
            _counted(
                "by_channel",
                "按渠道",
                "渠道",
                this,
                lambda item: CHANNEL_LABELS.get(item.channel, item.channel),
                order=list(CHANNEL_LABELS.values()),
            ),
            _counted(
                "by_category",
                "按类别",
                "类别",
                this,
                lambda item: labels.category(item.category) or UNCONFIRMED,
            ),
            _targets(this, labels),
            _overdue(this, now, labels),
            _excerpts(this, labels),
            Passage(
                "measures",
                "整改措施",
                tuple(line.strip() for line in (measures or "").splitlines() if line.strip()),
                empty="（尚未填写：由值班领导在“群众意见”页面填写本月整改措施后发布。）",
            ),
        ),
    )


def _trend(by_month: Mapping[str, Sequence[Item]], now: datetime) -> Table:
    rows = []
    for month in sorted(by_month):
        numbers = figures(by_month[month], now)
        rows.append(
            (
                _month_title(month),
                numbers["received"],
                numbers["upheld"],
                numbers["upheld_rate"],
                numbers["on_time_rate"],
                numbers["reply_days"],
            )
        )
    return Table(
        "trend",
        "近六个月趋势",
        (
            Column("month", "月份", "text"),
            Column("received", "收到意见（件）", "int"),
            Column("upheld", "属实（件）", "int"),
            Column("upheld_rate", "属实率", "percent"),
            Column("on_time_rate", "按期答复率", "percent"),
            Column("reply_days", "平均答复用时（天）", "number"),
        ),
        tuple(rows),
    )


def _counted(
    key: str,
    title: str,
    heading: str,
    items: Sequence[Item],
    name: Callable[[Item], str],
    *,
    order: Iterable[str] = (),
) -> Table:
    """Items counted by ``name``: how many, upheld, the share of the month's items."""
    counts: Counter[str] = Counter()
    upheld: Counter[str] = Counter()
    handled: Counter[str] = Counter()
    for item in items:
        counts[name(item)] += 1
        handled[name(item)] += item.upheld is not None
        upheld[name(item)] += bool(item.upheld)
    ranked = [value for value in order if counts[value]]
    ranked += sorted(
        (value for value in counts if value not in ranked), key=lambda value: (-counts[value], value)
    )
    return Table(
        key,
        title,
        (
            Column("name", heading, "text"),
            Column("received", "件数", "int"),
            Column("share", "占比", "percent"),
            Column("upheld", "属实（件）", "int"),
            Column("upheld_rate", "属实率", "percent"),
        ),
        tuple(
            (
                value,
                counts[value],
                _ratio(counts[value], len(items)),
                upheld[value],
                _ratio(upheld[value], handled[value]),
            )
            for value in ranked
        ),
    )


def _targets(items: Sequence[Item], labels: Labels) -> Table:
    counts: Counter[tuple[str, str]] = Counter()
    upheld: Counter[tuple[str, str]] = Counter()
    for item in items:
        key = (TARGET_LABELS.get(item.target or "", "未明确"), labels.target(item) if item.target else "—")
        counts[key] += 1
        upheld[key] += bool(item.upheld)
    return Table(
        "by_target",
        "按对象",
        (
            Column("kind", "对象类别", "text"),
            Column("name", "对象", "text"),
            Column("received", "件数", "int"),
            Column("upheld", "属实（件）", "int"),
        ),
        tuple(
            (kind, name, count, upheld[(kind, name)])
            for (kind, name), count in sorted(counts.items(), key=lambda entry: (-entry[1], entry[0]))
        ),
        note="对象类别为“律师”时，对象为律师姓名及分机号。",
    )


def _overdue(items: Sequence[Item], now: datetime, labels: Labels) -> Table:
    rows = []
    for item in sorted(items, key=lambda item: item.number):
        days = item.overdue_days(now)
        if days is None:
            continue
        rows.append(
            (
                item.number,
                CHANNEL_LABELS.get(item.channel, item.channel),
                labels.category(item.category) or UNCONFIRMED,
                STATE_LABELS.get(item.state, item.state),
                item.assigned_to or "未分配",
                "未答复" if item.replied_at is None else "超期答复",
                round(days, 1),
            )
        )
    return Table(
        "overdue",
        "超期事项",
        (
            Column("number", "编号", "text"),
            Column("channel", "渠道", "text"),
            Column("category", "类别", "text"),
            Column("state", "状态", "text"),
            Column("leader", "承办领导", "text"),
            Column("reply", "答复情况", "text"),
            Column("days", "超期（天）", "number"),
        ),
        tuple(rows),
        note="超期：答复晚于期限，或报告生成时已过期限仍未答复。",
    )


def _excerpts(items: Sequence[Item], labels: Labels) -> Table:
    return Table(
        "excerpts",
        "意见摘录",
        (
            Column("number", "编号", "text"),
            Column("channel", "渠道", "text"),
            Column("category", "类别", "text"),
            Column("text", "群众意见（摘录）", "text"),
            Column("upheld", "核查结论", "text"),
            Column("measure", "整改措施", "text"),
        ),
        tuple(
            (
                item.number,
                CHANNEL_LABELS.get(item.channel, item.channel),
                labels.category(item.category) or UNCONFIRMED,
                excerpt(item.text) or "（无文字）",
                "属实" if item.upheld else "不属实" if item.upheld is False else "核查中",
                excerpt(item.measure or "") or "—",
            )
            for item in sorted(items, key=lambda item: item.number)
        ),
        note=f"摘录至多{EXCERPT_LENGTH}字；五位以上的数字（电话、证件号等）与电子邮箱已隐去，不含来信人姓名与联系方式。",
    )


# --- reading the database -----------------------------------------------------------------------


def _item(row: Criticism) -> Item:
    return Item(
        number=row.number,
        channel=row.channel,
        received_at=row.received_at,
        state=row.state,
        category=row.category,
        target=row.target,
        target_name=row.target_name,
        text=row.text or "",
        upheld=row.upheld,
        measure=row.measure,
        due_at=row.due_at,
        handled_at=row.handled_at,
        replied_at=row.replied_at,
        assigned_to=row.assigned_to,
    )


class CriticismReportBuilder:
    """Builds a month's criticism report from the database (one per installation)."""

    def __init__(self, taxonomy: Taxonomy, *, timezone: str, bureau: str) -> None:
        self._taxonomy = taxonomy
        self._timezone = timezone
        self._bureau = bureau

    def build(self, session: Session, month: str, generated_at: datetime) -> CriticismReport:
        first = month_period(month, self._timezone)
        start = month_period(add_months(first.first, 1 - TREND_MONTHS).isoformat()[:7], self._timezone).start
        rows = session.scalars(
            select(Criticism)
            .where(Criticism.received_at >= start, Criticism.received_at < first.end)
            .options(lazyload(Criticism.steps))  # the steps are not needed
        )
        items = [_item(row) for row in rows]
        lawyers = {
            extension: name for extension, name in session.execute(select(Lawyer.extension, Lawyer.name))
        }
        measures = session.scalar(
            select(StoredCriticismReport.measures).where(StoredCriticismReport.month == month)
        )
        return build_report(
            month,
            items,
            now=generated_at,
            timezone=self._timezone,
            bureau=self._bureau,
            labels=Labels(self._taxonomy.label, lawyers),
            measures=measures,
        )
