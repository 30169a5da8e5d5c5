"""Signing in on the web: session cookie flags, CSRF on every form, the lockout, Chinese pages."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator

import httpx
import pytest

from hotline.app import create_app
from hotline.auth.service import FREE_FAILURES, create_user
from hotline.runtime import Runtime
from hotline.settings import AsteriskSettings, Settings
from hotline.web.sessions import LOGIN_COOKIE, SESSION_COOKIE

PASSWORD = "supervisor-password-1"


@pytest.fixture
async def web(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[httpx.AsyncClient]:
    state = tmp_path_factory.mktemp("web-state")
    app = create_app(
        Settings(state_dir=state, asterisk=AsteriskSettings(root=state / "root")), connect_ami=False
    )
    async with app.router.lifespan_context(app):
        runtime: Runtime = app.state.runtime
        with runtime.session_factory.begin() as session:
            create_user(session, "wang", PASSWORD, "supervisor")
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://hotline.test") as client:
            yield client


def _nonce(page: httpx.Response) -> str:
    match = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert match, page.text
    return match.group(1)


async def _sign_in(web: httpx.AsyncClient, password: str = PASSWORD) -> httpx.Response:
    form = await web.get("/login")
    return await web.post("/login", data={"username": "wang", "password": password, "csrf": _nonce(form)})


async def test_nobody_signed_in_is_sent_to_the_login_page(web: httpx.AsyncClient) -> None:
    response = await web.get("/")
    assert response.status_code == 303 and response.headers["location"] == "/login"
    page = await web.get("/login")
    assert page.status_code == 200 and '<html lang="zh-CN">' in page.text and "登录" in page.text


async def test_signing_in_sets_a_strict_http_only_session_and_shows_the_user(web: httpx.AsyncClient) -> None:
    response = await _sign_in(web)
    assert response.status_code == 303 and response.headers["location"] == "/"
    cookie = next(h for h in response.headers.get_list("set-cookie") if h.startswith(f"{SESSION_COOKIE}="))
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Path=/" in cookie
    home = await web.get("/")
    assert home.status_code == 200 and "您好，wang" in home.text and "值班主管" in home.text


async def test_a_login_form_without_its_csrf_nonce_is_refused(web: httpx.AsyncClient) -> None:
    await web.get("/login")
    forged = await web.post("/login", data={"username": "wang", "password": PASSWORD, "csrf": "guessed"})
    assert forged.status_code == 403 and "页面已过期" in forged.text
    web.cookies.delete(LOGIN_COOKIE)
    form = await web.get("/login")
    nonce = _nonce(form)
    web.cookies.delete(LOGIN_COOKIE)  # a form posted from another site carries no login cookie
    cross = await web.post("/login", data={"username": "wang", "password": PASSWORD, "csrf": nonce})
    assert cross.status_code == 403 and SESSION_COOKIE not in cross.cookies


async def test_a_wrong_password_says_so_in_chinese_and_repeated_failures_lock(web: httpx.AsyncClient) -> None:
    for _ in range(FREE_FAILURES + 1):
        wrong = await _sign_in(web, "wrong-password")
        assert wrong.status_code == 401 and "用户名或密码错误" in wrong.text
    locked = await _sign_in(web)
    assert locked.status_code == 429 and "账户已锁定" in locked.text
    assert SESSION_COOKIE not in locked.cookies


async def test_signing_out_needs_the_sessions_csrf_token(web: httpx.AsyncClient) -> None:
    await _sign_in(web)
    home = await web.get("/")
    forged = await web.post("/logout", data={"csrf": "forged"})
    assert forged.status_code == 403
    assert (await web.get("/")).status_code == 200  # still signed in
    out = await web.post("/logout", data={"csrf": _nonce(home)})
    assert out.status_code == 303 and out.headers["location"] == "/login"
    assert (await web.get("/")).status_code == 303


async def test_a_tampered_or_api_token_cookie_is_not_a_session(web: httpx.AsyncClient) -> None:
    token = await web.post("/api/v1/auth/token", data={"username": "wang", "password": PASSWORD})
    web.cookies.set(SESSION_COOKIE, token.json()["access_token"])
    assert (await web.get("/")).status_code == 303
    web.cookies.clear()
    await _sign_in(web)
    value = web.cookies[SESSION_COOKIE]
    web.cookies.set(SESSION_COOKIE, value[:-2] + ("A" if value[-2] != "A" else "B") + value[-1])
    assert (await web.get("/")).status_code == 303
