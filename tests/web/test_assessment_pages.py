"""The assessment (动态考核) on the pages in real Chromium (SQLite, no Asterisk; time from an injected
clock): the supervisor sees last month's results as they stand on /reports, publishes them, and the
lawyer reads their published result on the desk (我的考核)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from playwright.async_api import expect

from hotline.auth.service import create_user
from hotline.calls.service import CallStore
from hotline.calls.state import CallProgress
from hotline.routing.service import create_lawyer
from hotline.staff.service import link_lawyer
from tests.browser import chromium, screenshot, serve, signed_in_page
from tests.helpers import ManualClock, app_without_asterisk

PASSWORD = "assessment-page-password-1"
UI = 10_000  # ms
# Monday 7 December 2026, 10:00 in Beijing: last month is November.
NOW = datetime(2026, 12, 7, 2, 0, tzinfo=UTC)
NOVEMBER = datetime(2026, 11, 10, 2, 0, tzinfo=UTC)


def answered(linkedid: str, lawyer: str, start: datetime) -> CallProgress:
    at = start.timestamp()
    return CallProgress(
        linkedid=linkedid,
        caller="13905770123",
        started_at=at,
        queued_at=at + 5,
        answered_at=at + 15,
        lawyer=lawyer,
        queue="other",
        ended_at=at + 240,
        wait_seconds=10,
        talk_seconds=225,
    )


async def test_a_supervisor_publishes_the_month_and_the_lawyer_reads_it_on_the_desk(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    clock = ManualClock(NOW)
    async with app_without_asterisk(tmp_path_factory.mktemp("assessment-pages"), clock=clock) as (
        app,
        runtime,
    ):
        with runtime.session_factory.begin() as session:
            create_lawyer(session, "王律师", "8001")
            create_lawyer(session, "李律师", "8002")
            create_user(session, "lawyer-8001", PASSWORD, "lawyer")
            create_user(session, "supervisor-zhao", PASSWORD, "supervisor")
            link_lawyer(session, "lawyer-8001", "8001")
        runtime.part(CallStore).write(
            [answered(f"1795000000.{n}", "8001", NOVEMBER + timedelta(days=n)) for n in range(30)]
        )
        async with serve(app) as url, chromium() as browser:
            page = await signed_in_page(browser, url, "supervisor-zhao", PASSWORD)
            await page.goto("/reports")
            state = page.locator("#assessment-state")
            await expect(state).to_contain_text("2026年11月：尚未发布", timeout=UI)
            rows = page.locator("#assessment-table tbody tr")
            await expect(rows).to_have_count(2)
            await expect(page.locator("#assessment-xlsx")).to_have_attribute(
                "href", "/api/v1/reports/assessment/2026-11.xlsx"
            )
            await page.get_by_role("button", name="发布本月考核").click()
            await expect(state).to_contain_text("已发布第 1 版（supervisor-zhao", timeout=UI)
            mine = page.locator('#assessment-table tbody tr[data-extension="8001"]')
            rank = await mine.locator("td").nth(0).text_content()
            total = await mine.locator("td").nth(3).text_content()
            await screenshot(page, "assessment", "#assessment")

            desk = await signed_in_page(browser, url, "lawyer-8001", PASSWORD)
            await desk.goto("/desk")
            latest = desk.locator("#my-assessment-latest")
            await expect(latest).to_contain_text(f"2026年11月：{total} 分", timeout=UI)
            await expect(latest).to_contain_text(f"第 {rank} 名")
            await expect(desk.locator("#my-assessment-trend tbody tr")).to_have_count(1)
