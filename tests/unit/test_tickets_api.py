"""Tickets over HTTP: the desk opens and writes the ticket of its call, supervisors see overdue ones."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import httpx
import pytest

from hotline.auth.service import create_user
from hotline.calls.service import CallStore
from hotline.calls.state import CallProgress
from hotline.kernel.compose import Runtime
from hotline.routing.service import create_lawyer
from hotline.staff.service import link_lawyer
from hotline.tickets.jobs import TicketJobs
from hotline.tickets.service import TicketDesk
from tests.helpers import app_without_asterisk, tokens_for

PASSWORD = "tickets-password-1"
# "Now" for the app and its jobs: a Monday morning, so that deadlines in working days fall in the
# same week whatever day the suite runs (3 working days from Monday are Thursday).
NOW = datetime(2026, 11, 30, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
USERS = {
    "lawyer-8001": "lawyer",
    "lawyer-8002": "lawyer",
    "supervisor-zhang": "supervisor",
    "reviewer-li": "reviewer",
}


@dataclass
class Client:
    http: httpx.AsyncClient
    runtime: Runtime
    tokens: dict[str, str]

    def auth(self, user: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[user]}"}


@pytest.fixture(scope="module")
async def client(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Client]:
    state_dir = tmp_path_factory.mktemp("tickets-api")
    async with app_without_asterisk(state_dir, clock=lambda: NOW) as (app, runtime):
        with runtime.session_factory.begin() as session:
            for extension in ("8001", "8002"):
                create_lawyer(session, f"律师{extension}", extension)
            for name, role in USERS.items():
                create_user(session, name, PASSWORD, role)
            link_lawyer(session, "lawyer-8001", "8001")
            link_lawyer(session, "lawyer-8002", "8002")
        now = NOW.timestamp()
        runtime.part(CallStore).write(
            [
                CallProgress(
                    linkedid="1795700000.1",
                    caller="13812345678",
                    started_at=now - 120,
                    answered_at=now - 100,
                    lawyer="8001",
                    topic="labour",
                ),
                CallProgress(
                    linkedid="1795700000.2",
                    caller="13812345679",
                    started_at=now - 60,
                    voicemail_file="1795700000.2",
                ),
            ]
        )
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://hotline.test") as http:
            tokens = await tokens_for(http, USERS, PASSWORD)
            yield Client(http, runtime, tokens)


async def test_the_desk_opens_and_writes_its_call_s_ticket(client: Client) -> None:
    opened = await client.http.get("/api/v1/tickets/by-call/1795700000.1", headers=client.auth("lawyer-8001"))
    assert opened.status_code == 200, opened.text
    ticket = opened.json()
    assert ticket["number"].startswith("12348-") and ticket["number"].endswith("-0001")
    assert (ticket["kind"], ticket["state"], ticket["lawyer"], ticket["caller"]) == (
        "call",
        "open",
        "8001",
        "13812345678",
    )
    assert (ticket["topic_label"], ticket["due_rule"], ticket["overdue"]) == (
        "劳动争议",
        "unfinished: 1d",
        False,
    )
    assert [c["role"] for c in ticket["calls"]] == ["origin"]

    again = await client.http.get("/api/v1/tickets/by-call/1795700000.1", headers=client.auth("lawyer-8001"))
    assert again.json()["number"] == ticket["number"]  # the same ticket, not a second one

    written = await client.http.put(
        f"/api/v1/tickets/{ticket['number']}",
        json={"summary": "公司拖欠工资三个月，建议申请法律援助", "outcome": "legal-aid"},
        headers=client.auth("lawyer-8001"),
    )
    assert written.status_code == 200, written.text
    body = written.json()
    assert (body["outcome"], body["outcome_label"], body["due_rule"]) == (
        "legal-aid",
        "转法律援助",
        "legal-aid: 3wd",
    )
    assert body["updated_by"] == "lawyer-8001"

    other = await client.http.get(f"/api/v1/tickets/{ticket['number']}", headers=client.auth("lawyer-8002"))
    assert other.status_code == 404 and other.json()["error_id"] == "ticket-not-found"
    not_mine = await client.http.get(
        "/api/v1/tickets/by-call/1795700000.1", headers=client.auth("lawyer-8002")
    )
    assert not_mine.status_code == 404
    listed = await client.http.get("/api/v1/tickets", headers=client.auth("lawyer-8002"))
    assert ticket["number"] not in {t["number"] for t in listed.json()["items"]}  # a colleague's ticket
    assert all(t["lawyer"] in (None, "8002") for t in listed.json()["items"])

    bad = await client.http.put(
        f"/api/v1/tickets/{ticket['number']}", json={"outcome": "solved"}, headers=client.auth("lawyer-8001")
    )
    assert bad.status_code == 422


async def test_supervisors_see_overdue_tickets_escalated_by_the_job(client: Client) -> None:
    runtime = client.runtime
    # The voicemail gets its ticket.
    await TicketJobs(runtime.session_factory, runtime.part(TicketDesk), clock=lambda: NOW).sweep()
    later = TicketJobs(
        runtime.session_factory, runtime.part(TicketDesk), clock=lambda: NOW + timedelta(days=4)
    )
    escalated = await later.escalate()
    assert len(escalated) == 2  # the voicemail's 24 h and the referral's 3 working days are both past

    overdue = await client.http.get(
        "/api/v1/tickets", params={"overdue": "true"}, headers=client.auth("supervisor-zhang")
    )
    assert overdue.status_code == 200
    assert {t["number"] for t in overdue.json()["items"]} == set()  # not yet, by the app's clock
    due = await client.http.get(
        "/api/v1/tickets",
        params={"due_before": (NOW + timedelta(days=10)).isoformat(), "state": "open"},
        headers=client.auth("supervisor-zhang"),
    )
    items = due.json()["items"]
    assert sorted(t["kind"] for t in items) == ["call", "voicemail"]
    assert all(t["escalated_at"] is not None for t in items)
    voicemail = next(t for t in items if t["kind"] == "voicemail")
    assert (voicemail["outcome"], voicemail["due_rule"], voicemail["lawyer"]) == (
        "callback",
        "voicemail: 24h",
        None,
    )
    refused = await client.http.get("/api/v1/tickets", headers=client.auth("reviewer-li"))
    assert refused.status_code == 403
