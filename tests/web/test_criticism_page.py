"""The duty leader's page (群众批评意见) in real Chromium against the app (SQLite, no Asterisk): the
leader signs in, sees the day's criticism, listens to a phone message (the listening audited, with
its reason), confirms the category, records the finding, the reply, and closes it; a lawyer may not
open the page, nor hear the message. The month's analysis report: the leader writes the measures,
a supervisor publishes it."""

from __future__ import annotations

import asyncio
import re
import subprocess
from datetime import UTC, datetime
from pathlib import Path

import pytest
from playwright.async_api import expect
from sqlalchemy import select

from hotline.auth.service import create_user
from hotline.criticism import service
from hotline.criticism.models import Channel, Criticism
from hotline.criticism.service import CriticismDesk
from hotline.recordings.models import AuditEntry
from hotline.recordings.service import RecordingRegistry
from tests import criticism_month
from tests.browser import chromium, screenshot, serve, signed_in_page
from tests.helpers import ManualClock, app_without_asterisk, sealed_recording

PASSWORD = "criticism-page-password-1"
LEADER, LAWYER, SUPERVISOR = "leader-chen", "lawyer-8001", "supervisor-zhao"
UI = 10_000  # ms
# Monday 7 December 2026, 10:00 in Beijing.
MONDAY = datetime(2026, 12, 7, 2, 0, tzinfo=UTC)
CALL = "1796608800.7"


async def test_a_duty_leader_hears_a_phone_complaint_replies_and_closes_it(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    clock = ManualClock(MONDAY)
    async with app_without_asterisk(tmp_path_factory.mktemp("criticism-page"), clock=clock) as (app, runtime):
        desk = runtime.part(CriticismDesk)
        message = sealed_recording(runtime.part(RecordingRegistry), CALL)
        with runtime.session_factory.begin() as session:
            create_user(session, LEADER, PASSWORD, "leader")
            create_user(session, LAWYER, PASSWORD, "lawyer")
            service.apply_leader_roster(session, [service.DutyRow(desk.local_day(MONDAY), LEADER)])
            item = desk.receive(
                session,
                channel=Channel.phone,
                at=MONDAY,
                phone="13905770123",
                linkedid=CALL,
                recording_file=f"{CALL}-phone",
            )
            item.recording_id = message.id
            number = item.number
        async with serve(app) as url, chromium() as browser:
            page = await signed_in_page(browser, url, LEADER, PASSWORD)
            await page.get_by_role("navigation").get_by_role("link", name="群众意见").click()
            row = page.locator(f'#items tr[data-number="{number}"]')
            await expect(row).to_contain_text("电话留言", timeout=UI)
            await expect(row).to_contain_text(LEADER)
            await row.get_by_role("link", name=number).click()
            await expect(page.locator("#detail-who")).to_have_text("13905770123")

            # Listening asks for a reason, which the audit log keeps.
            await page.get_by_role("button", name="开始复听").click()
            await expect(page.locator("#message")).to_contain_text("请填写复听原因")
            await page.get_by_label("复听原因").fill("核查群众意见")
            await page.get_by_role("button", name="开始复听").click()
            await expect(page.locator("#player")).to_be_visible(timeout=UI)
            await expect(page.locator("#player")).to_have_js_property("readyState", 4, timeout=UI)
            with runtime.session_factory() as session:
                entry = session.scalars(select(AuditEntry).where(AuditEntry.actor == LEADER)).one()
                assert (entry.reason, entry.recording_id) == ("核查群众意见", message.id)

            await page.get_by_label("类别").select_option(label="服务态度")
            await page.locator("#target").select_option("lawyer")
            await page.get_by_label("对象名称").fill("8001")
            await page.get_by_role("button", name="确认").click()
            await expect(page.locator("#message")).to_have_text("类别已确认。", timeout=UI)
            await page.get_by_label("属实", exact=True).check()
            await page.get_by_label("核查情况").fill("复听录音，律师未听完即挂断，属实")
            await page.get_by_role("button", name="提交核查结果").click()
            await expect(page.locator("#message")).to_contain_text("意见属实时须填写整改措施", timeout=UI)
            await page.get_by_label("整改措施（属实时必填）").fill("约谈律师并扣减当月考核分")
            await page.get_by_role("button", name="提交核查结果").click()
            await expect(page.locator("#detail-state")).to_contain_text("已核查", timeout=UI)
            await page.get_by_label("答复内容").fill("已电话告知核查结果和整改措施")
            await page.get_by_role("button", name="记录答复").click()
            await expect(page.locator("#detail-state")).to_contain_text("已答复", timeout=UI)
            await page.get_by_role("button", name="办结").click()
            await expect(page.locator("#detail-state")).to_contain_text("已办结", timeout=UI)
            await expect(page.locator("#steps li")).to_have_count(6)
            await screenshot(page, "criticism")
            with runtime.session_factory() as session:
                done = session.scalars(select(Criticism).where(Criticism.number == number)).one()
                assert (done.state, done.upheld, done.target_name, done.reply_method) == (
                    "closed",
                    True,
                    "8001",
                    "callback",
                )

            lawyer = await signed_in_page(browser, url, LAWYER, PASSWORD)
            refused = await lawyer.goto("/criticism")
            assert refused is not None and refused.status == 403
            heard = await lawyer.request.post(
                f"/api/v1/recordings/{message.id}/access",
                data={"purpose": "play", "reason": "想听"},
                headers={
                    "X-CSRF-Token": await lawyer.locator('meta[name="csrf-token"]').get_attribute("content")
                    or ""
                },
            )
            assert heard.status == 403


async def test_the_leader_writes_the_months_measures_and_a_supervisor_publishes_the_report(
    tmp_path_factory: pytest.TempPathFactory, tmp_path: Path
) -> None:
    """The month's analysis report on the same page: generated, the measures written by the duty
    leader (the report made again with them), published by a supervisor; the leader cannot publish."""
    clock = ManualClock(MONDAY)
    async with app_without_asterisk(tmp_path_factory.mktemp("criticism-report"), clock=clock) as (
        app,
        runtime,
    ):
        with runtime.session_factory.begin() as session:
            criticism_month.fill(session, runtime.part(CriticismDesk))
            create_user(session, LEADER, PASSWORD, "leader")
            create_user(session, SUPERVISOR, PASSWORD, "supervisor")
        async with serve(app) as url, chromium() as browser:
            page = await signed_in_page(browser, url, LEADER, PASSWORD)
            await page.goto("/criticism")
            # A letter that came by post is entered here, numbered and opened at once.
            await page.get_by_text("录入来信 / 局长信箱").click()
            await page.get_by_label("收到日期").fill("2026-12-04")
            await page.get_by_label("意见内容").fill("来信反映：热线等待时间太长")
            await page.get_by_role("button", name="录入").click()
            await expect(page.locator("#message")).to_have_text(
                re.compile(r"^已录入，编号 YJ-20261204-\d{4}。$"), timeout=UI
            )
            await expect(page.locator("#detail-channel")).to_have_text("来信")
            await expect(page.locator("#detail-suggested")).to_have_text("等待与接通")

            section = page.locator("#analysis")
            await expect(section.locator("#analysis-title")).to_have_text(
                "2026年11月群众批评意见分析报告", timeout=UI
            )
            await expect(section.locator("#analysis-state")).to_have_text("尚未生成")
            await expect(section.locator("#analysis-publish")).to_have_count(0)  # a leader does not publish
            await section.get_by_role("button", name="生成报告").click()
            await expect(section.locator("#analysis-state")).to_contain_text("已生成", timeout=UI * 3)
            await expect(section.locator("#analysis-measures-state")).to_have_text("尚未填写")
            await section.get_by_label("本月整改措施").fill(criticism_month.MEASURES)
            await section.get_by_role("button", name="保存并重新生成").click()
            await expect(section.locator("#analysis-measures-state")).to_contain_text(LEADER, timeout=UI * 3)
            await expect(section.locator("#analysis-pdf")).to_be_visible()
            await screenshot(page, "criticism-report", "#analysis")
            href = await section.locator("#analysis-pdf").get_attribute("href")
            pdf = await page.request.get(f"{url}{href}")
            assert pdf.status == 200
            (tmp_path / "report.pdf").write_bytes(await pdf.body())
            read = await asyncio.to_thread(
                subprocess.run,
                ["pdftotext", "-enc", "UTF-8", str(tmp_path / "report.pdf"), "-"],
                capture_output=True,
                text=True,
                check=True,
            )
            text = read.stdout
            assert all(line in "".join(text.split()) for line in criticism_month.MEASURES.splitlines())

            boss = await signed_in_page(browser, url, SUPERVISOR, PASSWORD)
            await boss.goto("/criticism")
            publish = boss.locator("#analysis-publish")
            await expect(publish).to_be_enabled(timeout=UI)
            await publish.click()
            await expect(boss.locator("#analysis-published")).to_contain_text(
                f"已发布（{SUPERVISOR}", timeout=UI
            )
            await expect(publish).to_be_disabled()
            await expect(boss.locator("#measures-form")).to_be_hidden()
