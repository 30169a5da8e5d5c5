"""Monthly reports over HTTP: a supervisor generates, downloads and submits last month's, and until
then the wallboard and the health say it is due."""

from __future__ import annotations

import io
import subprocess
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import openpyxl
import pytest

from hotline.auth.service import create_user
from hotline.consoles.monitor import Monitor
from hotline.reports.service import ReportShelf
from tests import stats_month
from tests.helpers import ManualClock, app_without_asterisk, tokens_for

PASSWORD = "reports-password-1"
USERS = {
    "supervisor-zhang": "supervisor",
    "admin-wu": "admin",
    "lawyer-wang": "lawyer",
    "reviewer-li": "reviewer",
}
ZONE = ZoneInfo("Asia/Shanghai")


@dataclass
class Client:
    http: httpx.AsyncClient
    tokens: dict[str, str]
    clock: ManualClock
    monitor: Monitor
    shelf: ReportShelf

    def auth(self, user: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[user]}"}


@pytest.fixture(scope="module")
async def client(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Client]:
    clock = ManualClock(datetime(2026, 12, 16, 9, 0, tzinfo=ZONE))
    async with app_without_asterisk(tmp_path_factory.mktemp("reports-api"), clock=clock) as (app, runtime):
        with runtime.session_factory.begin() as session:
            stats_month.fill(session)
            for name, role in USERS.items():
                create_user(session, name, PASSWORD, role)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://hotline.test") as http:
            yield Client(
                http,
                await tokens_for(http, USERS, PASSWORD),
                clock,
                runtime.part(Monitor),
                runtime.part(ReportShelf),
            )


async def test_generate_download_and_submit_last_month_s_report(client: Client, tmp_path: Path) -> None:
    health = (await client.http.get("/api/v1/health", headers=client.auth("admin-wu"))).json()
    assert health["report_not_submitted"] == "2026-11"  # the 16th, and nothing submitted
    board = await client.monitor.board()
    assert "2026年11月的月报尚未上报，请于20日前完成上报。" in board["notices"]

    made = await client.http.post(
        "/api/v1/reports/monthly/2026-11/generate", headers=client.auth("supervisor-zhang")
    )
    assert made.status_code == 200, made.text
    assert made.json()["generated_by"] == "supervisor-zhang" and made.json()["available"] is True
    listed = (await client.http.get("/api/v1/reports", headers=client.auth("admin-wu"))).json()
    assert [(r["month"], r["downloads"]["pdf"]) for r in listed] == [
        ("2026-11", "/api/v1/reports/monthly/2026-11.pdf")
    ]

    xlsx = await client.http.get(
        "/api/v1/reports/monthly/2026-11.xlsx", headers=client.auth("supervisor-zhang")
    )
    assert xlsx.status_code == 200 and "spreadsheetml" in xlsx.headers["content-type"]
    book = openpyxl.load_workbook(io.BytesIO(xlsx.content))
    assert len(book.sheetnames) >= 9

    pdf = await client.http.get(
        "/api/v1/reports/monthly/2026-11.pdf", headers=client.auth("supervisor-zhang")
    )
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    assert 'filename="12348-monthly-2026-11.pdf"' in pdf.headers["content-disposition"]
    (tmp_path / "r.pdf").write_bytes(pdf.content)
    text = subprocess.run(  # noqa: ASYNC221  (a test: the loop has nothing else to do)
        ["pdftotext", str(tmp_path / "r.pdf"), "-"], capture_output=True, text=True, check=True
    )
    assert "温州市司法局" in text.stdout and "2026年11月" in text.stdout and "王律师" in text.stdout

    refused = await client.http.post(
        "/api/v1/reports/monthly/2026-11/submit", headers=client.auth("lawyer-wang")
    )
    assert refused.status_code == 403
    submitted = await client.http.post(
        "/api/v1/reports/monthly/2026-11/submit", headers=client.auth("supervisor-zhang")
    )
    assert submitted.status_code == 200 and submitted.json()["submitted_by"] == "supervisor-zhang"
    health = (await client.http.get("/api/v1/health", headers=client.auth("admin-wu"))).json()
    assert health["report_not_submitted"] is None
    assert client.shelf.notice() is None  # (the wallboard's notices are read every few minutes)


@pytest.mark.parametrize("user", ["lawyer-wang", "reviewer-li"])
async def test_lawyers_and_reviewers_see_no_reports(client: Client, user: str) -> None:
    response = await client.http.get("/api/v1/reports", headers=client.auth(user))
    assert response.status_code == 403 and response.json()["details"] == {"permission": "view_reports"}


async def test_a_month_not_generated_is_a_plain_404(client: Client) -> None:
    response = await client.http.get("/api/v1/reports/monthly/2025-01.xlsx", headers=client.auth("admin-wu"))
    assert response.status_code == 404 and response.json()["error_id"] == "report-not-found"
    bad = await client.http.post("/api/v1/reports/monthly/2026-13/generate", headers=client.auth("admin-wu"))
    assert bad.status_code == 422 and bad.json()["error_id"] == "report-month-invalid"
