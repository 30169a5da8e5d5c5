"""Criticism over the API (time from an injected clock): the leaders' roster imported as CSV with a
clear error for a bad row, a letter entered by staff reaching the day's duty leader, a lawyer's view
of what is about them without who wrote it, and the wallboard's notice once an item is overdue."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from hotline.auth.service import create_user
from hotline.consoles.monitor import Monitor
from hotline.routing.service import create_lawyer
from hotline.staff.service import link_lawyer
from tests.helpers import ManualClock, app_without_asterisk, tokens_for

PASSWORD = "criticism-api-password-1"
USERS = {
    "leader-chen": "leader",
    "supervisor-zhao": "supervisor",
    "lawyer-8001": "lawyer",
    "admin-qian": "admin",
}
# Monday 7 December 2026, 10:00 in Beijing.
MONDAY = datetime(2026, 12, 7, 2, 0, tzinfo=UTC)


@dataclass
class Client:
    http: httpx.AsyncClient
    tokens: dict[str, str]
    clock: ManualClock
    monitor: Monitor

    def auth(self, user: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[user]}"}


@pytest.fixture
async def client(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Client]:
    clock = ManualClock(MONDAY)
    async with app_without_asterisk(tmp_path_factory.mktemp("criticism-api"), clock=clock) as (app, runtime):
        with runtime.session_factory.begin() as session:
            for name, role in USERS.items():
                create_user(session, name, PASSWORD, role)
            create_lawyer(session, "律师甲", "8001")
            link_lawyer(session, "lawyer-8001", "8001")
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://hotline.test") as http:
            yield Client(http, await tokens_for(http, USERS, PASSWORD), clock, runtime.part(Monitor))


async def test_a_letter_reaches_the_duty_leader_and_the_lawyer_reads_it_without_its_writer(
    client: Client,
) -> None:
    bad = await client.http.put(
        "/api/v1/leaders/roster",
        json={"csv": "date,username\n2026-12-07,leader-chen\n2026-12-32,leader-chen\n"},
        headers=client.auth("supervisor-zhao"),
    )
    assert bad.status_code == 422 and bad.json()["error_id"] == "leader-roster-invalid"
    assert "line 3: '2026-12-32' is not a date" in bad.json()["message"]
    roster = await client.http.put(
        "/api/v1/leaders/roster",
        json={"csv": "日期,账号\n2026-12-07,leader-chen\n"},
        headers=client.auth("supervisor-zhao"),
    )
    assert roster.status_code == 200 and roster.json() == {"duties": 1, "days": ["2026-12-07"]}
    shown = await client.http.get("/api/v1/leaders/roster", headers=client.auth("admin-qian"))
    assert shown.json() == [{"day": "2026-12-07", "username": "leader-chen"}]

    letter = await client.http.post(
        "/api/v1/criticism",
        json={
            "channel": "letter",
            "text": "8001号律师解答时态度敷衍",
            "name": "李女士",
            "phone": "13905770123",
            "target": "lawyer",
            "target_name": "8001",
        },
        headers=client.auth("admin-qian"),
    )
    assert letter.status_code == 201, letter.text
    item = letter.json()
    assert (item["number"], item["channel_label"], item["assigned_to"]) == (
        "YJ-20261207-0001",
        "来信",
        "leader-chen",
    )
    assert (item["suggested_category"], item["entered_by"]) == ("attitude", "admin-qian")
    web = await client.http.post(
        "/api/v1/criticism", json={"channel": "web", "text": "x"}, headers=client.auth("admin-qian")
    )
    assert web.status_code == 422 and web.json()["error_id"] == "criticism-channel-invalid"

    mine = await client.http.get("/api/v1/criticism/mine", headers=client.auth("lawyer-8001"))
    assert mine.status_code == 200
    assert [m["number"] for m in mine.json()] == ["YJ-20261207-0001"]
    assert not {"name", "phone", "linkedid", "recording_id", "steps", "entered_by"} & set(mine.json()[0])
    others = await client.http.get("/api/v1/criticism", headers=client.auth("lawyer-8001"))
    assert others.status_code == 403

    # Not replied within five working days: the wallboard says so.
    client.clock.advance(timedelta(days=7, seconds=1))
    assert "有 1 条群众批评意见已超过答复期限" in " ".join((await client.monitor.board())["notices"])
