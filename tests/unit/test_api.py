"""The REST API on a temporary SQLite database, without AMI: sign-in, the permission matrix, call records."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select

from hotline.auth.models import Role, User
from hotline.auth.permissions import MATRIX, Permission
from hotline.auth.service import create_user, issue_token
from hotline.calls.service import CallRecorder, CallStore
from hotline.calls.state import CallProgress, Leg
from hotline.kernel.compose import Runtime
from hotline.metrics.token import issue_scrape_token, scrape_token_path
from hotline.quality import service as quality
from hotline.quality.models import ReviewReason
from hotline.recordings.service import RecordingRegistry
from hotline.routing.service import create_lawyer
from hotline.staff.service import link_lawyer
from tests.helpers import app_without_asterisk, eventually, sealed_recording

PASSWORD = {role: f"{role.value}-password-123" for role in Role}

# Every protected route with the permission it names.
ROUTES: list[tuple[str, str, Permission]] = [
    ("GET", "/api/v1/calls", Permission.read_calls),
    ("GET", "/api/v1/stats?from=2026-11-01&until=2026-12-01&by=day", Permission.read_stats),
    ("GET", "/api/v1/reports", Permission.view_reports),
    ("GET", "/api/v1/reports/monthly/2020-01.pdf", Permission.view_reports),
    ("POST", "/api/v1/reports/monthly/2020-02/generate", Permission.view_reports),
    ("POST", "/api/v1/reports/monthly/2020-01/submit", Permission.submit_reports),
    ("GET", "/api/v1/reports/criticism", Permission.view_criticism_report),
    ("GET", "/api/v1/reports/criticism/2020-01.pdf", Permission.view_criticism_report),
    ("POST", "/api/v1/reports/criticism/2020-02/generate", Permission.view_criticism_report),
    ("PUT", "/api/v1/reports/criticism/2020-03/measures", Permission.handle_criticism),
    ("POST", "/api/v1/reports/criticism/2020-01/submit", Permission.submit_reports),
    ("GET", "/api/v1/health", Permission.view_health),
    ("GET", "/metrics", Permission.view_metrics),
    ("POST", "/api/v1/lawyers/8001/login", Permission.manage_queue_membership),
    ("POST", "/api/v1/lawyers/8001/logout", Permission.manage_queue_membership),
    ("POST", "/api/v1/lawyers/8001/pause", Permission.manage_queue_membership),
    ("POST", "/api/v1/lawyers/8001/resume", Permission.manage_queue_membership),
    ("GET", "/api/v1/roster", Permission.view_roster),
    ("POST", "/api/v1/roster", Permission.manage_roster),
    ("GET", "/api/v1/wallboard", Permission.view_wallboard),
    ("GET", "/api/v1/wallboard/stream", Permission.view_wallboard),
    ("POST", "/api/v1/wallboard/lawyers/8001/listen", Permission.supervise_calls),
    ("GET", "/api/v1/desk", Permission.use_desk),
    ("GET", "/api/v1/desk/stream", Permission.use_desk),
    ("POST", "/api/v1/desk/pause", Permission.use_desk),
    ("POST", "/api/v1/desk/resume", Permission.use_desk),
    ("GET", "/api/v1/desk/phone", Permission.use_desk),
    ("PUT", "/api/v1/desk/phone", Permission.use_desk),
    ("POST", "/api/v1/desk/phone/credential", Permission.use_desk),
    ("POST", "/api/v1/desk/calls/1714539600.4/conference", Permission.use_desk),
    ("POST", "/api/v1/desk/calls/1714539600.4/transfer", Permission.use_desk),
    ("GET", "/api/v1/users", Permission.manage_users),
    ("POST", "/api/v1/users", Permission.manage_users),
    ("PATCH", "/api/v1/users/reviewer-user", Permission.manage_users),
    ("POST", "/api/v1/users/reviewer-user/phone", Permission.manage_users),
    ("GET", "/api/v1/lawyers", Permission.manage_lawyers),
    ("POST", "/api/v1/lawyers", Permission.manage_lawyers),
    ("POST", "/api/v1/lawyers/8001/sip-password", Permission.manage_lawyers),
    ("GET", "/api/v1/queue-settings", Permission.manage_lawyers),
    ("PUT", "/api/v1/queue-settings", Permission.manage_lawyers),
    ("GET", "/api/v1/recordings/1", Permission.listen_recordings),
    ("POST", "/api/v1/recordings/1/access", Permission.listen_recordings),
    ("GET", "/api/v1/recordings/1/audio/mix", Permission.listen_recordings),
    ("POST", "/api/v1/recordings/1/export", Permission.export_recordings),
    ("GET", "/api/v1/audit", Permission.read_audit_log),
    ("GET", "/api/v1/audit/verify", Permission.read_audit_log),
    ("GET", "/api/v1/recordings/1/transcript", Permission.listen_recordings),
    ("GET", "/api/v1/transcripts/search?q=工资", Permission.search_transcripts),
    ("GET", "/api/v1/transcription/jobs", Permission.view_transcription_jobs),
    ("GET", "/api/v1/alerts", Permission.handle_alerts),
    ("POST", "/api/v1/alerts/1/acknowledge", Permission.handle_alerts),
    ("GET", "/api/v1/reviews", Permission.review_calls),
    ("GET", "/api/v1/reviews/1", Permission.review_calls),
    ("PUT", "/api/v1/reviews/1", Permission.review_calls),
    ("POST", "/api/v1/reviews", Permission.manage_reviews),
    ("POST", "/api/v1/quality/sample", Permission.manage_reviews),
    ("POST", "/api/v1/calibrations", Permission.manage_reviews),
    ("GET", "/api/v1/calibrations/cal-1", Permission.manage_reviews),
    ("GET", "/api/v1/scorecards", Permission.review_calls),
    ("POST", "/api/v1/scorecards", Permission.manage_reviews),
    ("GET", "/api/v1/tickets", Permission.work_tickets),
    ("GET", "/api/v1/tickets/by-call/1714528800.1", Permission.work_tickets),
    ("GET", "/api/v1/tickets/12348-20000101-0001", Permission.work_tickets),
    ("PUT", "/api/v1/tickets/12348-20000101-0001", Permission.work_tickets),
    ("POST", "/api/v1/tickets/12348-20000101-0001/callback", Permission.work_tickets),
    ("GET", "/api/v1/handoffs", Permission.manage_tickets),
    ("POST", "/api/v1/handoffs/999/retry", Permission.manage_tickets),
    ("GET", "/api/v1/criticism", Permission.handle_criticism),
    ("GET", "/api/v1/criticism/mine", Permission.read_own_criticism),
    ("GET", "/api/v1/criticism/categories", Permission.handle_criticism),
    ("POST", "/api/v1/criticism", Permission.enter_criticism),
    ("GET", "/api/v1/criticism/YJ-20000101-0001", Permission.handle_criticism),
    ("POST", "/api/v1/criticism/YJ-20000101-0001/assign", Permission.handle_criticism),
    ("POST", "/api/v1/criticism/YJ-20000101-0001/category", Permission.handle_criticism),
    ("POST", "/api/v1/criticism/YJ-20000101-0001/handle", Permission.handle_criticism),
    ("POST", "/api/v1/criticism/YJ-20000101-0001/reply", Permission.handle_criticism),
    ("POST", "/api/v1/criticism/YJ-20000101-0001/close", Permission.handle_criticism),
    ("GET", "/api/v1/leaders/roster", Permission.manage_leader_roster),
    ("PUT", "/api/v1/leaders/roster", Permission.manage_leader_roster),
    ("GET", "/api/v1/assessment/2026-11", Permission.view_assessment),
    ("POST", "/api/v1/assessment/2026-11/publish", Permission.publish_assessment),
    ("GET", "/api/v1/assessment/mine/2026-11", Permission.read_own_assessment),
    ("GET", "/api/v1/reports/assessment/2026-11.xlsx", Permission.view_assessment),
]
ROUTE_IDS = [f"{method} {path}" for method, path, _ in ROUTES]

# 2024-05-01 10:00 in Beijing (02:00 UTC) and the three hours after it.
BASE = datetime(2024, 5, 1, 2, 0, tzinfo=UTC).timestamp()
CALLS = {
    "answered": CallProgress(
        linkedid="1714528800.1",
        caller="13800000001",
        started_at=BASE,
        queue="labour",
        language="mandarin",
        topic="labour",
        ivr_path="language=1 topic=1",
        queued_at=BASE + 5.25,
        answered_at=BASE + 20.5,
        lawyer="8001",
        ended_at=BASE + 200.75,
        wait_seconds=15,
        talk_seconds=180,
        rating=5,
        recording_file="2024/05/01/1714528800.1",
    ),
    "voicemail": CallProgress(
        linkedid="1714532400.2",
        caller="13800000002",
        started_at=BASE + 3600,
        queue="family-wenzhou",
        language="wenzhou",
        topic="family",
        ivr_path="language=2 topic=2",
        queued_at=BASE + 3605,
        ended_at=BASE + 3690,
        wait_seconds=60,
        voicemail_file="1714532400.2",
    ),
    "abandoned": CallProgress(
        linkedid="1714536000.3",
        caller="13800000001",
        started_at=BASE + 7200,
        queue="labour",
        language="mandarin",
        topic="labour",
        ivr_path="language=1 topic=1",
        queued_at=BASE + 7205,
        ended_at=BASE + 7230,
        wait_seconds=25,
    ),
    "ongoing": CallProgress(linkedid="1714539600.4", caller="13800000003", started_at=BASE + 10800),
}
CALL_KEYS = {
    "id",
    "linkedid",
    "caller",
    "started_at",
    "answered_at",
    "callback_queued_at",
    "ended_at",
    "queue",
    "media",
    "language",
    "topic",
    "ivr_path",
    "transferred_to",
    "direction",
    "lawyer",
    "wait_seconds",
    "talk_seconds",
    "outcome",
    "rating",
    "recording",
}


async def open_stream(app: FastAPI, path: str, headers: dict[str, str]) -> tuple[int, bytes]:
    """The status and first chunk of a never-ending response (an SSE stream), then disconnect."""
    status, chunks = 0, []
    received_body, disconnect = asyncio.Event(), asyncio.Event()
    requested = False

    async def receive() -> dict[str, object]:
        nonlocal requested
        if not requested:
            requested = True
            return {"type": "http.request", "body": b"", "more_body": False}
        await disconnect.wait()
        return {"type": "http.disconnect"}

    async def send(message: dict[str, object]) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = int(message["status"])  # type: ignore[call-overload]
        elif message.get("body"):
            chunks.append(bytes(message["body"]))  # type: ignore[call-overload]
            received_body.set()

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [(k.lower().encode(), v.encode()) for k, v in headers.items()],
        "client": ("127.0.0.1", 50000),
        "server": ("hotline.test", 80),
    }
    task = asyncio.create_task(app(scope, receive, send))  # type: ignore[arg-type]
    try:
        await asyncio.wait_for(received_body.wait(), timeout=10)
    finally:
        disconnect.set()
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
    return status, chunks[0]


@dataclass
class Api:
    app: FastAPI
    http: httpx.AsyncClient
    runtime: Runtime
    tokens: dict[Role, str]

    def auth(self, role: Role) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[role]}"}

    async def calls(self, **params: str) -> list[dict[str, object]]:
        response = await self.http.get("/api/v1/calls", params=params, headers=self.auth(Role.supervisor))
        assert response.status_code == 200, response.text
        items: list[dict[str, object]] = response.json()["items"]
        return items


@pytest.fixture(scope="module")
async def api(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Api]:
    """The app with one user per role, lawyer 8001 and four call records (the API only reads them)."""
    async with app_without_asterisk(tmp_path_factory.mktemp("api-state")) as (app, runtime):
        with runtime.session_factory.begin() as session:
            for role in Role:
                create_user(session, f"{role.value}-user", PASSWORD[role], role.value)
            create_lawyer(session, "律师甲", "8001")
            link_lawyer(session, "lawyer-user", "8001")
        runtime.part(CallStore).write(list(CALLS.values()))
        recording = sealed_recording(runtime.part(RecordingRegistry), CALLS["answered"].linkedid)
        with runtime.session_factory.begin() as session:  # the reviewer's call (need-to-know) ...
            review = quality.assign(
                session, recording.id, "reviewer-user", reason=ReviewReason.manual, assigned_by="supervisor"
            )
            review.id = 1000  # ... as review 1000: the matrix test expects no review 1
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://hotline.test") as http:
            tokens: dict[Role, str] = {}
            for role in Role:
                response = await http.post(
                    "/api/v1/auth/token", data={"username": f"{role.value}-user", "password": PASSWORD[role]}
                )
                assert response.status_code == 200, response.text
                tokens[role] = response.json()["access_token"]
            yield Api(app, http, runtime, tokens)


def at(seconds: float) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)


def parse_time(value: object) -> datetime | None:
    if value is None:
        return None
    assert isinstance(value, str)
    parsed = datetime.fromisoformat(value)
    assert parsed.utcoffset() == timedelta(0), f"{value} is not in UTC"
    return parsed


# --- signing in ---------------------------------------------------------------------------------


async def test_password_flow_issues_a_bearer_token(api: Api) -> None:
    response = await api.http.post(
        "/api/v1/auth/token", data={"username": "reviewer-user", "password": PASSWORD[Role.reviewer]}
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["token_type"] == "bearer" and body["role"] == "reviewer" and body["access_token"]

    calls = await api.http.get("/api/v1/calls", headers={"Authorization": f"Bearer {body['access_token']}"})
    assert calls.status_code == 200, calls.text


@pytest.mark.parametrize(
    ("username", "password"),
    [
        ("admin-user", "wrong-password-123"),
        ("nobody", "wrong-password-123"),
        ("admin-user", PASSWORD[Role.supervisor]),
    ],
    ids=["wrong-password", "unknown-user", "another-users-password"],
)
async def test_wrong_credentials_are_refused(api: Api, username: str, password: str) -> None:
    response = await api.http.post("/api/v1/auth/token", data={"username": username, "password": password})
    assert response.status_code == 401, response.text
    body = response.json()
    assert body["error_id"] == "auth-failed"
    # The same answer for an unknown user and a wrong password: no way to probe user names.
    assert body["message"] == "Wrong user name or password."
    assert "access_token" not in body


# Locks and throttling: tests/unit/test_sign_in_throttle.py (each with an app of its own, so that
# the failures there do not throttle this module's sign-ins).


# --- every route needs a valid token --------------------------------------------------------------


def bad_tokens(api: Api) -> dict[str, dict[str, str]]:
    class Stranger:
        id = 1
        username = "admin-user"
        role = "admin"

    forged = issue_token(Stranger(), "another-installations-key-" + "x" * 40, 60)  # type: ignore[arg-type]
    expired = issue_token(Stranger(), api.runtime.token_key, -1)  # type: ignore[arg-type]
    return {
        "no-token": {},
        "garbage-token": {"Authorization": "Bearer not-a-jwt"},
        "empty-bearer": {"Authorization": "Bearer "},
        "forged-token": {"Authorization": f"Bearer {forged}"},
        "expired-token": {"Authorization": f"Bearer {expired}"},
    }


@pytest.mark.parametrize(
    "kind", ["no-token", "garbage-token", "empty-bearer", "forged-token", "expired-token"]
)
@pytest.mark.parametrize(("method", "path", "permission"), ROUTES, ids=ROUTE_IDS)
async def test_routes_refuse_requests_without_a_valid_token(
    api: Api, kind: str, method: str, path: str, permission: Permission
) -> None:
    response = await api.http.request(method, path, headers=bad_tokens(api)[kind])
    assert response.status_code == 401, response.text
    # /metrics also takes the scrape token, and says so.
    assert response.json()["error_id"] == ("metrics-auth-failed" if path == "/metrics" else "auth-failed")
    assert response.headers["www-authenticate"] == "Bearer"


def test_every_protected_route_is_in_the_permission_test(api: Api) -> None:
    """A new route must be added to ROUTES (and so to the permission matrix test)."""
    covered = {
        (
            method,
            path.replace("8001", "{extension}")
            .replace("1714539600.4", "{linkedid}")
            .replace("reviewer-user", "{username}")
            .replace("/recordings/1", "/recordings/{recording_id}")
            .replace("/audio/mix", "/audio/{leg}")
            .replace("/alerts/1/", "/alerts/{alert_id}/")
            .replace("/reviews/1", "/reviews/{review_id}")
            .replace("/calibrations/cal-1", "/calibrations/{group}")
            .replace("/by-call/1714528800.1", "/by-call/{linkedid}")
            .replace("/tickets/12348-20000101-0001", "/tickets/{number}")
            .replace("/criticism/YJ-20000101-0001", "/criticism/{number}")
            .replace("/assessment/2026-11", "/assessment/{month}")
            .replace("/mine/2026-11", "/mine/{month}")
            .replace("/handoffs/999/", "/handoffs/{message_id}/")
            .replace("/monthly/2020-01.pdf", "/monthly/{name}")
            .replace("/monthly/2020-02/", "/monthly/{month}/")
            .replace("/monthly/2020-01/", "/monthly/{month}/")
            .replace("/criticism/2020-01.pdf", "/criticism/{name}")
            .replace("/criticism/2020-01/", "/criticism/{month}/")
            .replace("/criticism/2020-02/", "/criticism/{month}/")
            .replace("/criticism/2020-03/", "/criticism/{month}/")
            .split("?")[0],
        )
        for method, path, _ in ROUTES
    }
    present = {
        (method.upper(), path)
        for path, operations in api.app.openapi()["paths"].items()
        if path != "/api/v1/auth/token"
        for method in operations
    }
    assert present == covered


# --- the permission matrix ------------------------------------------------------------------------


@pytest.mark.parametrize("role", list(Role), ids=[role.value for role in Role])
@pytest.mark.parametrize(("method", "path", "permission"), ROUTES, ids=ROUTE_IDS)
async def test_permission_matrix(
    api: Api, role: Role, method: str, path: str, permission: Permission
) -> None:
    if path.endswith("/stream") and role in MATRIX[permission]:
        status, first = await open_stream(api.app, path, api.auth(role))
        assert status == 200 and first.startswith(b"data: {"), first
        return
    response = await api.http.request(method, path, headers=api.auth(role))
    if path == "/metrics" and role in MATRIX[permission]:
        assert response.status_code == 200, response.text
        assert response.text.startswith("# HELP hotline_"), response.text[:200]
        return
    if path.endswith(".xlsx") and role in MATRIX[permission] and response.status_code == 200:
        assert response.headers["content-type"].startswith("application/vnd.openxmlformats")
        return
    body = response.json()
    if role not in MATRIX[permission]:
        assert response.status_code == 403, response.text
        assert body["error_id"] == "forbidden"
        assert body["details"] == {"permission": permission.value}
        assert role.value in body["message"]
        return
    audio = "/audio/" in path or path.endswith("/transcript")  # a grant is asked first (below)
    if (
        role == Role.leader
        and path.startswith("/api/v1/recordings/")
        and response.status_code != 422
        and not audio
    ):
        # A leader may listen, but only to criticism left by phone and the calls it is about
        # (need-to-know): this call is neither.
        assert response.status_code == 403 and body["error_id"] == "recording-not-assigned", response.text
        return
    assert response.status_code not in (401, 403) or "/audio/" in path or path.endswith("/transcript"), (
        response.text
    )
    if path.endswith(("/login", "/logout")):
        # Allowed; this app has no AMI connection: saved, to be applied when Asterisk is reached.
        assert response.status_code == 200, response.text
        assert body["applied"] is False
    elif (
        path.endswith(
            ("/acknowledge", "/reviews/1", "/calibrations/cal-1", "-0001", "/retry", ".pdf", "/submit")
        )
        and method != "PUT"
    ):
        assert response.status_code == 404, response.text  # allowed, but there is no such thing
        assert body["error_id"].endswith("-not-found")
    elif path.endswith("/phone/credential"):
        assert response.status_code == 409, response.text  # allowed, but the lawyer has a softphone
        assert body["error_id"] == "webphone-not-chosen"
    elif method in ("POST", "PUT", "PATCH") and not path.endswith(
        ("/resume", "/sip-password", "/callback", "/generate", "/publish")
    ):
        assert response.status_code == 422, response.text  # allowed, but no body was sent
    elif "/audio/" in path or path.endswith("/transcript"):
        assert response.status_code == 403, response.text  # allowed, but no grant was asked for
        assert body["error_id"] == "recording-grant-invalid"
    elif path.endswith(("/resume", "/callback")):
        assert response.status_code == 503, response.text  # allowed, but Asterisk is not connected
        assert body["error_id"] == "ami-unavailable"
    elif path.endswith("/sip-password"):
        assert response.status_code == 200, response.text
        assert len(body["sip_password"]) >= 20 and body["sip_user"] == "8001"
        assert "cannot" in body["note"] or "not yet" in body["note"]  # no Asterisk here to apply it
    else:
        assert response.status_code == 200, response.text


def test_matrix_gives_lawyers_no_access_to_call_records() -> None:
    assert Role.lawyer not in MATRIX[Permission.read_calls]
    assert MATRIX[Permission.view_health] == frozenset(Role)
    assert MATRIX[Permission.view_metrics] == frozenset({Role.admin, Role.supervisor})


# --- /metrics and its scrape token ----------------------------------------------------------------


async def test_prometheus_scrapes_with_the_scrape_token_and_sees_the_calls(api: Api) -> None:
    path = scrape_token_path(api.runtime.settings)
    path.unlink(missing_ok=True)
    refused = await api.http.get("/metrics", headers={"Authorization": "Bearer a-guessed-token"})
    token = issue_scrape_token(path)
    wrong = await api.http.get("/metrics", headers={"Authorization": "Bearer a-guessed-token"})
    # The same answer with a scrape token made or none: a wrong token tells nothing.
    assert (refused.status_code, wrong.status_code) == (401, 401)
    assert refused.json() == wrong.json() and wrong.json()["error_id"] == "metrics-auth-failed"
    assert wrong.headers["www-authenticate"] == "Bearer"

    response = await api.http.get("/metrics", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain")
    # The module's three ended calls, counted as the fixture wrote their records.
    assert 'hotline_calls_total{outcome="answered",queue="labour"} 1.0' in response.text
    assert 'hotline_calls_total{outcome="voicemail",queue="family-wenzhou"} 1.0' in response.text
    assert "hotline_event_to_record_seconds_count 3.0" in response.text
    assert "hotline_ami_connected 0.0" in response.text  # this app has no AMI connection
    # 8001 is an active lawyer with no queue membership here.
    assert 'hotline_lawyers{state="logged_out"} 1.0' in response.text

    newer = issue_scrape_token(path)  # rotated: the old token stops working at once
    old = await api.http.get("/metrics", headers={"Authorization": f"Bearer {token}"})
    assert old.status_code == 401 and old.json() == wrong.json()
    assert (await api.http.get("/metrics", headers={"Authorization": f"Bearer {newer}"})).status_code == 200


# --- call records ---------------------------------------------------------------------------------


async def test_calls_are_listed_newest_first(api: Api) -> None:
    items = await api.calls()
    assert [item["linkedid"] for item in items] == [
        CALLS[name].linkedid for name in ("ongoing", "abandoned", "voicemail", "answered")
    ]
    assert [item["outcome"] for item in items] == [None, "abandoned", "voicemail", "answered"]
    assert len({item["id"] for item in items}) == 4


async def test_call_items_carry_every_field(api: Api) -> None:
    items = {item["linkedid"]: item for item in await api.calls()}
    for item in items.values():
        assert set(item) == CALL_KEYS

    answered = items[CALLS["answered"].linkedid]
    assert answered["caller"] == "13800000001"
    assert parse_time(answered["started_at"]) == at(BASE)
    assert parse_time(answered["answered_at"]) == at(BASE + 20.5)
    assert parse_time(answered["ended_at"]) == at(BASE + 200.75)
    assert (answered["queue"], answered["lawyer"]) == ("labour", "8001")
    assert (answered["wait_seconds"], answered["talk_seconds"]) == (15, 180)
    assert (answered["outcome"], answered["rating"]) == ("answered", 5)
    assert answered["recording"] is None  # no file registered yet

    ongoing = items[CALLS["ongoing"].linkedid]
    assert ongoing["ended_at"] is None and ongoing["outcome"] is None and ongoing["answered_at"] is None


async def test_calls_filter_by_caller(api: Api) -> None:
    items = await api.calls(caller="13800000001")
    assert [item["linkedid"] for item in items] == [CALLS["abandoned"].linkedid, CALLS["answered"].linkedid]
    assert await api.calls(caller="13999999999") == []


async def test_calls_filter_by_topic_and_carry_the_route(api: Api) -> None:
    items = await api.calls(topic="labour")
    assert [item["linkedid"] for item in items] == [CALLS["abandoned"].linkedid, CALLS["answered"].linkedid]
    (family,) = await api.calls(topic="family")
    assert (family["queue"], family["language"], family["ivr_path"]) == (
        "family-wenzhou",
        "wenzhou",
        "language=2 topic=2",
    )
    assert await api.calls(topic="traffic") == []


@pytest.mark.parametrize(
    "since",
    [
        at(BASE + 3600).isoformat(),  # UTC with an offset: 2024-05-01T03:00:00+00:00
        at(BASE + 3600).astimezone(timezone(timedelta(hours=8))).isoformat(),  # Beijing time
        at(BASE + 3600).replace(tzinfo=None).isoformat(),  # no zone: taken as UTC
        "2024-05-01T03:00:00Z",
    ],
    ids=["utc", "beijing", "naive", "zulu"],
)
async def test_calls_filter_since(api: Api, since: str) -> None:
    items = await api.calls(since=since)
    # Inclusive: the voicemail call started exactly at `since`.
    assert [item["linkedid"] for item in items] == [
        CALLS[name].linkedid for name in ("ongoing", "abandoned", "voicemail")
    ]


async def test_calls_filters_combine(api: Api) -> None:
    items = await api.calls(caller="13800000001", since=at(BASE + 1).isoformat())
    assert [item["linkedid"] for item in items] == [CALLS["abandoned"].linkedid]


async def test_calls_reject_a_malformed_since(api: Api) -> None:
    response = await api.http.get(
        "/api/v1/calls", params={"since": "last tuesday"}, headers=api.auth(Role.admin)
    )
    assert response.status_code == 422


# --- health ---------------------------------------------------------------------------------------


async def test_health_without_ami(api: Api) -> None:
    response = await api.http.get("/api/v1/health", headers=api.auth(Role.lawyer))
    assert response.status_code == 200, response.text
    health = response.json()
    assert health["ami_connected"] is False
    assert health["database_reachable"] is True and health["database_error"] is None
    assert health["ok"] is False  # not connected to Asterisk
    # The back-office jobs (recordings) run without Asterisk; no roster is applied.
    assert health["scheduler_running"] is True and health["roster_on_duty"] == []
    # No speech model configured: the sealed recording's two legs wait in the queue.
    assert health["transcription_model"] is None

    async def queued() -> bool:
        response = await api.http.get("/api/v1/health", headers=api.auth(Role.lawyer))
        return response.json()["transcription_jobs"] == {"queued": 2}

    await eventually(queued, timeout=10, what="both legs queued for transcription")


async def test_health_names_the_years_without_a_holiday_file(api: Api) -> None:
    health = (await api.http.get("/api/v1/health", headers=api.auth(Role.lawyer))).json()
    assert isinstance(health["calendar_missing_years"], list)
    years = health["calendar_missing_years"]
    assert all(year != 2026 for year in years)  # the shipped calendar has 2026


# --- the roster ------------------------------------------------------------------------------------


async def test_a_roster_import_is_saved_even_when_asterisk_is_away(api: Api) -> None:
    lawyers = "姓名,律所,分机,技能,地区,方言\n陈海燕,浙江瓯越律师事务所,8101,劳动争议:5,鹿城区,温州话\n"
    shifts = "分机,日期,开始,结束\n8101,2026-12-01,08:30,12:00\n"
    files = [("files", ("lawyers.csv", lawyers.encode())), ("files", ("shifts.csv", shifts.encode()))]
    response = await api.http.post("/api/v1/roster", files=files, headers=api.auth(Role.admin))
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["lawyers_added"] == ["8101"] and body["shifts_added"] == 1 and body["applied"] is False
    assert len(body["sip_passwords"]["8101"]) >= 12
    assert "hotline asterisk provision" in body["note"]  # no Asterisk root here: endpoints not rendered
    start = "2026-12-01T00:00:00+08:00"
    roster = await api.http.get(
        "/api/v1/roster", params={"from": start, "days": "1"}, headers=api.auth(Role.admin)
    )
    (shift,) = roster.json()["shifts"]
    assert (shift["extension"], shift["name"], shift["source"]) == ("8101", "陈海燕", "roster")
    assert shift["starts_at"].startswith("2026-12-01T00:30:00")  # 08:30 in Wenzhou is 00:30 UTC


async def test_an_oversized_roster_file_is_refused_plainly(api: Api) -> None:
    files = [("files", ("lawyers.csv", b"x" * 5_000_001))]
    response = await api.http.post("/api/v1/roster", files=files, headers=api.auth(Role.admin))
    assert response.status_code == 413
    assert response.json()["error_id"] == "roster-too-large"
    # The limit is on the import: two files of 3 MB are too much together.
    files = [("files", ("lawyers.csv", b"x" * 3_000_000)), ("files", ("shifts.csv", b"x" * 3_000_000))]
    response = await api.http.post("/api/v1/roster", files=files, headers=api.auth(Role.admin))
    assert response.status_code == 413 and "HOTLINE_ROSTER__MAX_BYTES" in response.json()["message"]


async def test_a_roster_of_too_many_rows_or_problems_gets_a_short_answer(api: Api) -> None:
    from tests.unit.test_roster_file import BAD_SHIFT, SHIFT_HEADER, repeated_rows_xlsx

    files = [("files", ("shifts.xlsx", repeated_rows_xlsx(SHIFT_HEADER, BAD_SHIFT, 200_000)))]
    response = await api.http.post("/api/v1/roster", files=files, headers=api.auth(Role.admin))
    assert response.status_code == 413, response.text
    assert response.json()["error_id"] == "roster-too-large" and len(response.content) < 1_000

    # Two problems a row: an extension that is none, an end that is no time.
    shifts = "extension,date,start,end\n" + "81x1,2026-12-01,09:00,25:00\n" * 500
    files = [("files", ("shifts.csv", shifts.encode()))]
    response = await api.http.post("/api/v1/roster", files=files, headers=api.auth(Role.admin))
    assert response.status_code == 422, response.text
    body = response.json()
    assert body["error_id"] == "roster-invalid" and len(body["details"]["problems"]) == 100
    assert (body["details"]["total"], body["details"]["omitted"]) == (1_000, 900)
    assert "and 900 more" in body["message"] and len(response.content) < 60_000


# --- the consoles' routes act on one's own phone and calls only -----------------------------------


async def test_a_lawyer_cannot_act_on_another_lawyers_call(api: Api) -> None:
    """8001's account asks to conference or transfer a call that is connected to 8002."""
    before = api.runtime.part(CallRecorder).state
    leg = Leg("PJSIP/8002-00000001", "8002", "1714539600.4", "labour", BASE)
    api.runtime.part(CallRecorder).state = before._replace(legs=before.legs.set(leg.channel, leg))
    try:
        for action, body in (("conference", {"target": "legal-aid"}), ("transfer", {"target": "gov-12345"})):
            response = await api.http.post(
                f"/api/v1/desk/calls/1714539600.4/{action}", json=body, headers=api.auth(Role.lawyer)
            )
            assert response.status_code == 403, response.text
            assert response.json()["error_id"] == "call-not-yours"
    finally:
        api.runtime.part(CallRecorder).state = before


async def test_a_lawyer_account_without_a_linked_extension_is_told_to_ask_an_admin(api: Api) -> None:
    with api.runtime.session_factory.begin() as session:
        create_user(session, "unlinked-lawyer", "unlinked-password", "lawyer")
    token = await api.http.post(
        "/api/v1/auth/token", data={"username": "unlinked-lawyer", "password": "unlinked-password"}
    )
    headers = {"Authorization": f"Bearer {token.json()['access_token']}"}
    response = await api.http.get("/api/v1/desk", headers=headers)
    assert response.status_code == 409 and response.json()["error_id"] == "desk-no-lawyer"


async def test_listening_in_needs_the_supervisors_own_phone(api: Api) -> None:
    response = await api.http.post(
        "/api/v1/wallboard/lawyers/8001/listen", json={"mode": "listen"}, headers=api.auth(Role.supervisor)
    )
    assert response.status_code == 409, response.text
    assert response.json()["error_id"] == "supervisor-phone-missing"


async def test_a_deactivated_account_loses_access_at_once(api: Api) -> None:
    with api.runtime.session_factory.begin() as session:
        create_user(session, "leaving", "leaving-password", "supervisor")
    token = await api.http.post(
        "/api/v1/auth/token", data={"username": "leaving", "password": "leaving-password"}
    )
    headers = {"Authorization": f"Bearer {token.json()['access_token']}"}
    assert (await api.http.get("/api/v1/wallboard", headers=headers)).status_code == 200
    with api.runtime.session_factory.begin() as session:
        session.scalars(select(User).where(User.username == "leaving")).one().active = False
    refused = await api.http.get("/api/v1/wallboard", headers=headers)
    assert refused.status_code == 401 and refused.json()["error_id"] == "auth-failed"


async def test_the_wallboard_counts_todays_calls_per_queue(api: Api) -> None:
    board = (await api.http.get("/api/v1/wallboard", headers=api.auth(Role.supervisor))).json()
    labels = {row["queue"]: row["label"] for row in board["queues"]}
    assert labels["labour"] == "劳动争议 / 普通话" and labels["family-wenzhou"] == "婚姻家庭 / 温州话"
    lawyers = {row["extension"]: row for row in board["lawyers"]}
    assert lawyers["8001"]["name"] == "律师甲" and lawyers["8001"]["state"] == "logged_out"


# --- admin: users, lawyers, queue settings ---------------------------------------------------------


async def test_an_admin_creates_a_lawyer_account_with_a_generated_password(api: Api) -> None:
    admin = api.auth(Role.admin)
    created = await api.http.post(
        "/api/v1/users",
        json={"username": "wang-lawyer", "role": "lawyer", "lawyer_extension": "8002"},
        headers=admin,
    )
    assert (
        created.status_code == 422 and created.json()["error_id"] == "link-lawyer-not-found"
    )  # nothing saved
    lawyer = await api.http.post(
        "/api/v1/lawyers", json={"name": "王律师", "extension": "8002"}, headers=admin
    )
    assert lawyer.status_code == 201, lawyer.text
    assert lawyer.json()["sip_user"] == "8002" and len(lawyer.json()["sip_password"]) >= 20
    created = await api.http.post(
        "/api/v1/users",
        json={"username": "wang-lawyer", "role": "lawyer", "lawyer_extension": "8002"},
        headers=admin,
    )
    assert created.status_code == 201, created.text
    password = created.json()["password"]
    assert password and len(password) >= 16
    token = await api.http.post("/api/v1/auth/token", data={"username": "wang-lawyer", "password": password})
    desk = await api.http.get(
        "/api/v1/desk", headers={"Authorization": f"Bearer {token.json()['access_token']}"}
    )
    assert desk.status_code == 200 and desk.json()["me"]["extension"] == "8002"
    users = {u["username"]: u for u in (await api.http.get("/api/v1/users", headers=admin)).json()}
    assert users["wang-lawyer"]["lawyer_extension"] == "8002" and users["wang-lawyer"]["active"]


async def test_an_admin_cannot_lock_themselves_out(api: Api) -> None:
    response = await api.http.patch(
        "/api/v1/users/admin-user", json={"active": False}, headers=api.auth(Role.admin)
    )
    assert response.status_code == 422 and response.json()["error_id"] == "user-self-lockout"


async def test_queue_settings_are_checked_all_or_nothing(api: Api) -> None:
    admin = api.auth(Role.admin)
    bad = await api.http.put(
        "/api/v1/queue-settings",
        json={"ring_timeout": 20, "wrapup_seconds": 9999, "colour": 1},
        headers=admin,
    )
    assert bad.status_code == 422, bad.text
    problems = bad.json()["details"]["problems"]
    assert any("wrapup_seconds: 9999" in p for p in problems) and any("colour" in p for p in problems)
    current = {
        s["name"]: s for s in (await api.http.get("/api/v1/queue-settings", headers=admin)).json()["settings"]
    }
    assert current["ring_timeout"]["value"] == current["ring_timeout"]["default"] == 15  # nothing saved
    good = await api.http.put("/api/v1/queue-settings", json={"ring_timeout": 20}, headers=admin)
    assert good.status_code == 200, good.text
    saved = {s["name"]: s["value"] for s in good.json()["settings"]}
    assert saved["ring_timeout"] == 20 and good.json()["note"]  # saved; no Asterisk here to apply it
