"""The consoles in real Chromium against the running controller, during real SIPp calls through
the real Asterisk: the wallboard and the desk follow calls live, and their buttons act on calls."""

from __future__ import annotations

import re
import socket
from collections.abc import AsyncIterator
from typing import Any

import pytest
from playwright.async_api import Browser, Page, expect

from hotline.ami import actions
from hotline.ami.events import decode_queue_member, headers_of
from hotline.rehearsal import sipp
from tests.browser import chromium, screenshot, serve, signed_in_page
from tests.e2e.conftest import (
    ADMIN_PASSWORD,
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
from tests.helpers import eventually, free_port, media_port, unique_number

pytestmark = pytest.mark.e2e
# The pages need the app served over HTTP; one database is enough here (both are tested elsewhere).
controller_backends = pytest.mark.parametrize("controller", ["sqlite"], indirect=True)
LIVE = 10_000  # ms: how long the tests give a page to show a change (it comes within a second)


@pytest.fixture(scope="module")
async def site(controller: Controller) -> AsyncIterator[str]:
    async with serve(controller.app) as base_url:
        yield base_url


@pytest.fixture(scope="module")
async def browser() -> AsyncIterator[Browser]:
    async with chromium() as browser:
        yield browser


async def wallboard(browser: Browser, site: str) -> Page:
    page = await signed_in_page(browser, site, SUPERVISOR, USER_PASSWORD)
    await page.goto("/wallboard")
    await expect(page.locator("#live-status")).to_have_attribute("data-state", "open", timeout=LIVE)
    return page


async def desk(browser: Browser, site: str, extension: str) -> Page:
    page = await signed_in_page(browser, site, f"lawyer-{extension}", USER_PASSWORD)
    await page.goto("/desk")
    await expect(page.locator("#live-status")).to_have_attribute("data-state", "open", timeout=LIVE)
    return page


async def on_a_call(
    mine: Page, phones: Phones, caller: CallerFactory, *, talk_ms: int, keys: list[tuple[int, str]]
) -> tuple[str, sipp.Sipp]:
    """Lawyer 8001 (whose desk ``mine`` is) answers a new citizen and talks ``talk_ms``; returns
    once the desk offers the call's buttons: the citizen's number and SIPp process."""
    await phones.lawyer("8001", talk_ms=talk_ms)
    number = unique_number()
    citizen = caller("caller.xml", caller=number, keys=keys, speak_at_ms=SPEAK_AT)
    await expect(mine.locator("#call-actions")).to_be_visible(timeout=20_000)
    return number, citizen


def lawyer_row(page: Page, extension: str) -> Any:
    return page.locator(f'#lawyers tr[data-extension="{extension}"]')


async def ami_list(controller: Controller, action: actions.Action) -> list[Any]:
    assert controller.runtime.ami is not None
    return list(await controller.runtime.ami.send(action))


@controller_backends
async def test_a_waiting_call_shows_on_the_wallboard_and_pops_up_on_the_desk(
    asterisk: AsteriskUnderTest,
    controller: Controller,
    phones: Phones,
    caller: CallerFactory,
    site: str,
    browser: Browser,
) -> None:
    board, mine = await wallboard(browser, site), await desk(browser, site, "8001")
    await expect(lawyer_row(board, "8001").locator(".state")).to_have_attribute("data-state", "logged_out")
    await phones.lawyer("8001", ring_ms=3000, talk_ms=4000)  # ring timeout: 5 s
    await expect(lawyer_row(board, "8001").locator(".state")).to_have_attribute(
        "data-state", "free", timeout=LIVE
    )
    await expect(mine.locator("#my-state")).to_have_attribute("data-state", "free", timeout=LIVE)

    number = unique_number()
    citizen = caller("caller.xml", caller=number, keys=menus(), speak_at_ms=SPEAK_AT)
    queue = board.locator('#queues tr[data-queue="other"]')
    await expect(queue.locator(".waiting")).to_have_text("1", timeout=20_000)
    await expect(queue).to_have_class("alert")

    pop = mine.locator("#screen-pop")
    await expect(pop).to_be_visible(timeout=LIVE)
    await expect(pop).to_have_attribute("data-ringing", "true")
    await expect(mine.locator("#call-caller")).to_have_text(number)
    await expect(mine.locator("#call-topic")).to_have_text("其他")
    await expect(mine.locator("#call-language")).to_have_text("普通话")
    await expect(mine.locator("#call-waiting")).to_contain_text("秒")
    await expect(mine.locator("#previous-calls")).to_contain_text("首次来电")
    await expect(lawyer_row(board, "8001").locator(".state")).to_have_attribute("data-state", "ringing")
    await screenshot(mine, "desk")
    await screenshot(board, "wallboard")

    # Answered: the caller leaves the queue, the lawyer is on the call.
    await expect(queue.locator(".waiting")).to_have_text("0", timeout=LIVE)
    await expect(lawyer_row(board, "8001").locator(".state")).to_have_attribute(
        "data-state", "on_call", timeout=LIVE
    )
    await expect(pop).to_have_attribute("data-ringing", "false", timeout=LIVE)
    await expect(mine.locator("#call-title")).to_have_text("通话中")
    assert citizen.wait(60) == 0, citizen.output()

    # Ended: today's totals count it.
    await expect(pop).to_be_hidden(timeout=LIVE)
    await expect(queue.locator(".answered")).not_to_have_text("0", timeout=LIVE)
    await expect(lawyer_row(board, "8001").locator(".calls")).not_to_have_text("0", timeout=LIVE)

    # The number's next call shows this one in the history.
    call = await controller.ended_call(number)
    assert call["lawyer"] == "8001"


@controller_backends
async def test_the_three_way_button_bridges_a_third_party_and_the_caller_still_rates(
    asterisk: AsteriskUnderTest,
    controller: Controller,
    phones: Phones,
    caller: CallerFactory,
    site: str,
    browser: Browser,
) -> None:
    legal_aid = stand_in(asterisk, "legal-aid", talk_ms=40_000)
    mine = await desk(browser, site, "8001")
    number, citizen = await on_a_call(
        mine, phones, caller, talk_ms=12_000, keys=[*menus(), (RATE_AT + 9_000, "5")]
    )
    linkedid = await mine.locator("#screen-pop").get_attribute("data-linkedid")
    assert linkedid

    # Another lawyer may not touch this call.
    other = await controller.http.post(
        "/api/v1/auth/token", data={"username": "lawyer-8003", "password": USER_PASSWORD}
    )
    refused = await controller.http.post(
        f"/api/v1/desk/calls/{linkedid}/conference",
        json={"target": "legal-aid"},
        headers={"Authorization": f"Bearer {other.json()['access_token']}"},
    )
    assert refused.status_code == 403 and refused.json()["error_id"] == "call-not-yours"

    await mine.locator("#third-party").select_option("legal-aid")
    await mine.get_by_role("button", name="邀请加入三方通话").click()
    await expect(mine.locator("#message")).to_contain_text("三方通话", timeout=LIVE)

    async def three_party_bridge() -> bool:
        items = await ami_list(controller, actions.bridge_list())
        return any(m.get("Event") == "BridgeListItem" and m.get("BridgeNumChannels") == "3" for m in items)

    await eventually(three_party_bridge, timeout=15, what="a bridge of caller, lawyer and legal aid")

    # The lawyer hangs up; the caller goes on to the rating (legal aid is let go).
    assert citizen.wait(60) == 0, citizen.output()
    call = await controller.ended_call(number)
    assert (call["outcome"], call["lawyer"], call["rating"]) == ("answered", "8001", 5)
    legal_aid.stop()


@controller_backends
@pytest.mark.parametrize(("action", "options"), [("listen", "q"), ("whisper", "qw"), ("barge", "qB")])
async def test_listen_whisper_barge_ring_the_supervisors_phone_into_the_call(
    asterisk: AsteriskUnderTest,
    controller: Controller,
    phones: Phones,
    caller: CallerFactory,
    site: str,
    browser: Browser,
    action: str,
    options: str,
) -> None:
    await phones.lawyer(SUPERVISOR_PHONE, talk_ms=8_000, log_in=False)
    board = await wallboard(browser, site)
    await phones.lawyer("8001", talk_ms=12_000)
    number = unique_number()
    citizen = caller("caller.xml", caller=number, keys=menus(), speak_at_ms=SPEAK_AT)
    row = lawyer_row(board, "8001")
    await expect(row.locator(".state")).to_have_attribute("data-state", "on_call", timeout=20_000)
    await row.locator(f'button[data-action="{action}"]').click()
    await expect(board.locator("#message")).to_contain_text("正在呼叫您的话机", timeout=LIVE)

    async def spying() -> bool:
        channels = await ami_list(controller, actions.core_show_channels())
        return any(
            str(m.get("Channel", "")).startswith(f"PJSIP/{SUPERVISOR_PHONE}-")
            and m.get("Application") == "ChanSpy"
            and m.get("ApplicationData") == f"PJSIP/8001-,{options}E"
            for m in channels
        )

    await eventually(spying, timeout=15, what=f"ChanSpy on the supervisor's phone {SUPERVISOR_PHONE}")
    assert citizen.wait(60) == 0, citizen.output()


@controller_backends
async def test_force_pause_takes_a_lawyer_out_of_distribution(
    asterisk: AsteriskUnderTest,
    controller: Controller,
    phones: Phones,
    caller: CallerFactory,
    site: str,
    browser: Browser,
) -> None:
    board = await wallboard(browser, site)
    await phones.lawyer("8001", talk_ms=2_000)
    await phones.lawyer("8003", talk_ms=2_000)
    row = lawyer_row(board, "8001")
    await expect(row.locator(".state")).to_have_attribute("data-state", "free", timeout=LIVE)
    await board.locator("#pause-reason").select_option("meeting")
    await row.locator('button[data-action="pause"]').click()
    await expect(row.locator(".state")).to_have_attribute("data-state", "paused", timeout=LIVE)
    await expect(row.locator(".state")).to_have_text("示忙（会议）")

    async def paused_everywhere() -> bool:
        members = [
            member
            for m in await ami_list(controller, actions.queue_status())
            if m.get("Event") == "QueueMember"
            and (member := decode_queue_member(headers_of(m))).interface == "PJSIP/8001"
        ]
        return bool(members) and all(
            member.paused and member.paused_reason == "meeting" for member in members
        )

    await eventually(paused_everywhere, timeout=10, what="8001 paused in every queue")
    number = unique_number()
    citizen = caller("caller.xml", caller=number, keys=menus(), speak_at_ms=SPEAK_AT)
    assert citizen.wait(60) == 0, citizen.output()
    assert (await controller.ended_call(number))["lawyer"] == "8003"

    await row.locator('button[data-action="resume"]').click()
    await expect(row.locator(".state")).to_have_attribute("data-state", "free", timeout=LIVE)


@controller_backends
async def test_blind_transfer_hands_the_caller_to_legal_aid(
    asterisk: AsteriskUnderTest,
    controller: Controller,
    phones: Phones,
    caller: CallerFactory,
    site: str,
    browser: Browser,
) -> None:
    legal_aid = stand_in(asterisk, "legal-aid", talk_ms=3_000)
    mine = await desk(browser, site, "8001")
    number, citizen = await on_a_call(mine, phones, caller, talk_ms=30_000, keys=menus())
    await mine.locator("#third-party").select_option("legal-aid")
    await mine.get_by_role("button", name="直接转接").click()
    await expect(mine.locator("#message")).to_have_text("已转接。", timeout=LIVE)

    # Legal aid answers the caller, talks and hangs up, long before the lawyer would have.
    assert legal_aid.wait(30) == 0, legal_aid.output()
    assert citizen.wait(30) == 0, citizen.output()
    call = await controller.ended_call(number)
    assert (call["lawyer"], call["transferred_to"]) == ("8001", "legal-aid")
    await expect(mine.locator("#screen-pop")).to_be_hidden(timeout=LIVE)


@controller_backends
async def test_attended_transfer_connects_the_caller_once_the_lawyer_hangs_up(
    asterisk: AsteriskUnderTest,
    controller: Controller,
    phones: Phones,
    caller: CallerFactory,
    site: str,
    browser: Browser,
) -> None:
    # A colleague, not in the queues; the talk time counts from answering the consultation.
    await phones.lawyer("8003", ring_ms=500, talk_ms=20_000, log_in=False)
    mine = await desk(browser, site, "8001")
    # 8001 hangs up about 19 s into the call, 8003 about 27 s: then the caller rates.
    number, citizen = await on_a_call(mine, phones, caller, talk_ms=14_000, keys=[*menus(), (31_000, "5")])
    await mine.locator("#third-party-number").fill("8003")
    await mine.get_by_role("button", name="咨询转接").click()
    await expect(mine.locator("#message")).to_contain_text("挂机即完成转接", timeout=LIVE)

    async def caller_with(extension: str) -> bool:
        """The caller's channel shares a bridge with the transfer's leg to ``extension``."""
        channels = await ami_list(controller, actions.core_show_channels())
        bridges = {
            str(m.get("Channel")): m.get("BridgeId") for m in channels if m.get("Event") == "CoreShowChannel"
        }
        callers = {b for name, b in bridges.items() if name.startswith("PJSIP/citizens-") and b}
        legs = (f"PJSIP/{extension}-", f"Local/{extension}@hotline-outward-")
        return any(name.startswith(legs) and b in callers for name, b in bridges.items())

    # 8001 hangs up after its talk: the caller is then bridged with 8003.
    await eventually(lambda: caller_with("8003"), timeout=30, what="the caller bridged with 8003")
    assert citizen.wait(60) == 0, citizen.output()
    call = await controller.ended_call(number)
    assert (call["lawyer"], call["transferred_to"], call["rating"]) == ("8001", "lawyer-8003", 5)


@controller_backends
async def test_a_lawyer_pauses_and_resumes_from_the_desk(
    controller: Controller, phones: Phones, site: str, browser: Browser
) -> None:
    board, mine = await wallboard(browser, site), await desk(browser, site, "8002")
    await phones.lawyer("8002")
    await expect(mine.locator("#my-state")).to_have_attribute("data-state", "free", timeout=LIVE)
    await mine.get_by_label("示忙原因").select_option("meal")
    await mine.get_by_role("button", name="示忙", exact=True).click()
    await expect(mine.locator("#my-state")).to_have_text("示忙（用餐）", timeout=LIVE)
    await expect(lawyer_row(board, "8002").locator(".state")).to_have_text("示忙（用餐）", timeout=LIVE)
    await mine.get_by_role("button", name="恢复接听").click()
    await expect(mine.locator("#my-state")).to_have_attribute("data-state", "free", timeout=LIVE)
    await expect(lawyer_row(board, "8002").locator(".state")).to_have_attribute(
        "data-state", "free", timeout=LIVE
    )


@controller_backends
async def test_an_admin_adds_a_lawyer_whose_softphone_registers_with_the_shown_credentials(
    asterisk: AsteriskUnderTest, controller: Controller, site: str, browser: Browser
) -> None:
    page = await signed_in_page(browser, site, "admin", ADMIN_PASSWORD)
    await page.goto("/admin")
    await page.get_by_label("律师姓名").fill("赵律师")
    await page.get_by_label("律师分机号").fill("8009")
    await page.get_by_role("button", name="新增律师（生成 SIP 账号）").click()
    await expect(page.locator("#secret")).to_be_visible(timeout=LIVE)
    await expect(page.locator('#lawyers tr[data-extension="8009"]')).to_be_visible(timeout=LIVE)
    password = (await page.locator("#secret-sip-password").text_content()) or ""
    assert len(password) >= 20
    await screenshot(page, "admin")

    port = free_port(socket.SOCK_DGRAM)
    phone = sipp.lawyer_phone(
        f"127.0.0.1:{asterisk.settings.asterisk.sip_port}",
        "8009",
        password,
        asterisk.workdir,
        port=port,
        media_port=media_port(),
    )
    try:
        registered = re.compile(rf"sip:8009@127\.0\.0\.1:{port}\b")
        await eventually(
            lambda: registered.search(asterisk.cli("pjsip show aor 8009")), timeout=15, what="8009 registered"
        )
    finally:
        phone.stop()
