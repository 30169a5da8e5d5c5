"""Monthly reports kept: stored, replaced only by a good one, submitted, warned about, scheduled."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy.orm import Session, sessionmaker

from hotline.errors import HotlineError
from hotline.ivr.catalog import load_catalog
from hotline.reports.document import MonthlyReport
from hotline.reports.monthly import MonthlyBuilder
from hotline.reports.service import MONTHLY, ReportShelf, previous_month
from hotline.stats.service import Statistics
from tests import stats_month
from tests.helpers import ManualClock
from tests.stats_month import THRESHOLDS

pytestmark = pytest.mark.db

ZONE = ZoneInfo("Asia/Shanghai")
IVR_FLOWS = Path(__file__).resolve().parents[2] / "ivr_flows"


class Renderer:
    """Writes the report's month and its answered calls; fails while ``broken`` says why."""

    def __init__(self) -> None:
        self.broken: str | None = None

    def __call__(self, report: MonthlyReport) -> bytes:
        if self.broken:
            raise RuntimeError(self.broken)
        answered = dict((row[0], row[1]) for row in report.summary.rows)["接通量"]
        return f"{report.month}: {answered}".encode()


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(datetime(2026, 12, 1, 2, 0, tzinfo=ZONE))


@pytest.fixture
def renderer() -> Renderer:
    return Renderer()


@pytest.fixture
def shelf(session_factory: sessionmaker[Session], clock: ManualClock, renderer: Renderer) -> ReportShelf:
    with session_factory.begin() as session:
        stats_month.fill(session)
    stats = Statistics(THRESHOLDS, "Asia/Shanghai", clock)
    builder = MonthlyBuilder(stats, load_catalog(IVR_FLOWS / "topics.yaml"), "温州市司法局")
    return ReportShelf(
        session_factory,
        MONTHLY,
        lambda session, month, now: builder.build(session, month, generated_at=now),
        {"xlsx": renderer, "pdf": renderer},
        timezone="Asia/Shanghai",
        clock=clock,
        submit_warning_day=15,
    )


async def test_the_job_on_the_first_makes_last_month_s_report(shelf: ReportShelf, clock: ManualClock) -> None:
    assert previous_month(clock(), "Asia/Shanghai") == "2026-11"
    await shelf.scheduled()
    (state,) = shelf.listing()
    assert (state.month, state.generated_by, state.generated_at, state.last_error) == (
        "2026-11",
        "scheduler",
        clock(),
        None,
    )
    assert shelf.file("2026-11", "pdf") == b"2026-11: 4"
    assert shelf.file("2026-11", "xlsx") == b"2026-11: 4"


def test_a_failed_generation_keeps_the_stored_report_and_says_why(
    shelf: ReportShelf, renderer: Renderer, clock: ManualClock
) -> None:
    first = shelf.generate("2026-11", "supervisor-zhang")
    renderer.broken = "font missing"
    clock.now = datetime(2026, 12, 2, 9, 0, tzinfo=ZONE)
    with pytest.raises(HotlineError) as failed:
        shelf.generate("2026-11", "supervisor-zhang")
    assert failed.value.error_id == "report-failed" and "font missing" in failed.value.message
    state = shelf.state("2026-11")
    assert state is not None
    assert state.generated_at == first.generated_at  # the good one stays ...
    assert (
        state.last_attempt_at == clock() and state.last_error == "RuntimeError: font missing"
    )  # ... and why
    assert shelf.file("2026-11", "pdf") == b"2026-11: 4"
    renderer.broken = None
    again = shelf.generate("2026-11", "admin-wu")
    assert (again.generated_at, again.generated_by, again.last_error) == (clock(), "admin-wu", None)


def test_an_unsubmitted_report_is_a_warning_from_the_15th(shelf: ReportShelf, clock: ManualClock) -> None:
    clock.now = datetime(2026, 12, 14, 23, 59, tzinfo=ZONE)
    assert shelf.unsubmitted() is None and shelf.notice() is None
    clock.now = datetime(2026, 12, 15, 0, 0, tzinfo=ZONE)
    assert shelf.unsubmitted() == "2026-11"  # not even generated
    shelf.generate("2026-11", "scheduler")
    assert shelf.notice() == "2026年11月的月报尚未上报，请于20日前完成上报。"
    state = shelf.submit("2026-11", "admin-wu")
    assert (state.submitted_by, state.submitted_at) == ("admin-wu", clock())
    assert shelf.unsubmitted() is None
    clock.now = datetime(2027, 1, 15, 8, 0, tzinfo=ZONE)
    assert shelf.unsubmitted() == "2026-12"


def test_bad_months_and_missing_reports_are_clear_errors(shelf: ReportShelf) -> None:
    for month in ("2026-13", "2026-1", "november", "2026-11-01"):
        with pytest.raises(HotlineError) as bad:
            shelf.generate(month, "x")
        assert bad.value.error_id == "report-month-invalid" and bad.value.status == 422
    with pytest.raises(HotlineError) as missing:
        shelf.file("2026-10", "pdf")
    assert (
        missing.value.error_id == "report-not-found"
        and "hotline report monthly 2026-10" in missing.value.message
    )
    with pytest.raises(HotlineError) as unsent:
        shelf.submit("2026-10", "admin-wu")
    assert unsent.value.error_id == "report-not-found"
