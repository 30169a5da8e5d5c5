"""Every integer the API reads or writes is bounded, and times are ISO 8601 only.

The OpenAPI document is walked whole: an integer parameter or property without a minimum and a
maximum fails the test (the shared types are in hotline/api_types.py). Oversized numbers in paths,
queries and bodies get a 422 with a stable id, never a 500; a number where a time is meant gets a
422 that says to give an ISO 8601 time.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from hotline.app import create_app
from hotline.auth.models import Role
from hotline.auth.service import create_user
from hotline.settings import AsteriskSettings, Settings
from tests.helpers import app_without_asterisk, tokens_for

PASSWORD = "bounds-password-123"
USERS = {role: f"{role.value}-bounds" for role in Role}
HUGE = "99999999999999999999999"
# FastAPI's own description of its 422 body: the list index in ``loc`` is the server's, not input.
FRAMEWORK_SCHEMAS = {"ValidationError", "HTTPValidationError"}


def _integers(node: Any, where: str) -> Iterator[tuple[str, dict[str, Any]]]:
    """Every integer schema under ``node``, with where it is."""
    if isinstance(node, dict):
        if node.get("type") == "integer":
            yield where, node
        for key, value in node.items():
            yield from _integers(value, f"{where}/{key}")
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _integers(value, f"{where}[{index}]")


def openapi_document() -> dict[str, Any]:
    settings = Settings(state_dir=Path("/nonexistent"), asterisk=AsteriskSettings(root=Path("/nonexistent")))
    app: FastAPI = create_app(settings, connect_ami=False)  # the document needs no lifespan
    return app.openapi()


def test_every_integer_in_the_openapi_document_has_a_minimum_and_a_maximum() -> None:
    document = openapi_document()
    scopes = {"paths": document["paths"]} | {
        f"components/schemas/{name}": schema
        for name, schema in document["components"]["schemas"].items()
        if name not in FRAMEWORK_SCHEMAS
    }
    unbounded = [
        where
        for scope, node in scopes.items()
        for where, schema in _integers(node, scope)
        if not (
            {"minimum", "exclusiveMinimum"} & set(schema) and {"maximum", "exclusiveMaximum"} & set(schema)
        )
    ]
    assert unbounded == [], "integers without bounds (use hotline/api_types.py):\n" + "\n".join(unbounded)
    found = list(_integers(document["paths"], "paths"))
    assert len(found) > 10  # the walk does see the parameters


def time_query_parameters(document: dict[str, Any]) -> set[tuple[str, str]]:
    """(path, parameter) of every query parameter that is a date or a time."""

    def formats(schema: dict[str, Any]) -> set[str]:
        return {s.get("format") for s in [schema, *schema.get("anyOf", [])]} - {None}

    return {
        (path, parameter["name"])
        for path, operations in document["paths"].items()
        for operation in operations.values()
        for parameter in operation.get("parameters", [])
        if parameter["in"] == "query" and formats(parameter["schema"]) & {"date", "date-time"}
    }


# Each time query parameter, with a role that may call the route, a valid time for it and the
# route's other required parameters.
TIME_PARAMETERS: dict[tuple[str, str], tuple[Role, str, dict[str, str]]] = {
    ("/api/v1/calls", "since"): (Role.supervisor, "2026-12-01T09:00:00+08:00", {}),
    ("/api/v1/roster", "from"): (Role.admin, "2026-12-01T00:00:00+08:00", {}),
    ("/api/v1/audit", "since"): (Role.admin, "2026-12-01T09:00:00Z", {}),
    ("/api/v1/tickets", "due_before"): (Role.supervisor, "2026-12-01T09:00:00+08:00", {}),
    ("/api/v1/stats", "from"): (Role.supervisor, "2026-11-01", {"until": "2026-12-01"}),
    ("/api/v1/stats", "until"): (Role.supervisor, "2026-12-01", {"from": "2026-11-01"}),
    ("/api/v1/criticism", "received_from"): (Role.leader, "2026-12-01T00:00:00+08:00", {}),
    ("/api/v1/criticism", "received_before"): (Role.leader, "2026-12-01T00:00:00+08:00", {}),
    ("/api/v1/leaders/roster", "start"): (Role.admin, "2026-12-01", {}),
}


def test_the_time_parameter_test_covers_every_time_query_parameter() -> None:
    assert time_query_parameters(openapi_document()) == set(TIME_PARAMETERS)


@dataclass
class Api:
    http: httpx.AsyncClient
    tokens: dict[str, str]

    def auth(self, role: Role) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[USERS[role]]}"}


@pytest.fixture(scope="module")
async def api(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Api]:
    async with app_without_asterisk(tmp_path_factory.mktemp("bounds")) as (app, runtime):
        with runtime.session_factory.begin() as session:
            for role, name in USERS.items():
                create_user(session, name, PASSWORD, role.value)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://hotline.test") as http:
            yield Api(http, await tokens_for(http, USERS.values(), PASSWORD))


def assert_invalid(response: httpx.Response, field: str) -> dict[str, Any]:
    assert response.status_code == 422, response.text
    body: dict[str, Any] = response.json()
    assert body["error_id"] == "request-invalid"
    assert field in body["message"]
    return body


@pytest.mark.parametrize(
    ("role", "method", "url", "body", "field"),
    [
        # The three requests of the finding, then one of each kind of place an integer goes.
        (Role.supervisor, "GET", f"/api/v1/recordings/{HUGE}", None, "recording_id"),
        (Role.supervisor, "GET", "/api/v1/calls?offset=159712123421064250236338176", None, "offset"),
        (Role.admin, "GET", "/api/v1/audit?recording_id=-3999999999999999999999", None, "recording_id"),
        (Role.supervisor, "GET", "/api/v1/calls?limit=1000000000000", None, "limit"),
        (Role.supervisor, "GET", f"/api/v1/tickets?offset={HUGE}", None, "offset"),
        (Role.supervisor, "POST", f"/api/v1/alerts/{HUGE}/acknowledge", None, "alert_id"),
        (Role.supervisor, "GET", f"/api/v1/reviews/{HUGE}", None, "review_id"),
        (Role.supervisor, "POST", f"/api/v1/handoffs/{HUGE}/retry", None, "message_id"),
        (
            Role.supervisor,
            "POST",
            "/api/v1/reviews",
            {"recording_id": int(HUGE), "reviewer": "x"},
            "recording_id",
        ),
        (
            Role.supervisor,
            "POST",
            "/api/v1/calibrations",
            {"recording_id": 2**31, "reviewers": ["a", "b"]},
            "recording_id",
        ),
        (Role.admin, "PUT", "/api/v1/queue-settings", {"ring_timeout": int(HUGE)}, "ring_timeout"),
    ],
    ids=lambda value: value if isinstance(value, str) and value.startswith("/") else None,
)
async def test_oversized_integers_are_refused_with_422_not_500(
    api: Api, role: Role, method: str, url: str, body: dict[str, Any] | None, field: str
) -> None:
    response = await api.http.request(method, url, json=body, headers=api.auth(role))
    assert_invalid(response, field)


async def test_the_largest_id_is_a_plain_not_found(api: Api) -> None:
    response = await api.http.get(f"/api/v1/recordings/{2**31 - 1}", headers=api.auth(Role.supervisor))
    assert response.status_code == 404 and response.json()["error_id"] == "recording-not-found"


@pytest.mark.parametrize("number", ["1700000000", "1700000000.5", "-5", "2026", "1e9"])
@pytest.mark.parametrize(("path", "name"), sorted(TIME_PARAMETERS))
async def test_a_number_is_not_taken_for_a_time(api: Api, path: str, name: str, number: str) -> None:
    role, good, others = TIME_PARAMETERS[(path, name)]
    refused = await api.http.get(path, params={**others, name: number}, headers=api.auth(role))
    body = assert_invalid(refused, name)
    assert "ISO 8601" in body["message"], body
    accepted = await api.http.get(path, params={**others, name: good}, headers=api.auth(role))
    assert accepted.status_code == 200, accepted.text


async def test_a_number_is_not_taken_for_the_sample_day(api: Api) -> None:
    response = await api.http.post(
        "/api/v1/quality/sample", json={"day": 20261201}, headers=api.auth(Role.supervisor)
    )
    body = assert_invalid(response, "day")
    assert "ISO 8601" in body["message"]
