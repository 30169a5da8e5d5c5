"""The monthly assessment (动态考核) on SQLite and PostgreSQL, from a hand-made November: three lawyers'
answered calls, a roster with a late start and an early leave, an upheld complaint; scores worked out
by hand below; published versions frozen while the data changes; a lawyer's trend."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import openpyxl  # type: ignore[import-untyped, unused-ignore]
import pytest
from sqlalchemy.orm import Session, sessionmaker

from hotline.assessment import service
from hotline.assessment.scheme import parse_scheme
from hotline.assessment.service import Assessor
from hotline.calls.models import Call
from hotline.criticism.models import Channel, Criticism, CriticismState, Target
from hotline.reports.assessment import assessment_workbook
from hotline.routing.models import DutyPresence, DutyShift, Lawyer, RingNoAnswer
from hotline.routing.service import end_shifts
from hotline.stats.service import Statistics
from tests.stats_month import THRESHOLDS

pytestmark = pytest.mark.db

ZONE = ZoneInfo("Asia/Shanghai")
AS_OF = datetime(2026, 12, 1, 14, 0, tzinfo=ZONE)
# Three items, so each total can be worked out by hand (weights 50 + 30 + 20).
SCHEME = parse_scheme(
    {
        "name": "测试方案",
        "grades": [
            {"grade": "优秀", "from": 90},
            {"grade": "合格", "from": 75},
            {"grade": "基本合格", "from": 60},
            {"grade": "不合格", "from": 0},
        ],
        "items": [
            {
                "key": "answered",
                "label": "接听量",
                "weight": 50,
                "figure": "answered",
                "better": "higher",
                "zero": 0,
                "full": 4,
            },
            {
                "key": "attendance",
                "label": "出勤",
                "weight": 30,
                "figure": "attendance_minutes",
                "better": "lower",
                "zero": 60,
                "full": 0,
            },
            {
                "key": "complaints",
                "label": "有效投诉",
                "weight": 20,
                "figure": "upheld_complaints",
                "better": "lower",
                "zero": 2,
                "full": 0,
            },
            {
                "key": "satisfaction",
                "label": "满意率",
                "weight": 40,
                "figure": "satisfaction_rate",
                "better": "higher",
                "zero": 0.8,
                "full": 1,
                "needs": {"figure": "rated", "at_least": 10},
            },
        ],
    },
    "test",
)


def local(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=ZONE).astimezone(UTC)


def answered(linkedid: str, lawyer: str, day: int, rating: int | None = None) -> Call:
    start = local(day, 10)
    return Call(
        linkedid=linkedid,
        caller="13905770123",
        started_at=start,
        queued_at=start + timedelta(seconds=10),
        answered_at=start + timedelta(seconds=20),
        ended_at=start + timedelta(seconds=320),
        queue="other",
        lawyer=lawyer,
        wait_seconds=10,
        talk_seconds=300,
        outcome="answered",
        rating=rating,
    )


@pytest.fixture
def november(session_factory: sessionmaker[Session]) -> None:
    with session_factory.begin() as session:
        lawyers = {
            ext: Lawyer(name=name, extension=ext, sip_ha1="0" * 32, firm=firm)
            for ext, name, firm in [
                ("8001", "律师甲", "鹿城律所"),
                ("8002", "律师乙", "鹿城律所"),
                ("8003", "律师丙", None),
            ]
        }
        session.add_all(lawyers.values())
        session.flush()
        for lawyer in ("8001", "8002"):  # Monday 2 November, 09:00-12:00
            session.add(DutyShift(lawyer_id=lawyers[lawyer].id, starts_at=local(2, 9), ends_at=local(2, 12)))
        # 8001 logs in 10 minutes late; 8002 leaves 30 minutes early, logging out from the desk
        # (which ends the shift then; the roster's end is kept).
        session.flush()
        end_shifts(session, lawyers["8002"], local(2, 11, 30))
        session.add(
            DutyPresence(extension="8001", state="logged_in", starts_at=local(2, 9, 10), ends_at=local(2, 12))
        )
        session.add(
            DutyPresence(extension="8002", state="logged_in", starts_at=local(2, 9), ends_at=local(2, 11, 30))
        )
        session.add_all(answered(f"1796000000.{n}", "8001", 2 + n, rating=5) for n in range(3))
        session.add_all(answered(f"1796100000.{n}", "8002", 3 + n) for n in range(4))
        session.add(Call(**_december_call()))
        # Two offers 8001 let ring out in November, one in December.
        session.add_all(
            RingNoAnswer(extension="8001", at=moment, queue="other", callid="x")
            for moment in (local(4, 10), local(5, 10), local(30, 10) + timedelta(days=1))
        )
        session.add(
            Criticism(
                number="YJ-20261110-0001",
                channel=Channel.letter,
                received_at=local(10, 9),
                text="态度不好",
                target=Target.lawyer,
                target_name="8001",
                state=CriticismState.closed,
                upheld=True,
            )
        )


def _december_call() -> dict[str, object]:
    """A call of 8001's started in December (1 December, 10:00): not November's."""
    start = local(30, 10) + timedelta(days=1)
    return {
        "linkedid": "1796200000.1",
        "caller": "13905770123",
        "started_at": start,
        "answered_at": start + timedelta(seconds=20),
        "ended_at": start + timedelta(seconds=320),
        "queued_at": start + timedelta(seconds=10),
        "queue": "other",
        "lawyer": "8001",
        "wait_seconds": 10,
        "talk_seconds": 300,
        "outcome": "answered",
    }


@pytest.fixture
def assessor() -> Assessor:
    return Assessor(Statistics(THRESHOLDS, "Asia/Shanghai", lambda: AS_OF), SCHEME)


def test_the_month_is_scored_and_ranked_as_worked_out_by_hand(
    session_factory: sessionmaker[Session], november: None, assessor: Assessor
) -> None:
    with session_factory() as session:
        ranked = assessor.compute(session, "2026-11")
    by = {r.person.extension: r for r in ranked}
    # 8002: answered 4 -> 50; 30 min early of a 60-minute scale -> 30 x 0.5 = 15; no complaint -> 20;
    # satisfaction not scored (no ratings): 85.0 of 100 -> 合格.
    # 8001: answered 3 -> 50 x 3/4 = 37.5; 10 min late -> 30 x 50/60 = 25; one upheld complaint ->
    # 20 x 1/2 = 10; three ratings are fewer than 10: not scored. 72.5 -> 基本合格.
    # 8003: nothing answered -> 0; no shift, so nothing missed -> 30; no complaint -> 20: 50.0 -> 不合格.
    assert [(r.person.extension, r.score.total, r.score.grade, r.rank, r.firm_rank) for r in ranked] == [
        ("8002", 85.0, "合格", 1, 1),
        ("8001", 72.5, "基本合格", 2, 2),
        ("8003", 50.0, "不合格", 3, None),
    ]
    figures = by["8001"].person.figures
    assert (figures["answered"], figures["attendance_minutes"], figures["upheld_complaints"]) == (3, 10.0, 1)
    assert figures["satisfaction_rate"] == 1.0 and figures["rated"] == 3
    assert (figures["ring_no_answer"], by["8002"].person.figures["ring_no_answer"]) == (2, 0)
    assert figures["duty_hours"] == 2.83  # 09:10-12:00
    assert by["8002"].person.figures["talk_hours"] == round(4 * 300 / 3600, 2)
    satisfaction = next(item for item in by["8001"].score.items if item.key == "satisfaction")
    assert satisfaction.points is None


def test_a_published_month_stays_as_it_was_and_a_republication_is_a_new_version(
    session_factory: sessionmaker[Session], november: None, assessor: Assessor
) -> None:
    with session_factory.begin() as session:
        first = assessor.publish(session, "2026-11", "supervisor-zhao", AS_OF)
        assert (first.version, [r.extension for r in first.results]) == (1, ["8002", "8001", "8003"])
    with session_factory.begin() as session:  # a late call of 8003's in November
        session.add(answered("1796300000.1", "8003", 20))
    with session_factory() as session:
        run = service.published(session, "2026-11")
        assert run is not None and run.version == 1
        assert {r.extension: r.total for r in run.results}["8003"] == 50.0  # frozen
    with session_factory.begin() as session:
        again = assessor.publish(session, "2026-11", "supervisor-zhao", AS_OF + timedelta(days=1))
        assert again.version == 2
        assert {r.extension: r.total for r in again.results}["8003"] == 62.5  # 50 x 1/4 more
    with session_factory() as session:
        trend = service.history(session, "8003", "2026-12")
        assert [(month, result.total) for month, result in trend] == [("2026-11", 62.5)]


def test_the_workbook_has_the_results_the_firms_and_the_duty_hours(
    session_factory: sessionmaker[Session], november: None, assessor: Assessor
) -> None:
    with session_factory() as session:
        content = assessment_workbook(
            session, assessor, "2026-11", bureau="温州市司法局", target_hours=50, now=AS_OF
        )
    book = openpyxl.load_workbook(io.BytesIO(content))
    assert book.sheetnames == ["考核结果", "律所汇总", "在岗时长"]
    results = [[cell.value for cell in row] for row in book["考核结果"].iter_rows(min_row=2, max_row=4)]
    assert [row[:7] for row in results] == [
        [1, "8002", "律师乙", "鹿城律所", 85.0, "合格", 1],
        [2, "8001", "律师甲", "鹿城律所", 72.5, "基本合格", 2],
        [3, "8003", "律师丙", None, 50.0, "不合格", None],
    ]
    firms = [[cell.value for cell in row] for row in book["律所汇总"].iter_rows(min_row=2, max_row=3)]
    assert firms[0][:3] == ["鹿城律所", 2, 78.8]  # (85 + 72.5) / 2, one decimal
    hours = {
        row[0].value: [cell.value for cell in row]
        for row in book["在岗时长"].iter_rows(min_row=2)
        if row[0].value
    }
    # 8001: rostered 09:00-12:00, on duty 09:10-12:00 (170 minutes), three calls of 5 minutes: 170
    # minutes of the year's 50 hours.
    assert hours["8001"][3:8] == [3.0, 2.83, 0.25, 2.83, 50]
    assert hours["8001"][8] == pytest.approx(170 / 60 / 50)
