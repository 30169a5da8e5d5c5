"""GET /api/v1/stats over the hand-counted month: grouping, CSV, who sees what, and bad input."""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator
from dataclasses import dataclass

import httpx
import pytest

from hotline.auth.service import create_user
from hotline.staff.service import link_lawyer
from tests import stats_month
from tests.helpers import app_without_asterisk, tokens_for
from tests.stats_month import AS_OF, NOVEMBER

PASSWORD = "stats-password-1"
USERS = {
    "supervisor-zhang": "supervisor",
    "admin-wu": "admin",
    "lawyer-wang": "lawyer",
    "lawyer-unlinked": "lawyer",
    "reviewer-li": "reviewer",
}
NOV = {"from": "2026-11-01", "until": "2026-12-01"}


@dataclass
class Client:
    http: httpx.AsyncClient
    tokens: dict[str, str]

    async def get(self, user: str, **params: str) -> httpx.Response:
        return await self.http.get(
            "/api/v1/stats", params=params, headers={"Authorization": f"Bearer {self.tokens[user]}"}
        )


@pytest.fixture(scope="module")
async def client(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Client]:
    async with app_without_asterisk(tmp_path_factory.mktemp("stats-api"), clock=lambda: AS_OF) as (
        app,
        runtime,
    ):
        with runtime.session_factory.begin() as session:
            stats_month.fill(session)
            for name, role in USERS.items():
                create_user(session, name, PASSWORD, role)
            link_lawyer(session, "lawyer-wang", "8001")
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://hotline.test") as http:
            yield Client(http, await tokens_for(http, USERS, PASSWORD))


async def test_a_supervisor_reads_the_month_by_day(client: Client) -> None:
    response = await client.get("supervisor-zhang", **NOV, by="day")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["timezone"] == "Asia/Shanghai" and body["by"] == ["day"] and body["lawyer"] is None
    assert {key: body["total"][key] for key in ("answered", "service_level", "wait_p90", "on_time_rate")} == {
        "answered": NOVEMBER["answered"],
        "service_level": NOVEMBER["service_level"],
        "wait_p90": NOVEMBER["wait_p90"],
        "on_time_rate": NOVEMBER["on_time_rate"],
    }
    days = {row["day"]: row for row in body["rows"]}
    assert days["2026-11-02"]["offered"] == 4 and days["2026-11-30"]["answered"] == 1
    assert body["thresholds"]["service_level_seconds"] == 20


async def test_two_dimensions_and_their_labels(client: Client) -> None:
    body = (await client.get("admin-wu", **NOV, by="topic,lawyer")).json()
    rows = {(row["topic"], row["lawyer"]): row for row in body["rows"]}
    assert rows[("labour", "8001")]["answered"] == 2
    assert rows[("family", "8002")]["satisfaction_rate"] == 1.0
    assert body["labels"]["topic"]["labour"] == "劳动争议"
    assert body["labels"]["lawyer"] == {"8001": "王律师", "8002": "李律师"}


async def test_a_lawyer_reads_only_their_own_figures(client: Client) -> None:
    body = (await client.get("lawyer-wang", **NOV, by="lawyer")).json()
    assert body["lawyer"] == "8001"
    assert [row["lawyer"] for row in body["rows"]] == ["8001"]
    assert (body["total"]["answered"], body["total"]["talk_hours"]) == (2, 0.25)
    unlinked = await client.get("lawyer-unlinked", **NOV)
    assert unlinked.status_code == 403 and unlinked.json()["error_id"] == "stats-not-linked"


async def test_reviewers_read_no_figures(client: Client) -> None:
    response = await client.get("reviewer-li", **NOV)
    assert response.status_code == 403 and response.json()["details"] == {"permission": "read_stats"}


async def test_csv_has_a_column_per_kpi_and_the_labels(client: Client) -> None:
    response = await client.http.get(
        "/api/v1/stats",
        params={**NOV, "by": "topic"},
        headers={"Authorization": f"Bearer {client.tokens['supervisor-zhang']}", "Accept": "text/csv"},
    )
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/csv")
    assert "stats-2026-11-01-2026-12-01-topic.csv" in response.headers["content-disposition"]
    text = response.content.decode("utf-8")
    assert text.startswith("\ufeff")
    rows = list(csv.DictReader(io.StringIO(text.removeprefix("\ufeff"))))
    labour = next(row for row in rows if row["topic"] == "labour")
    assert labour["topic_label"] == "劳动争议" and labour["offered"] == "5" and labour["answered"] == "3"
    assert "satisfaction_rate" in labour and "wait_p90" in labour


@pytest.mark.parametrize(
    ("params", "error_id", "says"),
    [
        ({"from": "2026-12-01", "until": "2026-11-01"}, "stats-range-invalid", "is not before"),
        ({"from": "2026-11-01", "until": "2026-11-01"}, "stats-range-invalid", "is not before"),
        ({"from": "2025-01-01", "until": "2026-12-01"}, "stats-range-invalid", "at most 400 days"),
        ({**NOV, "by": "caller"}, "stats-by-invalid", "'caller'"),
        ({**NOV, "by": "day,topic,lawyer"}, "stats-by-invalid", "at most 2"),
        ({**NOV, "by": "day,day"}, "stats-by-invalid", "different"),
        ({"from": "2026-11-31", "until": "2026-12-01"}, "request-invalid", "from"),
        ({"until": "2026-12-01"}, "request-invalid", "from"),
    ],
)
async def test_bad_input_is_a_422_that_names_the_problem(
    client: Client, params: dict[str, str], error_id: str, says: str
) -> None:
    response = await client.get("supervisor-zhang", **params)
    assert response.status_code == 422, response.text
    body = response.json()
    assert body["error_id"] == error_id
    assert says in response.text
    assert body["message_zh"]
