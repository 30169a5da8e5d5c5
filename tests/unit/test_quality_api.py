"""Quality review over HTTP: assigning, drafting, submitting (then locked), sampling, calibration."""

from __future__ import annotations

from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from sqlalchemy import select, update

from hotline.auth.service import create_user
from hotline.calls.models import Call
from hotline.calls.service import CallStore
from hotline.calls.state import CallProgress
from hotline.kernel.compose import Runtime
from hotline.quality.models import Review
from hotline.recordings.models import Recording
from hotline.recordings.service import RecordingRegistry
from hotline.routing.service import create_lawyer
from hotline.staff.service import link_lawyer
from tests.helpers import app_without_asterisk, sealed_recording, tokens_for

PASSWORD = "quality-password-1"
USERS = {
    "reviewer-li": "reviewer",
    "reviewer-wang": "reviewer",
    "supervisor-zhang": "supervisor",
    "lawyer-chen": "lawyer",
}
# 2026-11-27 in Beijing: 25 calls of lawyer 8001 (two rated badly) and 3 of 8002.
DAY = "2026-11-27"
DAY_START = datetime(2026, 11, 26, 16, 0, tzinfo=UTC)  # 00:00 in Asia/Shanghai
ALL_PASS = {
    "greeting": 5,
    "courtesy": 10,
    "closing": 5,
    "understanding": 15,
    "accuracy": 25,
    "guidance": 15,
    "ticket": 15,
    "no_guarantee": 5,
    "privacy": 5,
}


@dataclass
class Client:
    http: httpx.AsyncClient
    runtime: Runtime
    tokens: dict[str, str]
    recordings: dict[str, int]  # linkedid -> recording id

    def auth(self, user: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[user]}"}

    async def put(self, user: str, review_id: int, **body: object) -> httpx.Response:
        return await self.http.put(f"/api/v1/reviews/{review_id}", json=body, headers=self.auth(user))

    def unreviewed(self) -> list[str]:
        """Calls nobody reviews yet (earlier tests' random samples took some)."""
        with self.runtime.session_factory() as session:
            taken = set(session.scalars(select(Review.linkedid)))
        return sorted(set(self.recordings) - taken)

    async def assign(self, linkedid: str, reviewer: str) -> int:
        response = await self.http.post(
            "/api/v1/reviews",
            json={"recording_id": self.recordings[linkedid], "reviewer": reviewer},
            headers=self.auth("supervisor-zhang"),
        )
        assert response.status_code == 200, response.text
        review_id: int = response.json()["id"]
        return review_id


def _calls() -> list[CallProgress]:
    calls = []
    for index in range(28):
        lawyer = "8001" if index < 25 else "8002"
        start = DAY_START + timedelta(hours=1, minutes=20 * index)
        calls.append(
            CallProgress(
                linkedid=f"1795800000.{index}",
                caller=f"1380000{index:04d}",
                started_at=start.timestamp(),
                answered_at=start.timestamp() + 10,
                ended_at=start.timestamp() + 200,
                lawyer=lawyer,
                talk_seconds=190,
                topic="labour",
                rating={3: 1, 11: 2, 12: 3}.get(index, 5),
            )
        )
    return calls


@pytest.fixture(scope="module")
async def client(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Client]:
    state = tmp_path_factory.mktemp("quality-api")
    async with app_without_asterisk(state) as (app, runtime):
        with runtime.session_factory.begin() as session:
            create_lawyer(session, "陈律师", "8001")
            create_lawyer(session, "周律师", "8002")
            for name, role in USERS.items():
                create_user(session, name, PASSWORD, role)
            link_lawyer(session, "lawyer-chen", "8001")
        calls = _calls()
        runtime.part(CallStore).write(calls)
        recordings = {}
        for call in calls:
            sealed_recording(runtime.part(RecordingRegistry), call.linkedid, seconds=0.5)
        with runtime.session_factory.begin() as session:
            for recording_id, linkedid in session.execute(select(Recording.id, Recording.linkedid)):
                recordings[linkedid] = recording_id
                session.execute(
                    update(Call).where(Call.linkedid == linkedid).values(recording_id=recording_id)
                )
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://hotline.test") as http:
            tokens = await tokens_for(http, USERS, PASSWORD)
            yield Client(http, runtime, tokens, recordings)


async def test_a_reviewer_drafts_then_submits_and_the_grade_is_locked(client: Client) -> None:
    review_id = await client.assign("1795800000.20", "reviewer-li")

    mine = (await client.http.get("/api/v1/reviews", headers=client.auth("reviewer-li"))).json()
    item = next(r for r in mine if r["id"] == review_id)
    assert (item["state"], item["reason"], item["lawyer"], item["lawyer_name"]) == (
        "assigned",
        "manual",
        "8001",
        "陈律师",
    )
    assert item["call"]["caller"] == "138****0020"  # masked for reviewers
    detail = (
        await client.http.get(f"/api/v1/reviews/{review_id}", headers=client.auth("reviewer-li"))
    ).json()
    assert [section["title"] for section in detail["scorecard"]["sections"]] == [
        "服务规范",
        "业务能力",
        "合规红线",
    ]

    draft = await client.put("reviewer-li", review_id, scores={"greeting": 5, "accuracy": 20}, comment="草稿")
    assert draft.status_code == 200, draft.text
    assert (draft.json()["state"], draft.json()["total"]) == ("assigned", 83.3)

    incomplete = await client.put("reviewer-li", review_id, scores={"greeting": 5}, submit=True)
    assert incomplete.status_code == 422
    assert incomplete.json()["error_id"] == "review-incomplete"
    assert "accuracy" in incomplete.json()["details"]["missing"]

    scores = {**ALL_PASS, "accuracy": 15, "closing": None}
    submitted = await client.put(
        "reviewer-li",
        review_id,
        scores=scores,
        comments={"accuracy": "时效说错"},
        comment="整体良好",
        submit=True,
    )
    assert submitted.status_code == 200, submitted.text
    body = submitted.json()
    assert body["state"] == "submitted" and body["submitted_at"] is not None
    assert body["total"] == round(100 * 85 / 95, 1) and body["comments"] == {"accuracy": "时效说错"}

    again = await client.put("reviewer-li", review_id, scores=ALL_PASS, submit=True)
    assert again.status_code == 409 and again.json()["error_id"] == "review-locked"
    supervisor = await client.put("supervisor-zhang", review_id, scores=ALL_PASS)
    assert supervisor.status_code == 403 and supervisor.json()["error_id"] == "review-not-yours"
    with client.runtime.session_factory() as session:
        stored = session.get(Review, review_id)
        assert stored is not None and stored.total == body["total"] and stored.scores["closing"] is None


async def test_a_failed_red_line_item_makes_the_review_zero(client: Client) -> None:
    review_id = await client.assign("1795800000.21", "reviewer-li")
    response = await client.put("reviewer-li", review_id, scores={**ALL_PASS, "privacy": 0}, submit=True)
    assert (response.json()["total"], response.json()["auto_failed"]) == (0.0, True)
    wrong = await client.assign("1795800000.22", "reviewer-li")
    refused = await client.put("reviewer-li", wrong, scores={"privacy": 3})
    assert refused.status_code == 422 and refused.json()["error_id"] == "review-scores-invalid"


async def test_reviewers_see_only_their_own_reviews(client: Client) -> None:
    review_id = await client.assign("1795800000.23", "reviewer-wang")
    listed = (await client.http.get("/api/v1/reviews", headers=client.auth("reviewer-li"))).json()
    assert review_id not in {r["id"] for r in listed}
    other = await client.http.get(f"/api/v1/reviews/{review_id}", headers=client.auth("reviewer-li"))
    assert other.status_code == 404
    supervisor = (await client.http.get("/api/v1/reviews", headers=client.auth("supervisor-zhang"))).json()
    mine = next(r for r in supervisor if r["id"] == review_id)
    assert mine["reviewer"] == "reviewer-wang" and mine["call"]["caller"] == "13800000023"
    lawyer = await client.http.post(
        "/api/v1/reviews",
        json={"recording_id": client.recordings["1795800000.24"], "reviewer": "lawyer-chen"},
        headers=client.auth("supervisor-zhang"),
    )
    assert lawyer.status_code == 422 and lawyer.json()["error_id"] == "reviewer-invalid"
    twice = await client.http.post(
        "/api/v1/reviews",
        json={"recording_id": client.recordings["1795800000.23"], "reviewer": "reviewer-wang"},
        headers=client.auth("supervisor-zhang"),
    )
    assert twice.status_code == 409 and twice.json()["error_id"] == "review-exists"


async def test_the_daily_sample_takes_five_percent_per_lawyer_and_every_bad_rating(client: Client) -> None:
    response = await client.http.post(
        "/api/v1/quality/sample", json={"day": DAY}, headers=client.auth("supervisor-zhang")
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["calls_per_lawyer"] == {"8001": 21, "8002": 3}  # the earlier tests' 4 are already reviewed
    assert body["skipped"] == 4
    reasons = Counter((r["lawyer"], r["reason"]) for r in body["assigned"])
    assert reasons == {("8001", "low-rating"): 2, ("8001", "sample"): 2, ("8002", "sample"): 1}
    low = {r["linkedid"] for r in body["assigned"] if r["reason"] == "low-rating"}
    assert low == {"1795800000.3", "1795800000.11"}
    assert {r["reviewer"] for r in body["assigned"]} <= {"reviewer-li", "reviewer-wang"}
    assert "reviews assigned" in body["message"]

    again = await client.http.post(
        "/api/v1/quality/sample", json={"day": DAY}, headers=client.auth("supervisor-zhang")
    )
    assert again.json()["skipped"] == 4 + 5
    assert all(r["reason"] == "sample" for r in again.json()["assigned"])  # no bad rating is sampled twice
    other_day = await client.http.post(
        "/api/v1/quality/sample", json={"day": "2026-11-20"}, headers=client.auth("supervisor-zhang")
    )
    assert other_day.json()["assigned"] == [] and other_day.json()["calls_per_lawyer"] == {}


async def test_calibration_reports_how_far_reviewers_are_apart(client: Client) -> None:
    response = await client.http.post(
        "/api/v1/calibrations",
        json={
            "recording_id": client.recordings[client.unreviewed()[0]],
            "reviewers": ["reviewer-li", "reviewer-wang"],
        },
        headers=client.auth("supervisor-zhang"),
    )
    assert response.status_code == 200, response.text
    group = response.json()["group"]
    assert response.json()["submitted"] == [] and response.json()["total_spread"] is None
    for reviewer, accuracy in (("reviewer-li", 25), ("reviewer-wang", 10)):
        reviews = (await client.http.get("/api/v1/reviews", headers=client.auth(reviewer))).json()
        [mine] = [r for r in reviews if r["calibration_group"] == group]
        assert mine["reason"] == "calibration"
        done = await client.put(reviewer, mine["id"], scores={**ALL_PASS, "accuracy": accuracy}, submit=True)
        assert done.status_code == 200
    report = (
        await client.http.get(f"/api/v1/calibrations/{group}", headers=client.auth("supervisor-zhang"))
    ).json()
    items = {item["key"]: item for item in report["items"]}
    assert items["accuracy"]["scores"] == {"reviewer-li": 25, "reviewer-wang": 10}
    assert (items["accuracy"]["spread"], items["accuracy"]["mean"]) == (15, 17.5)
    assert items["greeting"]["spread"] == 0
    assert (
        report["totals"] == {"reviewer-li": 100.0, "reviewer-wang": 85.0} and report["total_spread"] == 15.0
    )
    alone = await client.http.post(
        "/api/v1/calibrations",
        json={
            "recording_id": client.recordings[client.unreviewed()[0]],
            "reviewers": ["reviewer-li", "reviewer-li"],
        },
        headers=client.auth("supervisor-zhang"),
    )
    assert alone.status_code == 422 and alone.json()["error_id"] == "calibration-too-few"


async def test_a_new_scorecard_version_is_used_by_new_reviews_only(client: Client) -> None:
    first, second = client.unreviewed()[:2]
    before = await client.assign(first, "reviewer-wang")
    definition = {
        "sections": [{"title": "简版", "items": [{"key": "overall", "label": "总体", "points": 10}]}]
    }
    created = await client.http.post(
        "/api/v1/scorecards",
        json={"name": "简版评分表", "definition": definition},
        headers=client.auth("supervisor-zhang"),
    )
    assert created.status_code == 200, created.text
    assert (created.json()["version"], created.json()["active"]) == (1, True)
    after = await client.assign(second, "reviewer-wang")
    old = (await client.http.get(f"/api/v1/reviews/{before}", headers=client.auth("reviewer-wang"))).json()
    new = (await client.http.get(f"/api/v1/reviews/{after}", headers=client.auth("reviewer-wang"))).json()
    assert len(old["scorecard"]["sections"]) == 3 and new["scorecard"]["name"] == "简版评分表"
    cards = (await client.http.get("/api/v1/scorecards", headers=client.auth("reviewer-wang"))).json()
    assert [card["active"] for card in cards] == [True, False]
    bad = await client.http.post(
        "/api/v1/scorecards",
        json={"name": "坏的", "definition": {"sections": [{"title": "x", "items": []}]}},
        headers=client.auth("supervisor-zhang"),
    )
    assert bad.status_code == 422 and bad.json()["error_id"] == "scorecard-invalid"
