"""The reports page in real Chromium against the app (SQLite, no Asterisk), on the hand-counted
month of tests/stats_month.py with the app's clock on 16 December 2026: a supervisor opens /reports
on last month, sees the API's figures in the tiles, the charts drawn, the tables; generates the
month's report and downloads its PDF and XLSX. A supervisor or an admin marks it submitted; lawyers
and reviewers may not open the page."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from playwright.async_api import Browser, Locator, Page, expect

from hotline.auth.service import create_user
from hotline.kernel.compose import Runtime
from hotline.reports.models import StoredReport
from hotline.reports.service import ReportShelf
from hotline.stats.definitions import KPI_BY_KEY
from hotline.web.pages import REPORT_TILES
from tests import stats_month
from tests.browser import chromium, screenshot, serve, signed_in_page
from tests.helpers import ManualClock, app_without_asterisk

PASSWORD = "reports-page-password-1"
SUPERVISOR = "supervisor-zhao"
ADMIN = "admin-qian"
USERS = {SUPERVISOR: "supervisor", ADMIN: "admin", "lawyer-sun": "lawyer", "reviewer-li": "reviewer"}
NOW = datetime(2026, 12, 16, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
UI = 10_000  # ms: how long the tests give the page to show a change
GENERATION = 60_000  # ms: building and rendering the month's PDF and XLSX
CHARTS = ("#chart-daily", "#chart-hours", "#chart-topics")


@dataclass
class Site:
    url: str
    runtime: Runtime


@pytest.fixture(scope="module")
async def site(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Site]:
    state = tmp_path_factory.mktemp("reports-page")
    async with app_without_asterisk(state, clock=ManualClock(NOW)) as (app, runtime):
        with runtime.session_factory.begin() as session:
            stats_month.fill(session)
            for name, role in USERS.items():
                create_user(session, name, PASSWORD, role)
            # October's report: its last generation failed (the page says why).
            session.add(StoredReport(month="2026-10", last_attempt_at=NOW, last_error="OSError: disk full"))
        async with serve(app) as url:
            yield Site(url, runtime)


@pytest.fixture(scope="module")
async def browser() -> AsyncIterator[Browser]:
    async with chromium() as browser:
        yield browser


def shown(value: float | None, kind: str) -> str:
    """A figure as the page's format.js shows it."""
    if value is None:
        return "—"
    if kind == "percent":
        return f"{value * 100:.1f}%"
    if kind == "seconds":
        return f"{value:.1f} 秒"
    if kind == "number":
        return f"{value:.1f}"
    return f"{value:,}"


async def stats(page: Page, first: str, until: str) -> dict[str, Any]:
    """The API's totals, asked with the page's own session."""
    response = await page.context.request.get(f"/api/v1/stats?from={first}&until={until}")
    assert response.ok, await response.text()
    total: dict[str, Any] = (await response.json())["total"]
    return total


def tile(page: Page, kpi: str) -> Locator:
    return page.locator(f'#tiles [data-kpi="{kpi}"]')


async def charts_drawn(page: Page) -> None:
    """Each chart says it is drawn and holds drawn SVG shapes."""
    for chart in CHARTS:
        await expect(page.locator(chart)).to_have_attribute("data-drawn", "true", timeout=UI)
        await expect(page.locator(f"{chart} svg path").first).to_be_attached(timeout=UI)


async def test_a_supervisor_sees_last_month_s_figures_and_charts(site: Site, browser: Browser) -> None:
    page = await signed_in_page(browser, site.url, SUPERVISOR, PASSWORD)
    await expect(page.locator("header nav a", has_text="统计报表")).to_have_attribute("href", "/reports")
    await page.goto("/reports")
    await expect(page.locator("#month")).to_have_value("2026-11")  # last month, by the app's clock
    await expect(page.locator("#report-title")).to_have_text("2026年11月月报")

    # The tiles show the API's figures for November, against October's.
    november = await stats(page, "2026-11-01", "2026-12-01")
    october = await stats(page, "2026-10-01", "2026-11-01")
    await expect(tile(page, "answered").locator(".tile-value")).to_have_text("4", timeout=UI)
    for key in REPORT_TILES:
        kind = KPI_BY_KEY[key].kind
        await expect(tile(page, key).locator(".tile-value")).to_have_text(shown(november[key], kind))
    # Hand-counted (tests/stats_month.py): 4 answered, 3 of 5 in 20 s, 2 of 3 ratings 4-5.
    await expect(tile(page, "service_level").locator(".tile-value")).to_have_text("60.0%")
    await expect(tile(page, "satisfaction_rate").locator(".tile-value")).to_have_text("66.7%")
    await expect(tile(page, "asa").locator(".tile-label")).to_have_text("平均应答速度")
    # October: one call, offered and abandoned; nothing rated; one alert. Less abandoning is good.
    assert (october["calls"], october["abandon_rate"], october["satisfaction_rate"]) == (1, 1.0, None)
    for key, change, judged in (
        ("calls", "较上月 ▲ 8", " good"),
        ("abandon_rate", "较上月 ▼ 80.0 个百分点", " good"),
        ("satisfaction_rate", "较上月：无可比数据", ""),
        ("alerts", "较上月 持平", ""),
    ):
        line = tile(page, key).locator(".tile-change")
        await expect(line).to_have_text(change)
        await expect(line).to_have_class(f"tile-change{judged}")

    # The charts: calls per day, the hour x weekday heat map (7 x 24 cells), topics.
    await charts_drawn(page)
    assert await page.locator("#chart-hours svg path").count() >= 7 * 24
    await expect(page.locator("#chart-daily svg")).to_contain_text("11-30")  # every day of the month
    await expect(page.locator("#chart-topics svg")).to_contain_text("劳动争议")

    # The tables: per topic (most called first) and per lawyer.
    first_topic = page.locator("#topics tbody tr").first
    await expect(first_topic.locator("td")).to_have_text(
        ["劳动争议", "5", "3", "75.0%", "25.0%", "20.0 秒", "50.0%", "3"]
    )
    await expect(page.locator('#lawyers tr[data-lawyer="8001"] td')).to_have_text(
        ["王律师", "8001", "2", "15 分 0 秒", "7 分 30 秒", "50.0%", "72.5"]
    )
    await expect(page.locator('#lawyers tr[data-lawyer="8002"] td')).to_have_text(
        ["李律师", "8002", "2", "3 分 0 秒", "1 分 30 秒", "100.0%", "—"]
    )
    await expect(page.locator("#lawyers tbody tr")).to_have_count(2)  # unanswered calls have no lawyer
    await expect(page.locator("#message")).to_be_hidden()
    await page.context.close()


async def test_chosen_days_and_another_month(site: Site, browser: Browser) -> None:
    page = await signed_in_page(browser, site.url, SUPERVISOR, PASSWORD)
    await page.goto("/reports")
    await expect(tile(page, "answered").locator(".tile-value")).to_have_text("4", timeout=UI)

    # 2 and 3 November: 6 calls, c1 c2 c5 answered; against 31 October and 1 November: 2 calls.
    await page.locator("#from").fill("2026-11-02")
    await page.locator("#until").fill("2026-11-03")
    await page.get_by_role("button", name="查询").click()
    await expect(page.locator("#period-label")).to_contain_text("2026-11-02 至 2026-11-03（2 天）")
    await expect(tile(page, "answered").locator(".tile-value")).to_have_text("3", timeout=UI)
    await expect(tile(page, "calls").locator(".tile-change")).to_have_text("较上期 ▲ 4")
    await charts_drawn(page)

    # October: its report failed the last time, and the page says why.
    await page.locator("#month").fill("2026-10")
    await expect(page.locator("#report-title")).to_have_text("2026年10月月报", timeout=UI)
    await expect(tile(page, "calls").locator(".tile-value")).to_have_text("1", timeout=UI)
    await expect(page.locator("#report-error")).to_contain_text("上次生成失败", timeout=UI)
    await expect(page.locator("#report-error")).to_contain_text("OSError: disk full")
    await expect(page.locator("#report-state")).to_have_text("尚未生成")
    await expect(page.locator("#download-pdf")).to_be_hidden()
    await page.context.close()


async def test_a_supervisor_generates_and_downloads_the_report(site: Site, browser: Browser) -> None:
    page = await signed_in_page(browser, site.url, SUPERVISOR, PASSWORD)
    await page.goto("/reports")
    await expect(page.locator("#report-state")).to_have_text("尚未生成", timeout=UI)
    await expect(page.locator("#download-pdf")).to_be_hidden()
    await expect(page.locator("#submit-report")).to_be_disabled()  # nothing to submit (上报) yet

    await page.get_by_role("button", name="生成月报").click()
    await expect(page.locator("#report-progress")).to_have_text("月报已生成。", timeout=GENERATION)
    await expect(page.locator("#report-state")).to_contain_text("已生成（2026/12/16 ")
    await expect(page.locator("#report-state")).to_contain_text(SUPERVISOR)
    await expect(page.get_by_role("button", name="重新生成")).to_be_enabled()

    # Both files download in the browser, with the page's session.
    for link, suffix, magic in (("下载 PDF", "pdf", b"%PDF-"), ("下载 Excel（XLSX）", "xlsx", b"PK")):
        anchor = page.get_by_role("link", name=link)
        await expect(anchor).to_have_attribute("href", f"/api/v1/reports/monthly/2026-11.{suffix}")
        async with page.expect_download() as pending:
            await anchor.click()
        download = await pending.value
        assert download.suggested_filename == f"12348-monthly-2026-11.{suffix}"
        path = await download.path()
        assert path.read_bytes().startswith(magic)
        response = await page.context.request.get(f"/api/v1/reports/monthly/2026-11.{suffix}")
        assert response.status == 200 and (await response.body()).startswith(magic)
    await charts_drawn(page)
    await page.mouse.move(0, 0)  # no link hovered in the screenshot
    await screenshot(page, "reports")
    await page.context.close()


async def test_an_admin_marks_the_report_submitted(site: Site, browser: Browser) -> None:
    shelf = site.runtime.part(ReportShelf)
    state = shelf.state("2026-11")
    if state is None or not state.available:
        await asyncio.to_thread(shelf.generate, "2026-11", "reports-page-test")
    page = await signed_in_page(browser, site.url, ADMIN, PASSWORD)
    await page.goto("/reports")
    submit = page.get_by_role("button", name="标记已上报")
    await expect(submit).to_be_enabled(timeout=UI)
    await expect(page.locator("#report-submitted")).to_have_text("未上报")
    await submit.click()
    # When, in the browser's time zone (Shanghai's, as in Wenzhou).
    await expect(page.locator("#report-submitted")).to_have_text(
        f"已上报（{ADMIN}，2026/12/16 09:00:00）", timeout=UI
    )
    await expect(page.locator("#submit-report")).to_be_disabled()
    await expect(page.locator("#submit-report")).to_have_text("已上报")
    await page.context.close()


@pytest.mark.parametrize("user", ["lawyer-sun", "reviewer-li"])
async def test_lawyers_and_reviewers_get_the_forbidden_page(site: Site, browser: Browser, user: str) -> None:
    page = await signed_in_page(browser, site.url, user, PASSWORD)
    await expect(page.locator('header nav a[href="/reports"]')).to_have_count(0)
    response = await page.goto("/reports")
    assert response is not None and response.status == 403
    await expect(page.locator("h1")).to_have_text("无权访问")
    await expect(page.locator("#tiles")).to_have_count(0)
    await page.context.close()
