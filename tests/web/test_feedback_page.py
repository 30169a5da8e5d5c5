"""The public feedback page (网上留言) in real Chromium, under the Content-Security-Policy: a citizen
fills it in without signing in and reads their reference number; reloading the answer files
nothing twice; past the limit for their number they are told so plainly and nothing is stored."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from playwright.async_api import expect
from sqlalchemy import func, select

from hotline.criticism.models import Criticism
from tests.browser import chromium, screenshot, serve
from tests.helpers import ManualClock, app_without_asterisk

UI = 10_000  # ms
# Monday 7 December 2026, 10:00 in Beijing.
MONDAY = datetime(2026, 12, 7, 2, 0, tzinfo=UTC)


async def test_a_citizen_sends_criticism_reads_the_number_and_meets_the_limit(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    async with (
        app_without_asterisk(tmp_path_factory.mktemp("feedback-page"), clock=ManualClock(MONDAY)) as (
            app,
            runtime,
        ),
        serve(app) as url,
        chromium() as browser,
    ):

        def stored() -> list[tuple[str, str, str | None]]:
            with runtime.session_factory() as session:
                rows = session.execute(select(Criticism.number, Criticism.text, Criticism.suggested_category))
                return [(row[0], row[1], row[2]) for row in rows]

        context = await browser.new_context(base_url=url, locale="zh-CN")
        page = await context.new_page()
        problems: list[str] = []
        # Scripts failing or refused by the policy (the 429 answer itself is logged as a failed load).
        page.on("console", lambda m: problems.append(m.text) if "Refused" in m.text else None)
        page.on("pageerror", lambda e: problems.append(str(e)))

        await page.goto("/feedback")
        await page.get_by_label("意见类别").select_option(label="等待与接通")
        await page.get_by_label("意见内容").fill("打了三次都没人接，希望增加值班律师")
        await page.get_by_label("联系电话").fill("13905770123")
        await page.get_by_role("button", name="提交").click()
        await expect(page.locator("#reference")).to_have_text("YJ-20261207-0001", timeout=UI)
        await expect(page.locator("#due")).to_have_text("2026年12月14日 10:00")
        await screenshot(page, "feedback-done")
        assert stored() == [("YJ-20261207-0001", "打了三次都没人接，希望增加值班律师", "waiting")]

        # Reloading the answer sends the same form again: the same number, nothing stored twice.
        page.once("dialog", lambda dialog: dialog.accept())
        await page.reload()
        await expect(page.locator("#reference")).to_have_text("YJ-20261207-0001", timeout=UI)
        assert len(stored()) == 1

        # Two more from the same number the same day, then the fourth is refused plainly.
        for text in ("第二条意见", "第三条意见", "第四条意见"):
            await page.goto("/feedback")
            await page.get_by_label("意见内容").fill(text)
            await page.get_by_label("联系电话").fill("13905770123")
            await page.get_by_role("button", name="提交").click()
            await page.wait_for_load_state()
        await expect(page.locator("#feedback-error")).to_contain_text(
            "该电话号码今天提交的意见已达上限（3 条）"
        )
        await expect(page.get_by_label("意见内容")).to_have_value("第四条意见")  # kept in the form
        with runtime.session_factory() as session:
            assert session.scalar(select(func.count()).select_from(Criticism)) == 3
        assert problems == [], problems
