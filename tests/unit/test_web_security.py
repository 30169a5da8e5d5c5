"""The web's own defences: sessions revoked on the server (sign-out, deactivation, expiry), Secure
cookies, forwarded headers believed only from configured proxies (in the app and as served by
uvicorn), and the security headers on pages (CSP with no inline script or style, no framing)."""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from fastapi import FastAPI
from sqlalchemy import select

from hotline import cli
from hotline.app import create_app
from hotline.auth.models import BrowserSession, Role
from hotline.auth.service import create_user
from hotline.auth.sessions import LOGIN_COOKIE, SESSION_COOKIE
from hotline.auth.throttle import NAME_POLICY
from hotline.http.proxies import TrustedProxies, resolve
from hotline.kernel.compose import Runtime
from hotline.routing.service import create_lawyer
from hotline.settings import AsteriskSettings, Settings, WebSettings
from hotline.staff.service import link_lawyer
from tests.browser import serve
from tests.helpers import ManualClock

NOW = datetime(2026, 12, 3, 2, 0, tzinfo=UTC)
ANY_ADDRESS = "0.0.0.0"  # noqa: S104 - a bind address the settings are tested with, nothing binds it
PASSWORD = "web-security-password-1"

pytestmark = pytest.mark.usefixtures("cheap_hashes")  # many sign-ins here


@dataclass
class Site:
    app: FastAPI
    runtime: Runtime
    clock: ManualClock

    def client(self, base_url: str = "http://hotline.test", address: str = "127.0.0.1") -> httpx.AsyncClient:
        transport = httpx.ASGITransport(app=self.app, client=(address, 40000))
        return httpx.AsyncClient(transport=transport, base_url=base_url)


@contextlib.asynccontextmanager
async def site_with(state: Path, **web: Any) -> AsyncIterator[Site]:
    """The app (no Asterisk) with these web settings, its clock pinned, one user per role."""
    clock = ManualClock(NOW)
    settings = Settings(
        state_dir=state, asterisk=AsteriskSettings(root=state / "asterisk-root"), web=WebSettings(**web)
    )
    app = create_app(settings, connect_ami=False, clock=clock)
    async with app.router.lifespan_context(app):
        runtime: Runtime = app.state.runtime
        with runtime.session_factory.begin() as session:
            for role in Role:
                create_user(session, f"web-{role.value}", PASSWORD, role.value)
            create_lawyer(session, "律师甲", "8001")
            link_lawyer(session, "web-lawyer", "8001")
        yield Site(app, runtime, clock)


@pytest.fixture
async def site(tmp_path: Path) -> AsyncIterator[Site]:
    async with site_with(tmp_path) as site:
        yield site


def _nonce(page: httpx.Response) -> str:
    match = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert match, page.text
    return match.group(1)


async def sign_in(
    http: httpx.AsyncClient, username: str, headers: dict[str, str] | None = None
) -> httpx.Response:
    form = await http.get("/login", headers=headers)
    data = {"username": username, "password": PASSWORD, "csrf": _nonce(form)}
    response = await http.post("/login", data=data, headers=headers)
    assert response.status_code == 303, response.text
    return response


async def bearer(site: Site, username: str) -> dict[str, str]:
    async with site.client() as http:
        token = await http.post("/api/v1/auth/token", data={"username": username, "password": PASSWORD})
    return {"Authorization": f"Bearer {token.json()['access_token']}"}


def set_cookie(response: httpx.Response, name: str) -> str:
    return next(h for h in response.headers.get_list("set-cookie") if h.startswith(f"{name}="))


# --- sessions -------------------------------------------------------------------------------------


async def test_signing_out_ends_the_session_on_the_server(site: Site) -> None:
    async with site.client() as http:
        await sign_in(http, "web-admin")
        cookie = http.cookies[SESSION_COOKIE]
        home = await http.get("/")
        assert home.status_code == 200
        out = await http.post("/logout", data={"csrf": _nonce(home)})
        assert out.status_code == 303
    # Someone who kept a copy of the cookie replays it: signed out all the same.
    async with site.client() as replay:
        replay.cookies.set(SESSION_COOKIE, cookie)
        page = await replay.get("/")
        assert page.status_code == 303 and page.headers["location"] == "/login"
        api = await replay.get("/api/v1/users")
        assert api.status_code == 401 and api.json()["error_id"] == "auth-failed"


async def test_deactivating_a_user_signs_their_browsers_out_for_good(site: Site) -> None:
    async with site.client() as http:
        await sign_in(http, "web-lawyer")
        assert (await http.get("/desk")).status_code == 200
        admin = await bearer(site, "web-admin")
        off = await http.patch("/api/v1/users/web-lawyer", json={"active": False}, headers=admin)
        on = await http.patch("/api/v1/users/web-lawyer", json={"active": True}, headers=admin)
        assert off.status_code == on.status_code == 200
        # Reactivated, but the browser signed in before must sign in again.
        assert (await http.get("/desk")).status_code == 303
        await sign_in(http, "web-lawyer")
        assert (await http.get("/desk")).status_code == 200


async def test_a_session_ends_after_its_time(site: Site) -> None:
    async with site.client() as http:
        await sign_in(http, "web-supervisor")
        site.clock.now += timedelta(minutes=site.runtime.settings.web.token_minutes) - timedelta(seconds=1)
        assert (await http.get("/wallboard")).status_code == 200
        site.clock.now += timedelta(seconds=1)
        assert (await http.get("/wallboard")).status_code == 303


async def test_the_cookie_is_a_random_id_kept_only_hashed(site: Site) -> None:
    async with site.client() as http:
        await sign_in(http, "web-reviewer")
        cookie = http.cookies[SESSION_COOKIE]
    assert "web-reviewer" not in cookie and "." not in cookie  # no claims inside (not a JWT)
    with site.runtime.session_factory() as db:
        stored = db.scalars(select(BrowserSession.token_hash)).all()
    assert stored == [hashlib.sha256(cookie.encode()).hexdigest()]


# --- Secure cookies -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("web", "base_url", "headers", "secure"),
    [
        ({}, "http://hotline.test", {}, False),  # bound to loopback, plain HTTP: this machine only
        ({"host": ANY_ADDRESS}, "http://hotline.test", {}, True),  # reachable from elsewhere
        ({"host": "192.0.2.10"}, "http://hotline.test", {}, True),
        ({"host": "::1"}, "http://hotline.test", {}, False),
        ({}, "https://hotline.test", {}, True),  # TLS: always
        ({"cookie_secure": False}, "https://hotline.test", {}, True),
        ({"cookie_secure": True}, "http://hotline.test", {}, True),
        ({"host": ANY_ADDRESS, "cookie_secure": False}, "http://hotline.test", {}, False),
        # A TLS proxy in front: its X-Forwarded-Proto counts only when it is a trusted proxy.
        ({"trusted_proxies": ["127.0.0.1"]}, "http://hotline.test", {"X-Forwarded-Proto": "https"}, True),
        ({}, "http://hotline.test", {"X-Forwarded-Proto": "https"}, False),
    ],
    ids=[
        "loopback",
        "all-addresses",
        "public-address",
        "ipv6-loopback",
        "https",
        "https-despite-setting",
        "set-on",
        "set-off",
        "trusted-proxy-https",
        "untrusted-forwarded-proto",
    ],
)
async def test_cookies_are_secure_over_tls_and_outside_loopback(
    tmp_path: Path, web: dict[str, Any], base_url: str, headers: dict[str, str], secure: bool
) -> None:
    async with site_with(tmp_path, **web) as site, site.client(base_url) as http:
        form = await http.get("/login", headers=headers)
        assert ("; secure" in set_cookie(form, LOGIN_COOKIE).lower()) == secure
        data = {"username": "web-admin", "password": PASSWORD, "csrf": _nonce(form)}
        http.cookies.set(LOGIN_COOKIE, form.cookies[LOGIN_COOKIE])  # httpx keeps Secure cookies off http
        signed_in = await http.post("/login", data=data, headers=headers)
        assert signed_in.status_code == 303
        cookie = set_cookie(signed_in, SESSION_COOKIE).lower()
        assert ("; secure" in cookie) == secure
        assert "httponly" in cookie and "samesite=strict" in cookie


async def test_signing_in_over_plain_http_where_cookies_are_secure_says_to_use_https(tmp_path: Path) -> None:
    async with site_with(tmp_path, host=ANY_ADDRESS) as site, site.client() as http:
        form = await http.get("/login")
        assert "; secure" in set_cookie(form, LOGIN_COOKIE).lower()  # so not sent back over plain HTTP
        data = {"username": "web-admin", "password": PASSWORD, "csrf": _nonce(form)}
        refused = await http.post("/login", data=data)
        assert refused.status_code == 403 and "请通过 HTTPS 访问本系统后再登录" in refused.text


# --- forwarded headers ----------------------------------------------------------------------------


def test_forwarded_headers_count_only_from_trusted_proxies() -> None:
    proxies = TrustedProxies.of(["127.0.0.1", "10.0.0.0/8"])
    none = TrustedProxies.of([])
    assert resolve("127.0.0.1", ["203.0.113.5"], ["https"], none) == ("127.0.0.1", None)
    assert resolve("198.51.100.1", ["203.0.113.5"], ["https"], proxies) == ("198.51.100.1", None)
    assert resolve("127.0.0.1", ["203.0.113.5"], ["https"], proxies) == ("203.0.113.5", "https")
    # The client forged an X-Forwarded-For of its own: the proxy appended the real address last.
    assert resolve("127.0.0.1", ["192.0.2.66, 203.0.113.5"], [], proxies) == ("203.0.113.5", None)
    # Through two trusted proxies, the first address neither of them is.
    assert resolve("127.0.0.1", ["192.0.2.66", "203.0.113.5, 10.1.2.3"], [], proxies) == ("203.0.113.5", None)
    # Garbage and unknown schemes are not believed.
    assert resolve("127.0.0.1", ["<script>"], ["gopher"], proxies) == ("127.0.0.1", None)
    assert resolve("::ffff:127.0.0.1", ["203.0.113.5"], [], proxies) == ("203.0.113.5", None)


async def test_behind_a_trusted_proxy_each_client_is_throttled_by_its_own_address(tmp_path: Path) -> None:
    async with site_with(tmp_path, trusted_proxies=["127.0.0.1"]) as site, site.client() as http:
        wrong = {"username": "web-admin", "password": "wrong-password-1"}
        attacker = {"X-Forwarded-For": "203.0.113.66"}
        for _ in range(NAME_POLICY.free + 1):
            assert (await http.post("/api/v1/auth/token", data=wrong, headers=attacker)).status_code == 401
        right = {"username": "web-admin", "password": PASSWORD}
        assert (await http.post("/api/v1/auth/token", data=right, headers=attacker)).status_code == 429
        other = await http.post("/api/v1/auth/token", data=right, headers={"X-Forwarded-For": "198.51.100.7"})
        assert other.status_code == 200


async def test_as_served_a_forwarded_for_from_this_machine_does_not_forge_the_audited_address(
    site: Site,
) -> None:
    supervisor, admin = await bearer(site, "web-supervisor"), await bearer(site, "web-admin")
    async with serve(site.app) as url, httpx.AsyncClient(base_url=url) as http:
        forged = {**supervisor, "X-Forwarded-For": "203.0.113.99"}
        assert (await http.get("/api/v1/transcripts/search", params={"q": "工资"}, headers=forged)).is_success
        entries = (await http.get("/api/v1/audit", headers=admin)).json()
    assert [(entry["actor"], entry["client"]) for entry in entries] == [("web-supervisor", "127.0.0.1")]


def test_serve_leaves_forwarded_headers_to_the_app(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    served: list[uvicorn.Config] = []
    built: list[Settings] = []

    def build(settings: Settings) -> FastAPI:
        built.append(settings)
        return create_app(settings, connect_ami=False)

    monkeypatch.setattr(uvicorn.Server, "run", lambda server, sockets=None: served.append(server.config))
    monkeypatch.setattr("hotline.app.create_app", build)
    monkeypatch.setenv("HOTLINE_STATE_DIR", str(tmp_path))
    cli.cmd_serve(argparse.Namespace(host=ANY_ADDRESS, port=8123))
    (config,) = served
    assert config.proxy_headers is False and (config.host, config.port) == (ANY_ADDRESS, 8123)
    # The app knows the address it is served on (its cookies are Secure there).
    assert (built[0].web.host, built[0].web.port) == (ANY_ADDRESS, 8123)


# --- headers --------------------------------------------------------------------------------------


async def test_every_response_forbids_framing_and_sniffing_and_pages_get_a_strict_csp(site: Site) -> None:
    async with site.client() as http:
        await sign_in(http, "web-supervisor")
        responses = {
            path: await http.get(path)
            for path in ("/login", "/wallboard", "/static/http.js", "/api/v1/wallboard", "/docs")
        }
    # Module scripts run only when served as JavaScript (nosniff: no guessing either).
    script_type = responses["/static/http.js"].headers["content-type"]
    assert script_type.startswith(("text/javascript", "application/javascript")), script_type
    policy = responses["/login"].headers["content-security-policy"]
    for path, response in responses.items():
        assert response.status_code == 200, path
        assert response.headers["x-frame-options"] == "DENY", path
        assert response.headers["x-content-type-options"] == "nosniff", path
        assert response.headers["referrer-policy"] == "no-referrer", path
        assert "strict-transport-security" not in response.headers, path  # plain HTTP
        if path != "/docs":  # Swagger UI (from a CDN, with inline script) is the one exception
            assert response.headers["content-security-policy"] == policy, path
    csp = dict(part.strip().split(" ", 1) for part in policy.split(";"))
    assert (
        csp["frame-ancestors"] == "'none'" and csp["script-src"] == "'self'" and csp["style-src"] == "'self'"
    )
    # The one origin elsewhere: the browser phone's WebSocket to Asterisk (the default address).
    assert csp["connect-src"] == "'self' wss://127.0.0.1:8089"
    assert "unsafe" not in policy
    async with site.client("https://hotline.test") as https:
        assert (await https.get("/login")).headers["strict-transport-security"] == "max-age=31536000"


@pytest.mark.parametrize("role", list(Role), ids=[role.value for role in Role])
async def test_pages_have_no_inline_script_style_or_handlers(site: Site, role: Role) -> None:
    """What the CSP would block: the browser tests (tests/web) show the pages still work with it."""
    pages = {"/", "/login", "/desk", "/wallboard", "/review", "/reports", "/admin", "/criticism", "/feedback"}
    pages.add("/video")  # public, like /feedback
    async with site.client() as http:
        await sign_in(http, f"web-{role.value}")
        for path in pages:
            html = (await http.get(path)).text
            for tag in re.findall(r"<script\b[^>]*>", html):
                assert "src=" in tag or 'type="application/json"' in tag, (path, tag)
            assert not re.search(r"\sstyle=", html), path
            assert not re.search(r"\son[a-z]+=", html), path
            assert "javascript:" not in html, path
