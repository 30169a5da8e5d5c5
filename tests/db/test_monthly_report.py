"""The monthly report's figures, built from the hand-counted month, on SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy.orm import Session, sessionmaker

from hotline.assessment.scheme import default_scheme
from hotline.assessment.service import Assessor
from hotline.ivr.catalog import load_catalog
from hotline.reports.monthly import Hours, MonthlyBuilder
from hotline.stats.service import Statistics
from tests import stats_month
from tests.stats_month import AS_OF, NOVEMBER, THRESHOLDS

pytestmark = pytest.mark.db

IVR_FLOWS = Path(__file__).resolve().parents[2] / "ivr_flows"


@pytest.fixture
def builder() -> MonthlyBuilder:
    stats = Statistics(THRESHOLDS, "Asia/Shanghai", lambda: AS_OF)
    return MonthlyBuilder(stats, load_catalog(IVR_FLOWS / "topics.yaml"), "温州市司法局")


def test_the_report_of_november(session_factory: sessionmaker[Session], builder: MonthlyBuilder) -> None:
    with session_factory.begin() as session:
        stats_month.fill(session)
    with session_factory() as session:
        report = builder.build(
            session, "2026-11", generated_at=AS_OF, hours={"8001": Hours(rostered=40.0, on_duty=36.5)}
        )
    assert report.title == "12348公共法律服务热线 2026年11月 服务情况月报"
    summary = {row[0]: row[1:] for row in report.summary.rows}
    # This month, October (c10 only: offered and abandoned), its change, and November 2025 (nothing).
    assert summary["来电量"] == (NOVEMBER["calls"], 1, 8.0, 0, None)
    assert summary["服务水平"][0] == NOVEMBER["service_level"]
    assert summary["满意率"][:2] == (NOVEMBER["satisfaction_rate"], None)
    assert summary["限时办结率"][0] == NOVEMBER["on_time_rate"]
    assert report.summary.kind_at(0, 1) == "int" and report.summary.kind_at(6, 1) == "percent"

    assert len(report.daily.days) == 30 and report.daily.days[1] == "2026-11-02"
    assert (report.daily.offered[1], report.daily.answered[1], report.daily.abandoned[1]) == (4, 2, 2)
    offered, abandoned = report.heatmaps
    assert offered.values[0][9] == 2 and offered.values[0][10] == 2 and abandoned.values[0][10] == 2
    assert sum(map(sum, offered.values)) == NOVEMBER["offered"]

    tables = {table.key: table for table in report.tables}
    assert list(tables) == [
        "per_day",
        "by_topic",
        "by_language",
        "by_lawyer",
        "by_firm",
        "tickets",
        "referrals",
        "alerts",
    ]
    topics = {row[0]: row for row in tables["by_topic"].rows}
    assert topics["劳动争议"][3] == 3 and topics["婚姻家庭"][3] == 1
    lawyers = {row[0]: row for row in tables["by_lawyer"].rows}
    assert lawyers["8001"][:7] == ("8001", "王律师", "瓯越律师事务所", 2, 0.25, 40.0, 36.5)
    assert lawyers["8001"][9] == 72.5 and lawyers["8002"][5] is None
    firms = {row[0]: row for row in tables["by_firm"].rows}
    assert firms["东瓯律师事务所"][1:4] == (1, 2, 0.05)
    tickets = dict(tables["tickets"].rows)
    assert (tickets["工单量"], tickets["限时办结率"], tickets["超期未办结"]) == (5, 0.25, 1)
    assert dict(tables["referrals"].rows)["移交失败"] == 1
    assert tables["alerts"].rows == (("人身安全", 1, 0),)


def test_the_report_has_the_months_assessment_as_published(session_factory: sessionmaker[Session]) -> None:
    """The last section is the lawyers' assessment (动态考核): as it stands until published, then as
    published (later changes do not touch it)."""
    stats = Statistics(THRESHOLDS, "Asia/Shanghai", lambda: AS_OF)
    assessor = Assessor(stats, default_scheme())
    builder = MonthlyBuilder(stats, load_catalog(IVR_FLOWS / "topics.yaml"), "温州市司法局", assessor)
    with session_factory.begin() as session:
        stats_month.fill(session)
    with session_factory() as session:
        draft = builder.build(session, "2026-11", generated_at=AS_OF).tables[-1]
    assert (draft.key, draft.title) == ("assessment", "律师动态考核")
    assert draft.note.startswith("尚未发布")
    with session_factory.begin() as session:
        published = assessor.publish(session, "2026-11", "supervisor-zhao", AS_OF)
        expected = sorted(
            (r.rank, r.name, r.firm or "", r.total, r.grade, r.firm_rank) for r in published.results
        )
    with session_factory() as session:
        table = builder.build(session, "2026-11", generated_at=AS_OF).tables[-1]
    assert sorted(table.rows) == expected and {row[1] for row in table.rows} == {"王律师", "李律师"}
    assert table.note.startswith("第 1 版，supervisor-zhao 发布")
