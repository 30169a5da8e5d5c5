"""The criticism report over HTTP, as the bureau uses it: on the 16th last month's report is still
due (health, wallboard); the duty leader generates it, reads it, writes the measures taken; a
supervisor cannot publish it before the measures are written, then publishes it; after that the
measures no longer change and nothing says the report is due."""

from __future__ import annotations

import io
import subprocess
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import httpx
import openpyxl
import pytest

from hotline.auth.service import create_user
from hotline.consoles.monitor import Monitor
from hotline.criticism.service import CriticismDesk
from hotline.reports.service import CriticismShelf
from tests import criticism_month
from tests.helpers import ManualClock, app_without_asterisk, tokens_for

PASSWORD = "criticism-report-password-1"
USERS = {
    "leader-wang": "leader",
    "supervisor-zhang": "supervisor",
    "admin-wu": "admin",
    "lawyer-8001": "lawyer",
}
NOTICE = "2026年11月的群众批评意见分析报告尚未上报，请于20日前完成上报。"


@dataclass
class Client:
    http: httpx.AsyncClient
    tokens: dict[str, str]
    monitor: Monitor
    shelf: CriticismShelf

    def auth(self, user: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[user]}"}


@pytest.fixture(scope="module")
async def client(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Client]:
    clock = ManualClock(datetime(2026, 12, 16, 9, 0, tzinfo=criticism_month.ZONE))
    async with app_without_asterisk(tmp_path_factory.mktemp("criticism-report"), clock=clock) as (
        app,
        runtime,
    ):
        with runtime.session_factory.begin() as session:
            criticism_month.fill(session, runtime.part(CriticismDesk))
            for name, role in USERS.items():
                create_user(session, name, PASSWORD, role)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://hotline.test") as http:
            yield Client(
                http,
                await tokens_for(http, USERS, PASSWORD),
                runtime.part(Monitor),
                runtime.part(CriticismShelf),
            )


def pdf_text(content: bytes, tmp_path: Path) -> str:
    path = tmp_path / "report.pdf"
    path.write_bytes(content)
    text = subprocess.run(
        ["pdftotext", "-enc", "UTF-8", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout
    return "".join(text.split())


async def test_the_leader_writes_the_measures_and_a_supervisor_publishes(
    client: Client, tmp_path: Path
) -> None:
    health = (await client.http.get("/api/v1/health", headers=client.auth("admin-wu"))).json()
    assert health["criticism_report_not_submitted"] == "2026-11"
    assert NOTICE in (await client.monitor.board())["notices"]

    made = await client.http.post(
        "/api/v1/reports/criticism/2026-11/generate", headers=client.auth("leader-wang")
    )
    assert made.status_code == 200, made.text
    assert (made.json()["generated_by"], made.json()["measures"]) == ("leader-wang", None)
    listed = (
        await client.http.get("/api/v1/reports/criticism", headers=client.auth("supervisor-zhang"))
    ).json()
    assert [(r["month"], r["downloads"]["pdf"]) for r in listed] == [
        ("2026-11", "/api/v1/reports/criticism/2026-11.pdf")
    ]
    draft = await client.http.get("/api/v1/reports/criticism/2026-11.pdf", headers=client.auth("leader-wang"))
    assert (
        draft.status_code == 200
        and 'filename="12348-criticism-2026-11.pdf"' in draft.headers["content-disposition"]
    )
    assert "尚未填写" in pdf_text(draft.content, tmp_path)

    early = await client.http.post(
        "/api/v1/reports/criticism/2026-11/submit", headers=client.auth("supervisor-zhang")
    )
    assert early.status_code == 422 and early.json()["error_id"] == "criticism-measures-missing", early.text
    assert "/criticism" in early.json()["message"]
    blank = await client.http.put(
        "/api/v1/reports/criticism/2026-11/measures", json={"text": "  "}, headers=client.auth("leader-wang")
    )
    assert blank.status_code == 422 and blank.json()["error_id"] == "criticism-measures-missing"

    written = await client.http.put(
        "/api/v1/reports/criticism/2026-11/measures",
        json={"text": criticism_month.MEASURES},
        headers=client.auth("leader-wang"),
    )
    assert written.status_code == 200, written.text
    assert (written.json()["measures"], written.json()["measures_by"]) == (
        criticism_month.MEASURES,
        "leader-wang",
    )
    final = await client.http.get(
        "/api/v1/reports/criticism/2026-11.pdf", headers=client.auth("supervisor-zhang")
    )
    text = pdf_text(final.content, tmp_path)
    assert all(paragraph in text for paragraph in criticism_month.MEASURES.splitlines())
    assert "尚未填写" not in text
    workbook = await client.http.get(
        "/api/v1/reports/criticism/2026-11.xlsx", headers=client.auth("admin-wu")
    )
    book = openpyxl.load_workbook(io.BytesIO(workbook.content))
    assert book["整改措施"]["A2"].value == criticism_month.MEASURES.splitlines()[0]

    published = await client.http.post(
        "/api/v1/reports/criticism/2026-11/submit", headers=client.auth("supervisor-zhang")
    )
    assert published.status_code == 200 and published.json()["submitted_by"] == "supervisor-zhang"
    health = (await client.http.get("/api/v1/health", headers=client.auth("admin-wu"))).json()
    assert health["criticism_report_not_submitted"] is None
    assert client.shelf.notice() is None  # (the wallboard's notices are read every few minutes)
    late = await client.http.put(
        "/api/v1/reports/criticism/2026-11/measures",
        json={"text": "改写"},
        headers=client.auth("leader-wang"),
    )
    assert late.status_code == 422 and late.json()["error_id"] == "criticism-report-published"


async def test_a_lawyer_sees_no_criticism_report_and_a_leader_publishes_none(client: Client) -> None:
    listed = await client.http.get("/api/v1/reports/criticism", headers=client.auth("lawyer-8001"))
    assert listed.status_code == 403 and listed.json()["details"] == {"permission": "view_criticism_report"}
    publish = await client.http.post(
        "/api/v1/reports/criticism/2026-11/submit", headers=client.auth("leader-wang")
    )
    assert publish.status_code == 403 and publish.json()["details"] == {"permission": "submit_reports"}
