"""A wrong AMI secret against the real Asterisk: said plainly, retried, visible in health."""

from __future__ import annotations

import httpx
import pytest
from pydantic import SecretStr

from hotline.app import create_app
from hotline.auth.service import create_user
from hotline.kernel.compose import Runtime
from hotline.routing.service import create_lawyer
from tests.e2e.conftest import AsteriskUnderTest
from tests.helpers import eventually

pytestmark = pytest.mark.e2e


async def test_wrong_ami_secret_shows_in_health_and_is_retried(
    asterisk: AsteriskUnderTest, tmp_path_factory: pytest.TempPathFactory
) -> None:
    ami = asterisk.settings.ami.model_copy(update={"secret": SecretStr("not-the-secret"), "backoff_max": 0.5})
    settings = asterisk.settings.model_copy(
        update={"state_dir": tmp_path_factory.mktemp("wrong-secret"), "database_url": None, "ami": ami}
    )
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        runtime: Runtime = app.state.runtime
        with runtime.session_factory.begin() as session:
            create_user(session, "supervisor", "supervisor-password", "supervisor")
            create_lawyer(session, "律师甲", "8001")
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://hotline.test") as http:
            token = await http.post(
                "/api/v1/auth/token", data={"username": "supervisor", "password": "supervisor-password"}
            )
            headers = {"Authorization": f"Bearer {token.json()['access_token']}"}

            async def refused() -> dict[str, object] | None:
                # The first refusals may be Asterisk starting or stopping (ami-unavailable); once
                # they persist, the secret is named as the cause.
                health = (await http.get("/api/v1/health", headers=headers)).json()
                return health if "ami-authentication-failed" in str(health["ami_error"]) else None

            health = await eventually(refused, timeout=15, what="health blaming the secret")
            assert health["ok"] is False and health["ami_connected"] is False
            assert "hotline config render" in str(health["ami_error"])
            assert health["database_reachable"] is True
            assert "not-the-secret" not in str(health)

            # Still retrying: a roster change is kept (applied once connected); an action that
            # needs Asterisk now fails with a clear 503 instead of hanging.
            login = await http.post("/api/v1/lawyers/8001/login", headers=headers)
            assert login.status_code == 200 and login.json()["applied"] is False
            response = await http.post("/api/v1/lawyers/8001/pause", json={"reason": "meal"}, headers=headers)
            assert response.status_code == 503
            assert response.json()["error_id"] == "ami-unavailable"
            assert "refused the AMI login" in response.json()["message"]
