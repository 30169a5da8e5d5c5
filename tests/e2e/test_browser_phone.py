"""The desk's browser phone (浏览器话机) and the citizens' video consultation (视频咨询) in real
Chromium (fake camera; a tone for a microphone) against the real Asterisk's WebRTC server: the desk
registers with the credential the controller issues, rings and answers a SIPp citizen, audio flows
both ways and lands in the recording, the citizen rates; a browser call is held, listened to by a
supervisor's phone, made a three-way call and handed to legal aid by the desk's transfer; a stale
credential and another lawyer's are refused; a citizen's page and a lawyer's desk see each other's
video, the record says video and the page's rating lands on the ticket."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest
from playwright.async_api import Browser, Page, expect

from hotline.ami import actions
from hotline.asterisk.certificate import webrtc_certificate
from hotline.recordings.service import RecordingRegistry
from hotline.webphone.service import BrowserPhones
from tests.browser import chromium, screenshot, serve, signed_in_page, tone_wav
from tests.e2e.conftest import (
    RATE_AT,
    SPEAK_AT,
    SUPERVISOR,
    SUPERVISOR_PHONE,
    USER_PASSWORD,
    AsteriskUnderTest,
    CallerFactory,
    Controller,
    Phones,
    menus,
    stand_in,
)
from tests.helpers import eventually, sealed_legs, tokens_for, unique_number, wav_loud_seconds

pytestmark = [pytest.mark.e2e, pytest.mark.parametrize("controller", ["sqlite"], indirect=True)]
LIVE = 15_000  # ms


@pytest.fixture(scope="module")
async def site(controller: Controller) -> AsyncIterator[str]:
    async with serve(controller.app) as base_url:
        yield base_url


@pytest.fixture(scope="module")
async def browser(
    asterisk: AsteriskUnderTest, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Browser]:
    microphone = tone_wav(tmp_path_factory.mktemp("microphone") / "tone.wav")
    spki = webrtc_certificate(asterisk.settings).spki_sha256
    async with chromium(trusted_spki=spki, microphone=microphone) as browser:
        yield browser


@pytest.fixture
async def tokens(controller: Controller) -> dict[str, str]:
    return await tokens_for(controller.http, ["lawyer-8001", "lawyer-8002"], USER_PASSWORD)


async def choose(controller: Controller, token: str, kind: str) -> dict[str, Any]:
    response = await controller.http.put(
        "/api/v1/desk/phone", json={"kind": kind}, headers={"Authorization": f"Bearer {token}"}
    )
    assert response.status_code == 200, response.text
    answer: dict[str, Any] = response.json()
    assert answer["kind"] == kind and answer["note"] is None, answer
    return answer


@pytest.fixture
async def softphones_after(controller: Controller, tokens: dict[str, str]) -> AsyncIterator[None]:
    """Whatever a test switched, the lawyers answer with softphones again afterwards (the other
    test modules' SIPp phones cannot do WebRTC)."""
    yield
    for token in tokens.values():
        await choose(controller, token, "softphone")


async def on_duty_desk(browser: Browser, site: str, controller: Controller, phones: Phones) -> Page:
    """Lawyer 8001's desk on the browser phone, registered and on duty."""
    desk = await registered_desk(browser, site, "8001")
    await controller.log_in("8001")
    phones.extensions.add("8001")
    return desk


async def answer(desk: Page) -> None:
    """The desk rings (with the screen pop) and the lawyer answers in it."""
    await expect(desk.locator("#phone-state")).to_have_attribute("data-state", "ringing", timeout=30_000)
    await desk.locator("#phone-answer").click()


async def registered_desk(browser: Browser, site: str, extension: str) -> Page:
    page = await signed_in_page(browser, site, f"lawyer-{extension}", USER_PASSWORD)
    await page.goto("/desk")
    await page.get_by_label("浏览器话机（无需安装软件）").check()
    await expect(page.locator("#phone-state")).to_have_attribute("data-state", "registered", timeout=LIVE)
    return page


async def test_a_lawyer_answers_a_caller_in_the_browser_and_the_call_is_recorded_and_rated(
    asterisk: AsteriskUnderTest,
    controller: Controller,
    phones: Phones,
    caller: CallerFactory,
    site: str,
    browser: Browser,
    softphones_after: None,
) -> None:
    desk = await on_duty_desk(browser, site, controller, phones)
    assert "transport=ws" in asterisk.cli("pjsip show aor 8001")  # the browser's contact, over wss

    number = unique_number()
    # The citizen speaks at once and rates 5 after the lawyer hangs up.
    citizen = caller(
        "caller.xml", caller=number, keys=[*menus(), (RATE_AT + 4000, "5")], speak_at_ms=SPEAK_AT
    )
    await expect(desk.locator("#phone-state")).to_have_attribute("data-state", "ringing", timeout=30_000)
    await expect(desk.locator("#screen-pop")).to_be_visible()  # the screen pop rings with it
    await expect(desk.locator("#call-caller")).to_have_text(number)
    await desk.locator("#phone-answer").click()
    await expect(desk.locator("#phone-state")).to_have_attribute("data-state", "talking", timeout=LIVE)

    async def flowing() -> dict[str, int] | None:
        stats: dict[str, int] = await desk.evaluate("window.hotlinePhoneStats()")
        return stats if stats["audioReceived"] > 100 and stats["audioSent"] > 100 else None

    stats = await eventually(flowing, timeout=15, what="audio both ways in the browser phone")
    await screenshot(desk, "desk-browser-phone")
    assert stats["framesDecoded"] == 0  # a phone call: no video
    await expect(desk.locator("#phone-videos")).to_be_hidden()
    await desk.locator("#phone-mute").click()
    await expect(desk.locator("#phone-mute")).to_have_text("取消静音")
    await desk.locator("#phone-mute").click()

    await desk.locator("#phone-hangup").click()
    await expect(desk.locator("#phone-state")).to_have_attribute("data-state", "registered", timeout=LIVE)

    assert await asyncio.to_thread(citizen.wait, 60) == 0, citizen.output()
    call = await controller.ended_call(number)
    assert call["outcome"] == "answered" and call["lawyer"] == "8001" and call["rating"] == 5
    recording_id = await eventually(
        lambda: _recording_of(controller, number), timeout=10, what="the browser call's recording"
    )
    legs = await sealed_legs(controller.runtime.part(RecordingRegistry), recording_id)
    assert set(legs) == {"mix", "caller", "lawyer"}
    # The citizen's speech and the browser's (fake) microphone, each in its own leg.
    assert wav_loud_seconds(legs["caller"]) >= 1.0
    assert wav_loud_seconds(legs["lawyer"]) >= 1.0


async def test_a_browser_call_is_held_listened_to_and_made_a_three_way_call(
    asterisk: AsteriskUnderTest,
    controller: Controller,
    phones: Phones,
    caller: CallerFactory,
    site: str,
    browser: Browser,
    softphones_after: None,
) -> None:
    desk = await on_duty_desk(browser, site, controller, phones)
    citizen = caller("caller.xml", caller=unique_number(), keys=menus(), speak_at_ms=SPEAK_AT)
    await answer(desk)
    await expect(desk.locator("#phone-state")).to_have_attribute("data-state", "talking", timeout=LIVE)

    # Held: the caller's audio stops reaching the browser (Asterisk holds the caller); resumed, it flows.
    async def received_changes() -> bool:
        before = (await desk.evaluate("window.hotlinePhoneStats()"))["audioReceived"]
        await asyncio.sleep(0.5)  # a sample half a second later
        return bool((await desk.evaluate("window.hotlinePhoneStats()"))["audioReceived"] > before)

    await desk.locator("#phone-hold").click()
    await expect(desk.locator("#phone-hold")).to_have_text("恢复通话")
    await eventually(lambda: _not(received_changes), timeout=10, what="no audio to the browser while held")
    await desk.locator("#phone-hold").click()
    await eventually(received_changes, timeout=10, what="audio to the browser again once resumed")

    # A supervisor listens in from their (SIPp) phone, as on a softphone's call.
    await phones.lawyer(SUPERVISOR_PHONE, talk_ms=3_000, log_in=False)
    supervisor = await tokens_for(controller.http, [SUPERVISOR], USER_PASSWORD)
    listen = await controller.http.post(
        "/api/v1/wallboard/lawyers/8001/listen",
        json={"mode": "listen"},
        headers={"Authorization": f"Bearer {supervisor[SUPERVISOR]}"},
    )
    assert listen.status_code == 200, listen.text

    async def spying() -> bool:
        assert controller.runtime.ami is not None
        channels = await controller.runtime.ami.send(actions.core_show_channels())
        return any(
            str(m.get("Channel", "")).startswith(f"PJSIP/{SUPERVISOR_PHONE}-")
            and m.get("Application") == "ChanSpy"
            and m.get("ApplicationData") == "PJSIP/8001-,qE"
            for m in channels
        )

    await eventually(spying, timeout=15, what="the supervisor's phone listening to the browser call")

    # The desk's three-way button brings legal aid into the browser call.
    legal_aid = stand_in(asterisk, "legal-aid", talk_ms=30_000)
    await desk.locator("#third-party").select_option("legal-aid")
    await desk.get_by_role("button", name="邀请加入三方通话").click()
    await expect(desk.locator("#message")).to_contain_text("三方通话", timeout=LIVE)

    async def three_party_bridge() -> bool:
        assert controller.runtime.ami is not None
        items = await controller.runtime.ami.send(actions.bridge_list())
        return any(m.get("Event") == "BridgeListItem" and m.get("BridgeNumChannels") == "3" for m in items)

    await eventually(three_party_bridge, timeout=15, what="a bridge of caller, browser phone and legal aid")
    await desk.locator("#phone-hangup").click()
    assert await asyncio.to_thread(citizen.wait, 60) == 0, citizen.output()
    legal_aid.stop()


async def test_a_browser_call_is_handed_to_legal_aid_by_the_desk_s_transfer(
    asterisk: AsteriskUnderTest,
    controller: Controller,
    phones: Phones,
    caller: CallerFactory,
    site: str,
    browser: Browser,
    softphones_after: None,
) -> None:
    desk = await on_duty_desk(browser, site, controller, phones)
    legal_aid = stand_in(asterisk, "legal-aid", talk_ms=3_000)
    number = unique_number()
    citizen = caller("caller.xml", caller=number, keys=menus(), speak_at_ms=SPEAK_AT)
    await answer(desk)
    await expect(desk.locator("#call-actions")).to_be_visible(timeout=LIVE)
    await desk.locator("#third-party").select_option("legal-aid")
    await desk.get_by_role("button", name="直接转接").click()
    await expect(desk.locator("#message")).to_have_text("已转接。", timeout=LIVE)
    # The browser phone is free again at once; legal aid talks with the caller and hangs up.
    await expect(desk.locator("#phone-state")).to_have_attribute("data-state", "registered", timeout=LIVE)
    assert await asyncio.to_thread(legal_aid.wait, 30) == 0, legal_aid.output()
    assert await asyncio.to_thread(citizen.wait, 30) == 0, citizen.output()
    call = await controller.ended_call(number)
    assert (call["lawyer"], call["transferred_to"]) == ("8001", "legal-aid")


async def _not(check: Callable[[], Awaitable[bool]]) -> bool:
    return not await check()


async def _recording_of(controller: Controller, number: str) -> int | None:
    calls = await controller.calls(caller=number)
    return calls[0]["recording"] if calls else None  # type: ignore[return-value]


TRY_REGISTER = """async (credential) => {
  const { sipPhone } = await import("/static/sip-phone.js");
  return await new Promise((resolve) => {
    let phone = null;
    const done = (result) => { if (phone) phone.stop(); resolve(result); };
    phone = sipPhone(credential, {}, {
      state: (state, cause) => {
        if (state === "registered") done("registered");
        if (state === "failed") done(`failed: ${cause}`);
      },
    });
    setTimeout(() => done("timeout"), 15000);
  });
}"""


async def test_a_stale_or_another_lawyer_s_credential_is_refused(
    controller: Controller, site: str, browser: Browser, tokens: dict[str, str], softphones_after: None
) -> None:
    await choose(controller, tokens["lawyer-8002"], "browser")
    issued = []
    for _ in range(2):
        response = await controller.http.post(
            "/api/v1/desk/phone/credential", headers={"Authorization": f"Bearer {tokens['lawyer-8002']}"}
        )
        assert response.status_code == 200, response.text
        assert response.headers["cache-control"] == "no-store"
        issued.append(response.json())
    stale, current = issued
    assert stale["ha1"] != current["ha1"] and "password" not in current

    page = await signed_in_page(browser, site, "lawyer-8002", USER_PASSWORD)
    assert await page.evaluate(TRY_REGISTER, stale) == "failed: Authentication Error"
    # 8002's own credential, presented as 8001's phone.
    as_8001 = {**current, "sip_uri": current["sip_uri"].replace("8002@", "8001@"), "username": "8001"}
    assert await page.evaluate(TRY_REGISTER, as_8001) == "failed: Authentication Error"
    assert await page.evaluate(TRY_REGISTER, current) == "registered"

    # A lawyer still on a softphone gets none; nor does anyone without a desk.
    response = await controller.http.post(
        "/api/v1/desk/phone/credential", headers={"Authorization": f"Bearer {tokens['lawyer-8001']}"}
    )
    assert response.status_code == 409 and response.json()["error_id"] == "webphone-not-chosen"
    response = await controller.http.post("/api/v1/desk/phone/credential", headers=controller.headers)
    assert response.status_code == 403


async def test_a_locked_credential_is_refused(
    controller: Controller, site: str, browser: Browser, tokens: dict[str, str], softphones_after: None
) -> None:
    """What the expiry job does at a credential's end (tests/unit/test_webphone.py times it)."""
    await choose(controller, tokens["lawyer-8002"], "browser")
    headers = {"Authorization": f"Bearer {tokens['lawyer-8002']}"}
    credential = (await controller.http.post("/api/v1/desk/phone/credential", headers=headers)).json()
    await controller.runtime.part(BrowserPhones).lock("8002")
    page = await signed_in_page(browser, site, "lawyer-8002", USER_PASSWORD)
    assert await page.evaluate(TRY_REGISTER, credential) == "failed: Authentication Error"


async def test_a_citizen_s_video_consultation_is_answered_in_the_desk_recorded_and_rated_on_the_page(
    asterisk: AsteriskUnderTest,
    controller: Controller,
    phones: Phones,
    site: str,
    browser: Browser,
    tokens: dict[str, str],
    softphones_after: None,
) -> None:
    desk = await on_duty_desk(browser, site, controller, phones)
    await desk.get_by_label("接受视频咨询", exact=False).check()
    await expect(desk.locator("#message")).to_contain_text("已接受视频咨询", timeout=LIVE)
    lawyers = (await controller.http.get("/api/v1/lawyers", headers=controller.headers)).json()
    assert {(lw["phone"], lw["video"]) for lw in lawyers if lw["extension"] == "8001"} == {("browser", True)}
    board = await signed_in_page(browser, site, SUPERVISOR, USER_PASSWORD)
    await board.goto("/wallboard")
    channel = board.locator('#lawyers tr[data-extension="8001"] .channel')
    await expect(channel).to_have_text("浏览器", timeout=LIVE)  # the wallboard's 电话 / 浏览器 / 视频

    # The citizen: no account, a page of its own (another browser context).
    context = await browser.new_context(base_url=site, locale="zh-CN", timezone_id="Asia/Shanghai")
    citizen = await context.new_page()
    await citizen.goto("/video")
    number = unique_number()
    await citizen.get_by_label("联系电话", exact=False).fill(number)
    await citizen.get_by_label("咨询类别").select_option("other")
    await citizen.get_by_label("我同意开启摄像头和麦克风", exact=False).check()
    await citizen.get_by_role("button", name="开始视频咨询").click()

    # Rings in the desk like a phone call, with video; both sides see each other.
    await expect(desk.locator("#phone-state")).to_have_attribute("data-state", "ringing", timeout=30_000)
    await expect(desk.locator("#call-caller")).to_have_text(number)
    await desk.locator("#phone-answer").click()
    await expect(desk.locator("#phone-videos")).to_be_visible(timeout=LIVE)
    await expect(citizen.locator("#video-state")).to_have_attribute("data-state", "talking", timeout=LIVE)

    async def frames(page: Page, stats: str) -> dict[str, int] | None:
        figures: dict[str, int] = await page.evaluate(f"window.{stats}()")
        return figures if figures["framesDecoded"] > 0 and figures["audioReceived"] > 100 else None

    lawyer_side = await eventually(
        lambda: frames(desk, "hotlinePhoneStats"), timeout=20, what="video in the desk"
    )
    citizen_side = await eventually(
        lambda: frames(citizen, "hotlineVideoStats"), timeout=20, what="video on the citizen's page"
    )
    assert lawyer_side["framesEncoded"] > 0 and citizen_side["framesEncoded"] > 0
    await expect(channel).to_have_text("视频", timeout=LIVE)
    await screenshot(citizen, "video-consultation")
    await screenshot(desk, "desk-video")

    # The lawyer hangs up; the page asks for the rating and the citizen gives 5.
    await desk.locator("#phone-hangup").click()
    await expect(citizen.locator("#video-state")).to_have_attribute("data-state", "rating", timeout=LIVE)
    await citizen.locator("#video-rating").get_by_role("button", name="5 分").click()
    await expect(citizen.locator("#video-state")).to_contain_text("您的评分：5 分", timeout=30_000)

    call = await controller.ended_call(number)
    assert (call["outcome"], call["lawyer"], call["rating"], call["media"]) == (
        "answered",
        "8001",
        5,
        "video",
    )
    assert call["queue"] == "other-video"

    async def rated_ticket() -> dict[str, Any] | None:
        response = await controller.http.get(
            f"/api/v1/tickets/by-call/{call['linkedid']}",
            headers={"Authorization": f"Bearer {tokens['lawyer-8001']}"},
        )
        body: dict[str, Any] = response.json()
        return body if response.status_code == 200 and body["rating"] == 5 else None

    await eventually(rated_ticket, timeout=15, what="the page's rating on the call's ticket")
    recording_id = await eventually(
        lambda: _recording_of(controller, number), timeout=10, what="the video call's recording"
    )
    legs = await sealed_legs(controller.runtime.part(RecordingRegistry), recording_id)
    assert wav_loud_seconds(legs["caller"]) >= 1.0 and wav_loud_seconds(legs["lawyer"]) >= 1.0
    await context.close()
