"""The assessment (动态考核) in the reports: its workbook (a month's results, as published or as they
stand; the firms' table; the lawyers' duty hours for the subsidy settlement: rostered, on duty,
talk, and the year's public-interest hours against the target) and its section of the monthly
report (:func:`assessment_table`)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy.orm import Session

from hotline.assessment import service
from hotline.assessment.models import AssessmentResult
from hotline.assessment.service import Assessor
from hotline.reports.document import Cell, Column, Table
from hotline.reports.xlsx import Entry, SheetPlan, render_sheets
from hotline.routing.duty_hours import hours_on_duty, rostered_hours
from hotline.stats.periods import month_period
from hotline.stats.service import firms_of, lawyer_names


def _rows(
    session: Session, assessor: Assessor, month: str
) -> tuple[list[AssessmentResult], list[tuple[str, str]], str]:
    """The month's results (published: its latest version; else as it stands), the items (key,
    label) and what the results are."""
    run = service.published(session, month)
    if run is not None:
        items = [(str(i["key"]), str(i["label"])) for i in run.results[0].items] if run.results else []
        return list(run.results), items, f"第 {run.version} 版，{run.published_by} 发布"
    results = [service.result_of(ranked) for ranked in assessor.compute(session, month)]
    return results, [(item.key, item.label) for item in assessor.scheme.items], "尚未发布（按当前数据计算）"


def assessment_table(session: Session, assessor: Assessor, month: str) -> Table:
    """The monthly report's section: each lawyer's score, grade and ranks (published: its latest
    version; else as it stands, and the note says so)."""
    rows, _items, status = _rows(session, assessor, month)
    grades = "、".join(
        f"{grade}{sum(1 for row in rows if row.grade == grade)}人"
        for grade in (g.grade for g in assessor.scheme.grades)
    )
    return Table(
        "assessment",
        "律师动态考核",
        (
            Column("rank", "排名", "int"),
            Column("name", "律师", "text"),
            Column("firm", "律所", "text"),
            Column("total", "总分", "number"),
            Column("grade", "等级", "text"),
            Column("firm_rank", "所内排名", "int"),
        ),
        tuple((row.rank, row.name, row.firm or "", row.total, row.grade, row.firm_rank) for row in rows),
        note=f"{status}；{grades}。各项得分见考核工作簿。" if rows else status,
    )


def _results_plan(
    rows: Sequence[AssessmentResult], items: Sequence[tuple[str, str]], status: str
) -> SheetPlan:
    header: list[Cell] = [
        "排名",
        "分机",
        "姓名",
        "律所",
        "总分",
        "等级",
        "所内排名",
        *(label for _key, label in items),
    ]
    body: list[list[Entry]] = [
        [
            (row.rank, "int"),
            (row.extension, "text"),
            (row.name, "text"),
            (row.firm or "", "text"),
            (row.total, "number"),
            (row.grade, "text"),
            (row.firm_rank, "int"),
            *((_points(row).get(key), "number") for key, _label in items),
        ]
        for row in rows
    ]
    return SheetPlan("考核结果", header, body, f"{status}；未计分的项目为空。")


def _points(result: AssessmentResult) -> dict[str, float | None]:
    return {str(item["key"]): item["points"] for item in result.items}


def _firms_plan(rows: Sequence[AssessmentResult], grades: Sequence[str]) -> SheetPlan:
    firms: dict[str, list[AssessmentResult]] = defaultdict(list)
    for row in rows:
        firms[row.firm or "（未属律所）"].append(row)
    header: list[Cell] = ["律所", "律师人数", "平均分", *grades]
    body: list[list[Entry]] = [
        [
            (firm, "text"),
            (len(members), "int"),
            (round(sum(m.total for m in members) / len(members), 1), "number"),
            *((sum(1 for m in members if m.grade == grade), "int") for grade in grades),
        ]
        for firm, members in sorted(firms.items())
    ]
    return SheetPlan("律所汇总", header, body)


def _hours_plan(
    session: Session, assessor: Assessor, month: str, target_hours: float, now: datetime
) -> SheetPlan:
    period = month_period(month, assessor.timezone)
    year_start = month_period(f"{month[:4]}-01", assessor.timezone).start
    rostered = rostered_hours(session, period.start, period.end)
    on_duty = hours_on_duty(session, period.start, period.end, now=now)
    year = hours_on_duty(session, year_start, period.end, now=now)
    talk = {
        key[0]: tally.talk / 3600
        for key, tally in assessor.statistics.grouped(session, period, ("lawyer",)).groups.items()
        if key[0] is not None
    }
    names = lawyer_names(session)
    firms = firms_of(session)
    extensions = sorted(set(rostered) | set(on_duty) | set(talk) | set(year))
    header: list[Cell] = [
        "分机",
        "姓名",
        "律所",
        "排班时长",
        "实际在岗",
        "通话时长",
        "本年公益时长",
        "年度目标",
        "完成率",
    ]
    body: list[list[Entry]] = []
    for extension in extensions:
        public = year[extension].logged_in_hours if extension in year else 0.0
        body.append(
            [
                (extension, "text"),
                (names.get(extension, ""), "text"),
                (firms.get(extension) or "", "text"),
                (round(rostered.get(extension, 0.0), 2), "hours"),
                (round(on_duty[extension].logged_in_hours, 2) if extension in on_duty else 0.0, "hours"),
                (round(talk.get(extension, 0.0), 2), "hours"),
                (round(public, 2), "hours"),
                (target_hours, "hours"),
                (min(public / target_hours, 1.0) if target_hours else None, "percent"),
            ]
        )
    note = "时长单位为小时；公益时长为本年 1 月 1 日至本月末在岗（签入队列）的时长。"
    return SheetPlan("在岗时长", header, body, note)


def assessment_workbook(
    session: Session,
    assessor: Assessor,
    month: str,
    *,
    bureau: str,
    target_hours: float,
    now: datetime,
) -> bytes:
    rows, items, status = _rows(session, assessor, month)
    grades = [step.grade for step in assessor.scheme.grades]
    plans = [
        _results_plan(rows, items, status),
        _firms_plan(rows, grades),
        _hours_plan(session, assessor, month, target_hours, now),
    ]
    return render_sheets(
        plans,
        title=f"{month[:4]}年{int(month[5:])}月律师动态考核",
        creator=bureau,
        generated_at=now,
        timezone=assessor.timezone,
    )
