"""The quality review page in real Chromium against the app (SQLite, no Asterisk): a reviewer finds
the assigned call, listens after giving a reason, follows the transcript with the player, scores the
call and submits; the grade is then locked."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import httpx
import pytest
from playwright.async_api import Browser, Dialog, Locator, Page, expect
from sqlalchemy import select

from hotline.auth.service import create_user
from hotline.calls.service import CallStore
from hotline.calls.state import CallProgress
from hotline.db.base import utcnow
from hotline.error_catalogue import CATALOGUE
from hotline.kernel.compose import Runtime
from hotline.quality import service as quality
from hotline.quality.models import ReviewReason
from hotline.recordings.models import AuditEntry
from hotline.recordings.service import RecordingRegistry
from hotline.routing.service import create_lawyer
from hotline.transcription import service as transcription
from hotline.transcription.engine import LegTranscript, Word
from tests.browser import chromium, screenshot, serve, signed_in_page
from tests.helpers import app_without_asterisk, sealed_recording

WENZHOU = ZoneInfo("Asia/Shanghai")  # the browser context's zone (tests/browser.py)
PASSWORD = "review-page-password-1"
REVIEWER = "reviewer-zhou"
# A supervisor and another reviewer who score the same call for calibration.
SUPERVISOR = "supervisor-wu"
SECOND_REVIEWER = "reviewer-qian"
LAWYER_ACCOUNT = "lawyer-chen"
LINKEDID = "1764300000.42"
CALLER = "13812345678"
AUDIO_SECONDS = 6.0
# What each leg said: (word, confidence), one word every 0.5 s from ``start``, each 0.4 s long.
CALLER_WORDS = [("我", 0.95), ("老板", 0.4), ("拖欠", 0.9), ("工资", 0.92)]
LAWYER_WORDS = [("可以", 0.9), ("申请", 0.88), ("劳动", 0.93), ("仲裁", 0.9)]
UI = 10_000  # ms: how long the tests give the page to show a change


@dataclass
class Site:
    url: str
    runtime: Runtime
    review_id: int
    recording_id: int
    calibration_group: str

    async def token(self, username: str) -> dict[str, str]:
        async with httpx.AsyncClient(base_url=self.url) as http:
            response = await http.post(
                "/api/v1/auth/token", data={"username": username, "password": PASSWORD}
            )
        return {"Authorization": f"Bearer {response.json()['access_token']}"}


def leg_transcript(said: list[tuple[str, float]], start: float) -> LegTranscript:
    words = tuple(
        Word(text, start + 0.5 * n, start + 0.5 * n + 0.4, confidence)
        for n, (text, confidence) in enumerate(said)
    )
    return LegTranscript(words=words, audio_seconds=AUDIO_SECONDS, speech_seconds=2.0)


def transcribe(runtime: Runtime, recording_id: int) -> None:
    """Both legs through the transcription queue, with hand-made transcripts instead of Vosk."""
    with runtime.session_factory.begin() as session:
        assert transcription.enqueue(session, [recording_id]) == 2
    jobs = transcription.claim(runtime.session_factory, limit=2)
    assert sorted(job.leg for job in jobs) == ["caller", "lawyer"]
    for job in jobs:
        result = (
            leg_transcript(CALLER_WORDS, 0.5) if job.leg == "caller" else leg_transcript(LAWYER_WORDS, 3.0)
        )
        transcription.complete(runtime.session_factory, job, result, model="hand-made", keywords={})


@pytest.fixture(scope="module")
async def site(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Site]:
    state = tmp_path_factory.mktemp("review-page")
    async with app_without_asterisk(state) as (app, runtime):
        with runtime.session_factory.begin() as session:
            create_user(session, REVIEWER, PASSWORD, "reviewer")
            create_user(session, SECOND_REVIEWER, PASSWORD, "reviewer")
            create_user(session, SUPERVISOR, PASSWORD, "supervisor")
            create_user(session, LAWYER_ACCOUNT, PASSWORD, "lawyer")
            create_lawyer(session, "律师甲", "8001")
        now = utcnow().timestamp()
        runtime.part(CallStore).write(
            [
                CallProgress(
                    linkedid=LINKEDID,
                    caller=CALLER,
                    started_at=now - 600,
                    answered_at=now - 590,
                    lawyer="8001",
                    ended_at=now - 500,
                    talk_seconds=90,
                    rating=2,
                    topic="labour",
                )
            ]
        )
        recording_id = sealed_recording(runtime.part(RecordingRegistry), LINKEDID, seconds=AUDIO_SECONDS).id
        transcribe(runtime, recording_id)
        with runtime.session_factory.begin() as session:
            review = quality.assign(
                session, recording_id, REVIEWER, reason=ReviewReason.low_rating, assigned_by="supervisor-test"
            )
            review_id = review.id
            group = quality.start_calibration(
                session, recording_id, [SECOND_REVIEWER, SUPERVISOR], assigned_by=SUPERVISOR
            )
        async with serve(app) as url:
            yield Site(url, runtime, review_id, recording_id, group)


@pytest.fixture(scope="module")
async def browser() -> AsyncIterator[Browser]:
    async with chromium() as browser:
        yield browser


def word(page: Page, text: str) -> Locator:
    return page.locator("#transcript .word[data-start]", has_text=text)


async def start_of(page: Page, text: str) -> float:
    value = await word(page, text).get_attribute("data-start")
    assert value is not None
    return float(value)


async def player_time(page: Page, *, pause: bool = True) -> float:
    seconds = await page.evaluate(
        """(pause) => {
          const player = document.getElementById("player");
          const at = player.currentTime;
          if (pause) player.pause();
          return at;
        }""",
        pause,
    )
    return float(seconds)


async def test_a_reviewer_listens_follows_the_transcript_scores_and_submits(
    site: Site, browser: Browser
) -> None:
    page = await signed_in_page(browser, site.url, REVIEWER, PASSWORD)
    await page.goto("/review")

    # The assigned call, in the list with what the reviewer may see of it.
    item = page.locator(f'#reviews li[data-review-id="{site.review_id}"]')
    await expect(item).to_have_attribute("data-state", "assigned", timeout=UI)
    for text in ("差评复核", "待评", "律师甲", "138****5678", "评价 2 分"):
        await expect(item).to_contain_text(text)
    await expect(item).not_to_contain_text(CALLER)
    await expect(page.locator("#reviews li")).to_have_count(1)  # not the calibration reviews of others
    await item.click()
    await expect(page.locator("#review-state")).to_have_text("待评", timeout=UI)
    await expect(page.locator("#fact-caller")).to_have_text("138****5678")
    await expect(page.locator("#fact-lawyer")).to_have_text("律师甲（8001）")
    await expect(page.locator("#player")).to_be_hidden()

    # Full-text search finds the call; its hit opens the review, to play from the phrase.
    await page.get_by_label("全文检索").fill("拖欠工资")
    await page.get_by_role("button", name="全文检索").click()
    hit = page.locator(f'#search-results li[data-recording-id="{site.recording_id}"]')
    await expect(hit).to_contain_text("拖欠工资", timeout=UI)
    await hit.get_by_role("button", name="打开评查").click()
    await expect(page.locator("#message")).to_contain_text("开始复听", timeout=UI)

    # Listening needs a reason, which goes to the audit log with the reviewer's name.
    await page.locator("#listen-reason").fill("差评复核 2026-11")
    await page.get_by_role("button", name="开始复听").click()
    await expect(page.locator("#player")).to_be_visible(timeout=UI)
    await page.wait_for_function("() => document.getElementById('player').duration > 0", timeout=UI)
    duration = await page.evaluate("() => document.getElementById('player').duration")
    assert abs(duration - AUDIO_SECONDS) < 0.1
    with site.runtime.session_factory() as session:
        entry = session.scalars(select(AuditEntry).order_by(AuditEntry.seq.desc())).first()
    assert entry is not None
    assert (entry.actor, entry.action, entry.reason, entry.recording_id) == (
        REVIEWER,
        "play",
        "差评复核 2026-11",
        site.recording_id,
    )
    # ... and the player went to where the search found the phrase (拖欠, 1.5 s).
    await page.wait_for_function("() => document.getElementById('player').currentTime >= 1.45", timeout=UI)
    assert await player_time(page) < AUDIO_SECONDS

    # The conversation by turns: both speakers' words, Chinese without spaces, unsure words faint.
    transcript = page.locator("#transcript")
    await expect(transcript.locator(".word[data-start]")).to_have_count(8, timeout=UI)
    caller_turn = transcript.locator('.turn[data-leg="caller"]')
    lawyer_turn = transcript.locator('.turn[data-leg="lawyer"]')
    await expect(caller_turn.locator(".speaker")).to_have_text("来电人")
    await expect(caller_turn.locator(".words")).to_have_text("我老板拖欠工资")
    await expect(lawyer_turn.locator(".speaker")).to_have_text("律师")
    await expect(lawyer_turn.locator(".words")).to_have_text("可以申请劳动仲裁")
    await expect(word(page, "老板")).to_have_class(re.compile(r"\blow\b"))
    await expect(word(page, "工资")).not_to_have_class(re.compile(r"\blow\b"))

    # Clicking a word plays from it.
    apply = await start_of(page, "申请")
    await word(page, "申请").click()
    await page.wait_for_function("() => !document.getElementById('player').paused", timeout=UI)
    assert apply - 0.05 <= await player_time(page) < AUDIO_SECONDS
    seeked = await word(page, "申请").evaluate(
        """(word) => {
          word.click();
          const player = document.getElementById("player");
          const at = player.currentTime;
          player.pause();
          return at;
        }"""
    )
    assert abs(seeked - apply) <= 0.05

    # While it plays, the word being said is highlighted (found from the player's position).
    owed = await start_of(page, "拖欠")
    await page.evaluate(
        """(at) => {
          const player = document.getElementById("player");
          player.pause();
          player.currentTime = at;
          player.dispatchEvent(new Event("timeupdate"));
        }""",
        owed + 0.2,
    )
    await expect(word(page, "拖欠")).to_have_class(re.compile(r"\bcurrent\b"), timeout=UI)
    await expect(transcript.locator(".word.current")).to_have_count(1)

    # The scorecard: every item; 不适用 for one, fewer points for another, pass the auto-fail items.
    items = page.locator("#scorecard [data-item]")
    keys = [await items.nth(n).get_attribute("data-item") for n in range(await items.count())]
    assert "accuracy" in keys and "closing" in keys and "privacy" in keys
    for key in keys:
        row = page.locator(f'#scorecard [data-item="{key}"]')
        points = await row.get_attribute("data-points")
        if await row.get_attribute("data-auto-fail") == "true":
            await row.get_by_label("合格", exact=True).check()
        elif key == "closing":
            await row.locator("select").select_option("na")
        elif key == "accuracy":
            await row.locator("select").select_option("20")
            await row.get_by_placeholder("备注（可选）").fill("仲裁时效未说明")
        else:
            await row.locator("select").select_option(points)
    # Points given over the points of the applicable items: (100 - 5 - 5) / (100 - 5).
    expected = round(100 * 90 / 95, 1)
    await expect(page.locator("#total")).to_have_text(f"{expected} 分")
    await expect(page.locator("#veto")).to_be_hidden()

    # A failed auto-fail item makes the whole review 0 (一票否决).
    privacy = page.locator('#scorecard [data-item="privacy"]')
    await privacy.get_by_label("不合格", exact=True).check()
    await expect(page.locator("#total")).to_have_text("0 分")
    await expect(page.locator("#veto")).to_be_visible()
    await privacy.get_by_label("合格", exact=True).check()
    await expect(page.locator("#veto")).to_be_hidden()
    await page.locator("#comment").fill("解答基本准确，建议说明仲裁时效。")

    # Submitting asks first, then locks the grade.
    asked: list[str] = []

    async def confirm(dialog: Dialog) -> None:
        asked.append(dialog.message)
        await dialog.accept()

    page.once("dialog", confirm)
    await page.locator("#submit-review").click()
    await expect(page.locator("#review-state")).to_have_text("已提交", timeout=UI)
    assert asked and "提交后不可修改" in asked[0]
    await expect(page.locator("#total")).to_have_text(f"{expected} 分")
    await expect(page.locator("#total")).to_have_attribute("data-final", "true")
    await expect(page.locator("#submit-review")).to_be_hidden()
    await expect(page.locator("#save-draft")).to_be_hidden()
    await expect(page.locator("#scorecard select, #scorecard input, #scorecard textarea")).not_to_have_count(
        0
    )
    await expect(page.locator("#scorecard :is(select, input, textarea):enabled")).to_have_count(0)
    await expect(item).to_have_attribute("data-state", "submitted")
    await expect(item).to_contain_text(f"{expected} 分")
    await screenshot(page, "review")

    # The API agrees, and a submitted review stays as it is.
    auth = await site.token(REVIEWER)
    async with httpx.AsyncClient(base_url=site.url, headers=auth) as http:
        saved = (await http.get(f"/api/v1/reviews/{site.review_id}")).json()
        assert (saved["state"], saved["total"], saved["auto_failed"]) == ("submitted", expected, False)
        assert saved["scores"]["closing"] is None and saved["scores"]["accuracy"] == 20
        assert saved["comments"] == {"accuracy": "仲裁时效未说明"}
        assert saved["comment"] == "解答基本准确，建议说明仲裁时效。"
        again = await http.put(
            f"/api/v1/reviews/{site.review_id}",
            json={"scores": saved["scores"], "comments": {}, "comment": "", "submit": True},
        )
        assert again.status_code == 409 and again.json()["error_id"] == "review-locked"


async def test_a_lawyer_may_not_open_the_review_page(site: Site, browser: Browser) -> None:
    page = await signed_in_page(browser, site.url, LAWYER_ACCOUNT, PASSWORD)
    response = await page.goto("/review")
    assert response is not None and response.status == 403
    await expect(page.locator("h1")).to_have_text("无权访问")


async def test_a_supervisor_sees_the_calibration_spread_and_runs_the_sample(
    site: Site, browser: Browser
) -> None:
    # Both calibration reviewers submit; they disagree on one item.
    scores = {"greeting": 5, "courtesy": 10, "closing": 5, "understanding": 15, "accuracy": 25}
    scores |= {"guidance": 15, "ticket": 15, "no_guarantee": 5, "privacy": 5}
    mine = 0
    async with httpx.AsyncClient(base_url=site.url) as http:
        for user, accuracy in ((SECOND_REVIEWER, 15), (SUPERVISOR, 25)):
            auth = await site.token(user)
            [review] = [
                r
                for r in (await http.get("/api/v1/reviews", headers=auth)).json()
                if r["calibration_group"] == site.calibration_group and r["reviewer"] == user
            ]
            body = {"scores": {**scores, "accuracy": accuracy}, "comments": {}, "comment": "", "submit": True}
            saved = await http.put(f"/api/v1/reviews/{review['id']}", json=body, headers=auth)
            assert saved.status_code == 200, saved.text
            mine = review["id"]

    # The page's yesterday is the browser's, in Wenzhou's zone (tests/browser.py), whatever the hour here.
    before = (datetime.now(WENZHOU) - timedelta(days=1)).date().isoformat()
    page = await signed_in_page(browser, site.url, SUPERVISOR, PASSWORD)
    await page.goto("/review")
    await expect(page.locator("#reviews li")).to_have_count(3, timeout=UI)  # everyone's reviews
    await page.locator(f'#reviews li[data-review-id="{mine}"]').click()
    table = page.locator("#calibration")
    await expect(table).to_be_visible(timeout=UI)
    await expect(table.locator("thead")).to_contain_text(SECOND_REVIEWER)
    accuracy = table.locator('tr[data-item="accuracy"]')
    await expect(accuracy).to_have_class(re.compile(r"\bspread\b"))
    await expect(accuracy.locator(".item-spread")).to_have_text("10")
    await expect(table.locator('tr[data-item="greeting"]')).not_to_have_class(re.compile(r"\bspread\b"))
    await expect(table.locator("tr.totals")).to_contain_text("90")
    await expect(table.locator("tr.totals .item-spread")).to_have_text("10")

    # Another reviewer's review: the supervisor reads it but does not score it.
    await page.locator(f'#reviews li[data-review-id="{site.review_id}"]').click()
    await expect(page.locator("#review")).to_have_attribute("data-review-id", str(site.review_id), timeout=UI)
    await expect(page.locator("#calibration")).to_be_hidden()
    await expect(page.locator("#scorecard :is(select, input, textarea):enabled")).to_have_count(0)
    await expect(page.locator("#fact-reviewer")).to_have_text(REVIEWER)
    await expect(page.locator("#fact-caller")).to_have_text(CALLER)  # supervisors see whole numbers

    # The sample for yesterday (the default day) runs now; the page says what it did.
    after = (datetime.now(WENZHOU) - timedelta(days=1)).date().isoformat()
    assert await page.locator("#sample-day").input_value() in {before, after}
    await page.get_by_role("button", name="运行抽样").click()
    await expect(page.locator("#message")).to_contain_text("新分配 0 条评查任务", timeout=UI)


async def test_a_refusal_shows_the_api_s_chinese_message(site: Site, browser: Browser) -> None:
    # A link to another reviewer's review: the API refuses, the page says so as the catalogue words it.
    async with httpx.AsyncClient(base_url=site.url, headers=await site.token(SECOND_REVIEWER)) as http:
        [theirs] = [
            r["id"]
            for r in (await http.get("/api/v1/reviews")).json()
            if r["calibration_group"] == site.calibration_group
        ]
    page = await signed_in_page(browser, site.url, REVIEWER, PASSWORD)
    await page.goto(f"/review#review-{theirs}")
    message = page.locator("#message")
    await expect(message).to_have_text(
        f"操作失败（review-not-found）：{CATALOGUE['review-not-found'].message_zh}", timeout=UI
    )
    await expect(message).to_have_class("error")
    await expect(page.locator("#review")).to_be_hidden()
