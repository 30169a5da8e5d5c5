"""The security suite's API pass: every operation of the OpenAPI document fuzzed with schemathesis,
as each role (admin, supervisor, lawyer, reviewer), in process against the ASGI app on a migrated
SQLite database (no Asterisk: routes that need it answer 503 ``ami-unavailable``, which is allowed).

Asserted for every request: no 5xx (that 503 aside) and the response matches what the document
says (status-specific schema and media type). Bounded for CI: ``MAX_EXAMPLES`` requests per
operation, valid and invalid ones, each sent as every role; derandomized (the same requests on
every run), no shrinking. The only requests left out are those that would destroy the test's own accounts
(changing the signed-in users: deactivating them, changing their role).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import hypothesis
import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.python import asgi
from schemathesis.specs.openapi.checks import content_type_conformance, response_schema_conformance

from hotline.app import create_app
from hotline.asterisk.layout import spool_dir
from hotline.auth.models import Role
from hotline.auth.service import create_user
from hotline.calls.service import CallStore
from hotline.calls.state import CallProgress
from hotline.db.base import utcnow
from hotline.db.migrate import upgrade
from hotline.quality import service as quality
from hotline.quality.models import ReviewReason
from hotline.recordings.service import RecordingRegistry
from hotline.routing.service import create_lawyer
from hotline.settings import AsteriskSettings, Settings
from hotline.staff.service import link_lawyer
from hotline.transcription.models import KeywordAlert
from tests.helpers import offline, sealed_recording

# Generated requests per operation (valid and invalid ones), each sent as every role:
# 58 operations x 16 x 4 roles ~ 3,700 requests.
MAX_EXAMPLES = 16
PASSWORD = "fuzz-password-2026"
ACCOUNTS = {role: f"fuzz-{role.value}" for role in Role}
# Without Asterisk these routes answer 503 on purpose (the controller is not connected).
EXPECTED_UNAVAILABLE = {"ami-unavailable"}
# Path parameters naming things that exist (seeded below), so that a share of the requests gets
# past "not found" into the routes' work; the rest are generated.
KNOWN = {
    "recording_id": 1,
    "review_id": 1,
    "alert_id": 1,
    "message_id": 1,
    "leg": "mix",
    "extension": "8001",
    "linkedid": "1714528800.1",
    "username": "fuzz-spare",
}


def _operations() -> list[tuple[str, str]]:
    """(method, path) of every operation, from the document (built without starting the app)."""
    settings = Settings(state_dir=Path("/nonexistent"), asterisk=AsteriskSettings(root=Path("/nonexistent")))
    paths = create_app(settings, connect_ami=False).openapi()["paths"]
    return sorted((method.upper(), path) for path, operations in paths.items() for method in operations)


OPERATIONS = _operations()


@dataclass
class Site:
    schema: schemathesis.BaseSchema
    tokens: dict[Role, str]


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    state = tmp_path_factory.mktemp("fuzz")
    settings = Settings(state_dir=state, asterisk=AsteriskSettings(root=state / "asterisk-root"))
    _seed(settings)
    app = create_app(settings, connect_ami=False, daily_jobs=False)
    # A stream (the live pages' Server-Sent Events) is judged by its first event.
    config = schemathesis.Config.from_dict({"max-stream-events": 1})
    schema = schemathesis.openapi.from_asgi("/openapi.json", app, config=config)
    with asgi.get_client(app) as client:  # starts the app's lifespan, as the fuzzing requests use it
        tokens = {}
        for role, username in ACCOUNTS.items():
            response = client.post("/api/v1/auth/token", data={"username": username, "password": PASSWORD})
            assert response.status_code == 200, response.text
            tokens[role] = response.json()["access_token"]
    try:
        yield Site(schema, tokens)
    finally:
        asgi.shutdown_lifespans()


def _seed(settings: Settings) -> None:
    """One account per role, a lawyer, calls, and a sealed recording under review by the reviewer."""
    runtime = offline(settings)
    upgrade(runtime.engine)
    with runtime.session_factory.begin() as session:
        create_lawyer(session, "律师甲", "8001")
        for role, username in ACCOUNTS.items():
            create_user(session, username, PASSWORD, role.value)
        create_user(session, "fuzz-spare", PASSWORD, "reviewer")  # fair game for PATCH /users/{username}
        link_lawyer(session, ACCOUNTS[Role.lawyer], "8001")
    now = utcnow().timestamp()
    CallStore(runtime.session_factory).write(
        [
            CallProgress(
                linkedid="1714528800.1",
                caller="13800000001",
                started_at=now - 600,
                queue="labour",
                topic="labour",
                answered_at=now - 590,
                lawyer="8001",
                ended_at=now - 400,
                rating=2,
            ),
            CallProgress(linkedid="1714528800.2", caller="13800000002", started_at=now - 300),
        ]
    )
    registry = RecordingRegistry.from_settings(
        settings, runtime.session_factory, spool_dir(settings), runtime.audit
    )
    recording = sealed_recording(registry, "1714528800.1", seconds=0.5)
    with runtime.session_factory.begin() as session:
        quality.assign(
            session, recording.id, ACCOUNTS[Role.reviewer], reason=ReviewReason.manual, assigned_by="fuzz"
        )
        session.add(
            KeywordAlert(
                recording_id=recording.id,
                linkedid="1714528800.1",
                keyword="家暴",
                category="safety",
                leg="caller",
                at_seconds=0.2,
            )
        )
    runtime.engine.dispose()


def _destroys_own_account(case: schemathesis.Case) -> bool:
    path_parameters = case.path_parameters or {}
    return (
        case.method.upper() == "PATCH"
        and case.operation.path == "/api/v1/users/{username}"
        and path_parameters.get("username") in ACCOUNTS.values()
    )


def _server_error(response: schemathesis.Response) -> str | None:
    if response.status_code < 500:
        return None
    try:
        error_id = json.loads(response.content).get("error_id")
    except (ValueError, AttributeError):
        error_id = None
    if response.status_code == 503 and error_id in EXPECTED_UNAVAILABLE:
        return None
    return f"{response.status_code} {response.content[:500]!r}"


@pytest.mark.parametrize(("method", "path"), OPERATIONS, ids=[f"{m} {p}" for m, p in OPERATIONS])
def test_the_api_holds_under_fuzzing(site: Site, method: str, path: str) -> None:
    """Each generated request is sent once per role (generating is the slow part, sending is not)."""
    operation = site.schema[path][method]
    strategies = [
        operation.as_strategy(generation_mode=GenerationMode.POSITIVE),
        operation.as_strategy(generation_mode=GenerationMode.NEGATIVE),
    ]
    known = {p.name: KNOWN[p.name] for p in operation.path_parameters if p.name in KNOWN}
    if known:
        strategies.append(
            operation.as_strategy(generation_mode=GenerationMode.POSITIVE, path_parameters=known)
        )
    cases = st.one_of(strategies)

    @hypothesis.settings(
        max_examples=MAX_EXAMPLES,
        derandomize=True,
        database=None,
        deadline=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(cases)
    def fuzz(case: schemathesis.Case) -> None:
        hypothesis.assume(not _destroys_own_account(case))
        for role, token in site.tokens.items():
            headers = {"Authorization": f"Bearer {token}"}
            response = case.call(headers=headers, timeout=30)
            problem = _server_error(response)
            assert problem is None, f"as {role}: {problem}\n{case.as_curl_command(headers=headers)}"
            case.validate_response(
                response, checks=[response_schema_conformance, content_type_conformance], headers=headers
            )

    fuzz()


def test_every_operation_is_fuzzed() -> None:
    """Nothing is skipped: the suite covers the whole document (a new route is fuzzed by itself)."""
    assert len(OPERATIONS) > 40
    assert ("PATCH", "/api/v1/users/{username}") in OPERATIONS  # fuzzed, only our accounts spared
