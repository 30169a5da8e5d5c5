"""The public video consultation page (视频咨询) in real Chromium, under the Content-Security-Policy:
a citizen's mistake is told plainly on the page and lends no line; a request without the page's
form is refused. (The consultation itself, with Asterisk: tests/e2e/test_browser_phone.py.)"""

from __future__ import annotations

import httpx
import pytest
from playwright.async_api import expect

from hotline.video.service import VideoConsultations
from tests.browser import chromium, serve
from tests.helpers import app_without_asterisk

UI = 10_000  # ms


async def test_a_wrong_number_is_told_plainly_and_a_forged_request_is_refused(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    async with (
        app_without_asterisk(tmp_path_factory.mktemp("video-page")) as (app, runtime),
        serve(app) as url,
        chromium() as browser,
    ):
        context = await browser.new_context(base_url=url, locale="zh-CN")
        page = await context.new_page()
        problems: list[str] = []
        page.on("console", lambda m: problems.append(m.text) if "Refused" in m.text else None)
        page.on("pageerror", lambda e: problems.append(str(e)))

        await page.goto("/video")
        await expect(page.get_by_label("咨询类别").locator("option")).to_have_count(7)
        await page.get_by_label("联系电话", exact=False).fill("12")
        await page.get_by_label("我同意开启摄像头和麦克风", exact=False).check()
        await page.get_by_role("button", name="开始视频咨询").click()
        await expect(page.locator("#video-error")).to_have_text(
            "请填写能联系到您的电话号码，例如 13800000000。", timeout=UI
        )
        await expect(page.locator("#video-call")).to_be_hidden()
        assert problems == []
        assert runtime.part(VideoConsultations).counts() == {}

        # Without the page's form cookie and nonce: refused, nothing lent.
        async with httpx.AsyncClient(base_url=url) as http:
            forged = await http.post(
                "/video/consultations", json={"number": "13800000001", "topic": "labour", "csrf": "x"}
            )
        assert forged.status_code == 403 and forged.json()["error_id"] == "csrf-failed"
        assert runtime.part(VideoConsultations).counts() == {}
        await context.close()
