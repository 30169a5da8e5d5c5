"""Tickets (工单) on the pages in real Chromium against the app (SQLite, no Asterisk): the lawyer
finds their open tickets on the desk, writes one (summary, outcome, the new deadline), cannot close
it without a summary, closes it; the supervisor's wallboard lists the overdue ones.

Without Asterisk the desk shows no live call, so the form is driven from 我的工单; the during-call
path (the desk payload's ``call.linkedid`` -> ``/api/v1/tickets/by-call/...``) shares its code."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from dataclasses import dataclass

import httpx
import pytest
from playwright.async_api import Browser, Dialog, expect
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from hotline.auth.service import create_user
from hotline.calls.models import Call
from hotline.calls.service import CallStore
from hotline.calls.state import CallProgress
from hotline.db.base import utcnow
from hotline.error_catalogue import CATALOGUE
from hotline.kernel.compose import Runtime
from hotline.routing.service import create_lawyer
from hotline.staff.service import link_lawyer
from hotline.tickets.models import OutboxMessage
from hotline.tickets.service import TicketDesk, escalate_overdue
from tests.browser import chromium, screenshot, serve, signed_in_page
from tests.helpers import app_without_asterisk

PASSWORD = "tickets-page-password-1"
LAWYER = "lawyer-8001"
OTHER_LAWYER = "lawyer-8002"
SUPERVISOR = "supervisor-zhao"
ADMIN = "admin-qian"
CALLER = "13812345678"
RECENT, OLD, OTHERS = "1795800000.1", "1795800000.2", "1795800000.3"
UI = 10_000  # ms: how long the tests give the page to show a change


@dataclass
class Site:
    url: str
    runtime: Runtime
    numbers: dict[str, str]  # linkedid -> ticket number

    async def api(self, username: str) -> httpx.AsyncClient:
        async with httpx.AsyncClient(base_url=self.url) as http:
            response = await http.post(
                "/api/v1/auth/token", data={"username": username, "password": PASSWORD}
            )
        token = response.json()["access_token"]
        return httpx.AsyncClient(base_url=self.url, headers={"Authorization": f"Bearer {token}"})


def answered(linkedid: str, lawyer: str, start: float, caller: str = CALLER) -> CallProgress:
    return CallProgress(
        linkedid=linkedid,
        caller=caller,
        started_at=start,
        answered_at=start + 15,
        lawyer=lawyer,
        ended_at=start + 240,
        talk_seconds=225,
        topic="labour",
    )


def open_ticket(runtime: Runtime, linkedid: str, *, days_ago: int = 0) -> str:
    """The call's ticket, opened as the controller would (``days_ago``: back then, so now overdue).

    The controller's sweep opens tickets of recent calls every second too: whoever is first wins."""
    for _ in range(5):
        try:
            with runtime.session_factory.begin() as session:
                call = session.scalar(select(Call).where(Call.linkedid == linkedid))
                assert call is not None
                opened = call.ended_at if days_ago else None
                return runtime.part(TicketDesk).open_for(session, call, opened).number
        except IntegrityError:
            continue
    raise AssertionError(f"no ticket for call {linkedid}")


@pytest.fixture(scope="module")
async def site(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Site]:
    async with app_without_asterisk(tmp_path_factory.mktemp("tickets-pages")) as (app, runtime):
        with runtime.session_factory.begin() as session:
            create_lawyer(session, "王律师", "8001")
            create_lawyer(session, "李律师", "8002")
            create_user(session, LAWYER, PASSWORD, "lawyer")
            create_user(session, OTHER_LAWYER, PASSWORD, "lawyer")
            create_user(session, SUPERVISOR, PASSWORD, "supervisor")
            create_user(session, ADMIN, PASSWORD, "admin")
            link_lawyer(session, LAWYER, "8001")
            link_lawyer(session, OTHER_LAWYER, "8002")
        now = utcnow().timestamp()
        runtime.part(CallStore).write(
            [
                answered(RECENT, "8001", now - 600),
                answered(OLD, "8001", now - 3 * 86400, caller="13900001111"),
                answered(OTHERS, "8002", now - 900, caller="13700002222"),
            ]
        )
        numbers = {
            OLD: open_ticket(runtime, OLD, days_ago=3),  # due a day after the call: two days overdue
            RECENT: open_ticket(runtime, RECENT),
            OTHERS: open_ticket(runtime, OTHERS),
        }
        with runtime.session_factory.begin() as session:
            assert [t.number for t in escalate_overdue(session)] == [numbers[OLD]]
        async with serve(app) as url:
            yield Site(url, runtime, numbers)


@pytest.fixture(scope="module")
async def browser() -> AsyncIterator[Browser]:
    async with chromium() as browser:
        yield browser


async def test_a_lawyer_writes_their_ticket_on_the_desk(site: Site, browser: Browser) -> None:
    recent, old = site.numbers[RECENT], site.numbers[OLD]
    page = await signed_in_page(browser, site.url, LAWYER, PASSWORD)
    await page.goto("/desk")

    # 我的工单: my two open tickets, the overdue one first (soonest due), not the other lawyer's.
    rows = page.locator("#my-tickets tbody tr[data-number]")
    await expect(rows).to_have_count(2, timeout=UI)
    assert [await rows.nth(n).get_attribute("data-number") for n in range(2)] == [old, recent]
    overdue = page.locator(f'#my-tickets tr[data-number="{old}"]')
    await expect(overdue).to_have_attribute("data-overdue", "true")
    await expect(overdue.locator("td.due")).to_have_class(re.compile(r"\boverdue\b"))
    await expect(overdue).to_contain_text("已超期")
    await expect(overdue).to_contain_text("已上报")
    fresh = page.locator(f'#my-tickets tr[data-number="{recent}"]')
    await expect(fresh).to_have_attribute("data-overdue", "false")
    await expect(fresh).not_to_contain_text("已超期")
    await expect(fresh).to_contain_text("劳动争议")
    await expect(page.locator("#my-tickets")).not_to_contain_text(site.numbers[OTHERS])
    await expect(page.locator("#ticket")).to_be_hidden()

    # Opening one fills the form: the caller, the topic, the deadline for a ticket without outcome.
    await fresh.get_by_role("button", name=recent).click()
    form = page.locator("#ticket")
    await expect(form).to_have_attribute("data-number", recent, timeout=UI)
    await expect(form).to_have_attribute("data-state", "open")
    await expect(page.locator("#ticket-caller")).to_have_text(CALLER)
    await expect(page.locator("#ticket-topic")).to_have_text("劳动争议")
    await expect(page.locator("#ticket-due")).to_have_attribute("data-rule", "unfinished: 1d")
    await expect(page.locator("#ticket-due")).to_contain_text("1 天")
    await expect(fresh).to_have_attribute("aria-current", "true")

    # Typing is not lost by opening another ticket by mistake: the page asks first.
    summary = page.get_by_label("咨询摘要")
    await summary.fill("公司拖欠工资三个月，来电人已离职，")
    asked: list[str] = []

    async def decline(dialog: Dialog) -> None:
        asked.append(dialog.message)
        await dialog.dismiss()

    page.once("dialog", decline)
    await overdue.click()
    await expect(page.locator("#my-tickets tr[aria-current]")).to_have_attribute("data-number", recent)
    assert asked and "尚未保存" in asked[0]
    await expect(form).to_have_attribute("data-number", recent)
    await expect(summary).to_have_value("公司拖欠工资三个月，来电人已离职，")

    # A referral to legal aid: saved, with its deadline of three working days.
    written = "公司拖欠工资三个月，来电人已离职，经济困难，建议申请法律援助。"
    await summary.fill(written)
    await page.get_by_label("处理结果").select_option("legal-aid")
    await page.get_by_role("button", name="保存").click()
    due = page.locator("#ticket-due")
    await expect(due).to_have_attribute("data-rule", "legal-aid: 3wd", timeout=UI)
    await expect(due).to_contain_text("转法律援助 · 3 个工作日")
    await expect(page.locator("#message")).to_contain_text(f"工单 {recent} 已保存")
    await expect(page.locator("#ticket-save-status")).to_contain_text(LAWYER)
    await expect(fresh.locator("td.outcome")).to_have_text("转法律援助", timeout=UI)
    await screenshot(page, "desk-ticket")
    async with await site.api(LAWYER) as api:
        saved = (await api.get(f"/api/v1/tickets/{recent}")).json()
    assert (saved["outcome"], saved["summary"], saved["state"]) == ("legal-aid", written, "open")
    assert saved["due_rule"] == "legal-aid: 3wd"

    # 已解答 closes the ticket, but not without a summary: the page says so, the ticket stays open.
    await summary.fill("")
    await page.get_by_label("处理结果").select_option("answered")
    await page.get_by_role("button", name="保存").click()
    message = page.locator("#message")
    await expect(message).to_contain_text("ticket-summary-missing", timeout=UI)
    await expect(message).to_contain_text("请先填写咨询摘要")  # the API's message_zh (the catalogue's)
    await expect(message).to_contain_text(CATALOGUE["ticket-summary-missing"].message_zh)
    await expect(message).to_have_class("error")
    await expect(form).to_have_attribute("data-state", "open")
    await expect(summary).to_be_editable()
    async with await site.api(LAWYER) as api:
        kept = (await api.get(f"/api/v1/tickets/{recent}")).json()
    assert (kept["state"], kept["outcome"], kept["summary"]) == ("open", "legal-aid", written)

    # With the summary it closes: read-only afterwards, and gone from the open tickets.
    await summary.fill("已解答：可向劳动仲裁委申请仲裁，仲裁时效一年，需准备劳动合同和工资流水。")
    await page.get_by_role("button", name="保存").click()
    await expect(form).to_have_attribute("data-state", "closed", timeout=UI)
    await expect(page.locator("#ticket-state")).to_have_text("已办结")
    await expect(page.locator("#message")).to_contain_text("已保存并办结")
    await expect(summary).not_to_be_editable()
    await expect(page.get_by_label("处理结果")).to_be_disabled()
    await expect(page.get_by_role("button", name="保存")).to_be_hidden()
    await expect(rows).to_have_count(1, timeout=UI)
    await expect(rows.first).to_have_attribute("data-number", old)
    async with await site.api(LAWYER) as api:
        closed = (await api.get(f"/api/v1/tickets/{recent}")).json()
        again = await api.put(f"/api/v1/tickets/{recent}", json={"summary": "改"})
    assert (closed["state"], closed["outcome"]) == ("closed", "answered")
    assert again.status_code == 409 and again.json()["error_id"] == "ticket-closed"


async def test_unsaved_text_asks_before_leaving_the_desk(site: Site, browser: Browser) -> None:
    old = site.numbers[OLD]
    page = await signed_in_page(browser, site.url, LAWYER, PASSWORD)
    await page.goto("/desk")
    await page.locator(f'#my-tickets tr[data-number="{old}"]').click(timeout=UI)
    await expect(page.locator("#ticket")).to_have_attribute("data-number", old, timeout=UI)
    await page.get_by_label("咨询摘要").fill("正在填写，尚未保存")
    async with page.expect_event("dialog", timeout=UI) as asked:
        await page.close(run_before_unload=True)
    dialog = await asked.value
    assert dialog.type == "beforeunload"
    await dialog.accept()


async def test_the_supervisor_s_wallboard_lists_overdue_tickets(site: Site, browser: Browser) -> None:
    old = site.numbers[OLD]
    page = await signed_in_page(browser, site.url, SUPERVISOR, PASSWORD)
    await page.goto("/wallboard")
    rows = page.locator("#overdue-tickets tbody tr[data-number]")
    await expect(rows).to_have_count(1, timeout=UI)  # not the tickets still within their deadline
    row = page.locator(f'#overdue-tickets tr[data-number="{old}"]')
    await expect(row).to_have_attribute("data-lawyer", "8001")
    await expect(row).to_have_attribute("data-escalated", "true")
    await expect(row).to_contain_text("王律师（8001）", timeout=UI)
    for text in ("来电", "未填写", "已上报"):
        await expect(row).to_contain_text(text)
    await expect(row.locator("td.late")).to_contain_text(re.compile(r"^[12] 天"))


async def test_an_admin_s_wallboard_has_no_tickets_panel(site: Site, browser: Browser) -> None:
    page = await signed_in_page(browser, site.url, ADMIN, PASSWORD)
    await page.goto("/wallboard")
    await expect(page.locator("#lawyers")).to_be_visible(timeout=UI)
    await expect(page.locator("#overdue-panel")).to_have_count(0)


async def test_a_voicemail_waits_for_any_lawyer_to_call_back(site: Site, browser: Browser) -> None:
    now = utcnow().timestamp()
    linkedid = "1795800000.9"
    site.runtime.part(CallStore).write(
        [
            CallProgress(
                linkedid=linkedid,
                caller="13600003333",
                started_at=now - 120,
                ended_at=now - 60,
                voicemail_file=linkedid,
            )
        ]
    )
    number = open_ticket(site.runtime, linkedid)
    page = await signed_in_page(browser, site.url, OTHER_LAWYER, PASSWORD)
    await page.goto("/desk")
    row = page.locator(f'#my-tickets tr[data-number="{number}"]')  # unassigned: every lawyer sees it
    await expect(row).to_be_visible(timeout=UI)
    await row.locator("button").first.click()
    await expect(page.locator("#ticket")).to_have_attribute("data-number", number, timeout=UI)
    callback = page.locator("#ticket-callback")
    await expect(callback).to_be_visible()
    await callback.click()
    # No Asterisk behind this test app: the desk says why the phone did not ring.
    await expect(page.locator("#message")).to_contain_text("ami-unavailable", timeout=UI)
    await expect(page.locator("#message")).to_contain_text(CATALOGUE["ami-unavailable"].message_zh)


async def test_a_dead_hand_off_shows_on_the_ticket_and_the_supervisor_sends_it_again(
    site: Site, browser: Browser
) -> None:
    now = utcnow().timestamp()
    linkedid = "1795800000.10"
    site.runtime.part(CallStore).write([answered(linkedid, "8002", now - 300, caller="13500004444")])
    number = open_ticket(site.runtime, linkedid)
    async with await site.api(OTHER_LAWYER) as lawyer:
        referred = await lawyer.put(
            f"/api/v1/tickets/{number}",
            json={"summary": "合同纠纷，转人民调解委员会", "outcome": "mediation"},
        )
        assert referred.status_code == 200, referred.text
    with site.runtime.session_factory.begin() as session:  # as the deliverer leaves a refused one
        message = session.scalars(
            select(OutboxMessage).where(OutboxMessage.idempotency_key.startswith(number))
        ).one()
        message.state, message.attempts, message.last_status = "dead", 1, 422
        message.last_error = 'HTTP 422: {"error": "mediation is not handled here"}'
        message_id = message.id

    desk = await signed_in_page(browser, site.url, OTHER_LAWYER, PASSWORD)
    await desk.goto("/desk")
    await desk.locator(f'#my-tickets tr[data-number="{number}"] button').first.click()
    await expect(desk.locator("#ticket-deliveries")).to_contain_text("发送失败", timeout=UI)

    board = await signed_in_page(browser, site.url, SUPERVISOR, PASSWORD)
    await board.goto("/wallboard")
    row = board.locator(f'#dead-handoffs tr[data-handoff-id="{message_id}"]')
    await expect(row).to_contain_text("mediation is not handled here", timeout=UI)
    await row.locator('button[data-action="retry"]').click()
    await expect(row).to_have_count(0, timeout=UI)
    async with await site.api(SUPERVISOR) as supervisor:
        pending = (await supervisor.get("/api/v1/handoffs", params={"state": "pending"})).json()
    assert message_id in {h["id"] for h in pending}
