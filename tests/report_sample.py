"""Monthly reports to render in tests: a realistic month (November 2026 in Wenzhou) and an empty one.

The figures are made up but hang together: a weekday/hour pattern of calls, answered plus abandoned
equal to offered, rates that are the counts' quotients, ``None`` where a figure has no base.
"""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta

from hotline.reports.document import (
    Cell,
    Column,
    ColumnKind,
    DailySeries,
    HeatMap,
    MonthlyReport,
    Table,
)

MONTH = "2026-11"
BUREAU = "温州市司法局"
TITLE = "12348公共法律服务热线 2026年11月 服务情况月报"
TIMEZONE = "Asia/Shanghai"
GENERATED_AT = datetime(2026, 12, 3, 1, 30, tzinfo=UTC)  # 09:30 in Wenzhou
DAYS = tuple((date(2026, 11, 1) + timedelta(days=offset)).isoformat() for offset in range(30))

LAWYERS = (
    ("张伟", "浙江瓯江律师事务所"),
    ("王芳", "浙江瓯江律师事务所"),
    ("李娜", "浙江南雁律师事务所"),
    ("刘洋", "浙江南雁律师事务所"),
    ("陈静", "浙江东瓯律师事务所"),
    ("杨帆", "浙江东瓯律师事务所"),
    ("赵磊", "浙江鹿城律师事务所"),
    ("黄丽", "浙江鹿城律师事务所"),
    ("周敏", "浙江瓯海律师事务所"),
    ("吴强", "浙江瓯海律师事务所"),
    ("徐婷", "浙江龙湾律师事务所"),
    ("孙浩", "浙江龙湾律师事务所"),
    ("胡军", "浙江洞头律师事务所"),
    ("朱琳", "浙江乐清律师事务所"),
    ("高峰", "浙江乐清律师事务所"),
    ("林晓燕", "浙江瑞安律师事务所"),
    ("何欣", "浙江瑞安律师事务所"),
    ("郭亮", "浙江永嘉律师事务所"),
    ("马丽娟", "浙江平阳律师事务所"),
    ("罗振华", "浙江苍南律师事务所"),
    ("梁晨", "浙江文成律师事务所"),
    ("宋佳", "浙江泰顺律师事务所"),
    ("郑凯", "浙江龙港律师事务所"),
    ("谢雨欣", "浙江瓯江律师事务所"),
    ("韩冰", "浙江南雁律师事务所"),
    ("唐宁", "浙江东瓯律师事务所"),
    ("冯志刚", "浙江鹿城律师事务所"),
    ("于晓", "浙江瓯海律师事务所"),
    ("董洁", "浙江龙湾律师事务所"),
    ("萧然", "浙江乐清律师事务所"),
    ("程立", "浙江瑞安律师事务所"),
    ("曹颖", "浙江永嘉律师事务所"),
    ("袁博", "浙江平阳律师事务所"),
    ("邓雪", "浙江苍南律师事务所"),
    ("许诺", "浙江文成律师事务所"),
    ("傅强", "浙江泰顺律师事务所"),
)


def _ratio(part: float, whole: float) -> float | None:
    return part / whole if whole else None


def _change(now: float | None, before: float | None) -> float | None:
    return None if now is None or not before else now / before - 1


def _table(
    key: str,
    title: str,
    columns: list[tuple[str, ColumnKind]],
    rows: list[list[Cell]],
    note: str = "",
    row_kinds: tuple[ColumnKind, ...] = (),
) -> Table:
    return Table(
        key,
        title,
        tuple(Column(f"c{index}", label, kind) for index, (label, kind) in enumerate(columns)),
        tuple(tuple(row) for row in rows),
        note,
        row_kinds,
    )


def _heat(rng: random.Random, scale: float) -> tuple[tuple[int, ...], ...]:
    """Calls by weekday and hour: office hours busy, evenings some, nights few, weekends lighter."""
    rows = []
    for weekday in range(7):
        weight = 1.0 if weekday < 5 else 0.45
        row = []
        for hour in range(24):
            base = 22 if 9 <= hour <= 11 or 14 <= hour <= 16 else 12 if 8 <= hour <= 20 else 1
            row.append(round(base * weight * scale * rng.uniform(0.7, 1.3)))
        rows.append(tuple(row))
    return tuple(rows)


def _summary(offered: int, answered: int, abandoned: int) -> Table:
    kpis: list[tuple[str, ColumnKind, float | None, float | None, float | None]] = [
        ("呼入量（通）", "int", offered, 4502, 3990),
        ("接通量（通）", "int", answered, 4213, 3581),
        ("接通率", "percent", _ratio(answered, offered), 4213 / 4502, 3581 / 3990),
        ("放弃量（通）", "int", abandoned, 289, 409),
        ("放弃率", "percent", _ratio(abandoned, offered), 289 / 4502, 409 / 3990),
        ("20秒内接通率", "percent", 0.8734, 0.8512, 0.8020),
        ("平均等待时长（秒）", "seconds", 18.6, 21.2, 27.9),
        ("平均通话时长（秒）", "seconds", 312.4, 305.0, 298.7),
        ("律师值班时长（小时）", "hours", 1236.5, 1190.0, 1102.5),
        ("来电满意度", "percent", 0.9621, 0.9588, None),  # no survey a year ago
        ("工单按期办结率", "percent", 0.9815, 0.9702, 0.9433),
    ]
    rows: list[list[Cell]] = [
        [label, now, before, _change(now, before), last_year, _change(now, last_year)]
        for label, _kind, now, before, last_year in kpis
    ]
    return _table(
        "summary",
        "主要指标",
        [
            ("指标", "text"),
            ("本月", "number"),
            ("上月", "number"),
            ("环比", "change"),
            ("去年同期", "number"),
            ("同比", "change"),
        ],
        rows,
        note="接通率 = 接通量 ÷ 呼入量；放弃量含排队中挂机；满意度为来电后短信评价中“满意”的占比。",
        row_kinds=tuple(kind for _label, kind, *_figures in kpis),
    )


def sample_report() -> MonthlyReport:
    """November 2026: 30 days, about 4,800 calls, 36 lawyers from 14 firms."""
    rng = random.Random(202611)
    offered_per_day, answered_per_day, abandoned_per_day = [], [], []
    for day in DAYS:
        weekday = date.fromisoformat(day).weekday()
        offered = round((190 if weekday < 5 else 95) * rng.uniform(0.85, 1.15))
        abandoned = round(offered * rng.uniform(0.03, 0.09))
        offered_per_day.append(offered)
        abandoned_per_day.append(abandoned)
        answered_per_day.append(offered - abandoned)
    offered, answered, abandoned = sum(offered_per_day), sum(answered_per_day), sum(abandoned_per_day)
    daily = DailySeries(DAYS, tuple(offered_per_day), tuple(answered_per_day), tuple(abandoned_per_day))
    heatmaps = (
        HeatMap("offered", "来电时段分布（呼入）", _heat(rng, 1.0)),
        HeatMap("abandoned", "来电时段分布（放弃）", _heat(rng, 0.2)),
    )
    by_day = _table(
        "by_day",
        "每日来电情况",
        [
            ("日期", "text"),
            ("呼入", "int"),
            ("接通", "int"),
            ("放弃", "int"),
            ("接通率", "percent"),
            ("平均等待（秒）", "seconds"),
        ],
        [
            [day, o, a, b, _ratio(a, o), round(rng.uniform(8, 35), 1)]
            for day, o, a, b in zip(DAYS, offered_per_day, answered_per_day, abandoned_per_day, strict=True)
        ],
    )
    topics = [
        ("婚姻家庭", 1102, 0.052),
        ("劳动争议", 986, 0.113),
        ("合同纠纷", 641, -0.034),
        ("民间借贷", 512, 0.021),
        ("交通事故", 377, -0.087),
        ("房产物业", 341, 0.064),
        ("继承", 228, None),  # a new topic this month
        ("其他", offered - 4187, 0.008),
    ]
    by_topic = _table(
        "by_topic",
        "咨询事项分布",
        [("咨询事项", "text"), ("来电（通）", "int"), ("占比", "percent"), ("环比", "change")],
        [[name, count, count / offered, change] for name, count, change in topics],
        note="按律师在工单中选择的咨询事项统计；一通来电只计一个事项。",
    )
    languages = [("普通话", 0.83), ("温州话", 0.15), ("英语", 0.015), ("其他", 0.005)]
    by_language = _table(
        "by_language",
        "来电语种",
        [("语种", "text"), ("来电（通）", "int"), ("占比", "percent")],
        [[name, round(offered * share), share] for name, share in languages],
    )
    lawyer_rows: list[list[Cell]] = []
    for index, (name, firm) in enumerate(LAWYERS):
        calls = rng.randint(60, 190)
        lawyer_rows.append(
            [
                name,
                firm,
                round(rng.uniform(16, 48), 1),
                calls,
                round(rng.uniform(220, 420), 1),
                None if index % 9 == 4 else round(rng.uniform(0.9, 1.0), 4),  # no ratings received
                None if index % 7 == 3 else round(rng.uniform(82, 98), 1),  # not sampled for review
            ]
        )
    by_lawyer = _table(
        "by_lawyer",
        "律师值班及接听情况",
        [
            ("律师", "text"),
            ("律师事务所", "text"),
            ("值班时长（小时）", "hours"),
            ("接听（通）", "int"),
            ("平均通话（秒）", "seconds"),
            ("满意度", "percent"),
            ("质检平均分", "number"),
        ],
        lawyer_rows,
        note="满意度为空：本月未收到评价；质检平均分为空：本月未被抽检。",
    )
    firms: dict[str, list[list[Cell]]] = {}
    for row in lawyer_rows:
        firms.setdefault(str(row[1]), []).append(row)
    by_firm = _table(
        "by_firm",
        "律师事务所值班情况",
        [
            ("律师事务所", "text"),
            ("值班律师（人）", "int"),
            ("值班时长（小时）", "hours"),
            ("接听（通）", "int"),
        ],
        [
            [
                firm,
                len(rows),
                round(sum(float(r[2] or 0) for r in rows), 1),
                sum(int(r[3] or 0) for r in rows),
            ]
            for firm, rows in firms.items()
        ],
    )
    tickets = _table(
        "tickets",
        "工单及办理时限",
        [
            ("工单类别", "text"),
            ("新建", "int"),
            ("办结", "int"),
            ("逾期", "int"),
            ("按期办结率", "percent"),
            ("平均办理（小时）", "hours"),
        ],
        [
            ["法律咨询回访", 412, 405, 4, 0.9877, 20.5],
            ["预约律师面谈", 96, 90, 3, 0.9375, 46.2],
            ["投诉建议", 18, 17, 0, 1.0, 30.1],
            ["转办事项", 57, 49, 2, 0.9184, 71.8],
            ["紧急求助", 0, 0, 0, None, None],
        ],
        note="办理时限：回访 48 小时，面谈预约 3 个工作日，投诉建议 5 个工作日。",
    )
    referrals = _table(
        "referrals",
        "转办情况",
        [("转办去向", "text"), ("转办（件）", "int"), ("已反馈（件）", "int"), ("反馈率", "percent")],
        [
            ["法律援助中心", 31, 29, 29 / 31],
            ["人民调解委员会", 14, 12, 12 / 14],
            ["12345政务服务热线", 9, 9, 1.0],
            ["公证处", 3, 2, 2 / 3],
        ],
    )
    handoffs = _table(
        "handoffs",
        "案件移交",
        [
            ("对接系统", "text"),
            ("推送（件）", "int"),
            ("成功", "int"),
            ("失败", "int"),
            ("成功率", "percent"),
        ],
        [
            ["法律援助案件管理系统", 31, 31, 0, 1.0],
            ["12345工单系统", 9, 8, 1, 8 / 9],
        ],
        note="失败的推送已由值班主管人工补录。",
    )
    alerts = _table(
        "alerts",
        "告警及处置",
        [("告警类型", "text"), ("次数", "int"), ("平均处置（小时）", "hours")],
        [
            ["排队超过 60 秒", 23, 0.2],
            ["关键词：轻生", 2, 0.1],
            ["中继线路中断", 1, 1.5],
            ["录音存储空间不足", 0, None],
        ],
    )
    return MonthlyReport(
        month=MONTH,
        bureau=BUREAU,
        title=TITLE,
        generated_at=GENERATED_AT,
        timezone=TIMEZONE,
        summary=_summary(offered, answered, abandoned),
        daily=daily,
        heatmaps=heatmaps,
        tables=(by_day, by_topic, by_language, by_lawyer, by_firm, tickets, referrals, handoffs, alerts),
    )


def empty_report() -> MonthlyReport:
    """A month without a single call: zeros, ``None`` rates, tables without rows."""
    full = sample_report()
    zeros = tuple(0 for _ in DAYS)
    summary = full.summary
    empty_summary = Table(
        summary.key,
        summary.title,
        summary.columns,
        tuple((row[0], 0, None, None, None, None) for row in summary.rows),
        summary.note,
        summary.row_kinds,
    )
    return MonthlyReport(
        month=MONTH,
        bureau=BUREAU,
        title=TITLE,
        generated_at=GENERATED_AT,
        timezone=TIMEZONE,
        summary=empty_summary,
        daily=DailySeries(DAYS, zeros, zeros, zeros),
        heatmaps=tuple(
            HeatMap(heatmap.key, heatmap.title, tuple(tuple(0 for _ in range(24)) for _ in range(7)))
            for heatmap in full.heatmaps
        ),
        tables=tuple(
            Table(table.key, table.title, table.columns, (), table.note, table.row_kinds)
            for table in full.tables
        ),
    )
