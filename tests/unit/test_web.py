"""The web: session cookie flags, CSRF on every form and page API call, the lockout, Chinese pages,
and which role sees which page."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi.routing import APIRoute

from hotline.auth.models import Role
from hotline.auth.service import create_user
from hotline.auth.sessions import LOGIN_COOKIE, SESSION_COOKIE
from hotline.auth.throttle import NAME_POLICY
from hotline.routing.service import create_lawyer
from hotline.staff.service import link_lawyer
from hotline.web.pages import router as pages_router
from tests.helpers import app_without_asterisk

PASSWORD = "supervisor-password-1"


@pytest.fixture
async def web(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[httpx.AsyncClient]:
    state = tmp_path_factory.mktemp("web-state")
    async with app_without_asterisk(state) as (app, runtime):
        with runtime.session_factory.begin() as session:
            create_user(session, "wang", PASSWORD, "supervisor")
            for role in Role:
                create_user(session, f"web-{role.value}", PASSWORD, role.value)
            create_lawyer(session, "律师甲", "8001")
            link_lawyer(session, "web-lawyer", "8001")
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://hotline.test") as client:
            yield client


def _nonce(page: httpx.Response) -> str:
    match = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert match, page.text
    return match.group(1)


async def _sign_in(
    web: httpx.AsyncClient, password: str = PASSWORD, username: str = "wang"
) -> httpx.Response:
    form = await web.get("/login")
    return await web.post("/login", data={"username": username, "password": password, "csrf": _nonce(form)})


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
    for _ in range(NAME_POLICY.free + 1):
        wrong = await _sign_in(web, "wrong-password")
        assert wrong.status_code == 401 and "用户名或密码错误" in wrong.text
    locked = await _sign_in(web)
    assert locked.status_code == 429 and "登录失败次数过多" in locked.text
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


# --- pages by role ----------------------------------------------------------------------------------

# Every page with the roles that may open it (the permission matrix, seen from the browser).
PAGES: dict[str, frozenset[Role]] = {
    "/": frozenset(Role),
    "/desk": frozenset({Role.lawyer}),
    "/wallboard": frozenset({Role.supervisor, Role.admin}),
    "/admin": frozenset({Role.admin}),
    "/review": frozenset({Role.reviewer, Role.supervisor}),
    "/reports": frozenset({Role.supervisor, Role.admin}),
    "/criticism": frozenset({Role.leader, Role.supervisor}),
}


def test_every_page_is_in_the_page_test() -> None:
    pages = {
        route.path for route in pages_router.routes if isinstance(route, APIRoute) and "GET" in route.methods
    }
    assert pages - {"/login"} == set(PAGES)


@pytest.mark.parametrize("path", list(PAGES))
async def test_pages_send_strangers_to_sign_in(web: httpx.AsyncClient, path: str) -> None:
    response = await web.get(path)
    assert response.status_code == 303 and response.headers["location"] == "/login"


@pytest.mark.parametrize("role", list(Role), ids=[role.value for role in Role])
@pytest.mark.parametrize("path", list(PAGES))
async def test_pages_open_only_for_their_roles(web: httpx.AsyncClient, path: str, role: Role) -> None:
    assert (await _sign_in(web, username=f"web-{role.value}")).status_code == 303
    response = await web.get(path)
    if role in PAGES[path]:
        assert response.status_code == 200, response.text
        assert '<html lang="zh-CN">' in response.text
    else:
        assert response.status_code == 403 and "无权访问" in response.text
    # The header links only to what the role may open.
    for page, roles in PAGES.items():
        if page != "/":
            assert (f'href="{page}"' in response.text) == (role in roles)


async def test_page_api_calls_need_the_sessions_csrf_header(web: httpx.AsyncClient) -> None:
    await _sign_in(web, username="web-supervisor")
    board = await web.get("/api/v1/wallboard")
    assert board.status_code == 200 and board.json()["lawyers"][0]["extension"] == "8001"
    forged = await web.post("/api/v1/lawyers/8001/pause", json={"reason": "meal"})
    assert forged.status_code == 403 and forged.json()["error_id"] == "csrf-failed"
    page = await web.get("/wallboard")
    token = re.search(r'name="csrf-token" content="([^"]+)"', page.text)
    assert token
    allowed = await web.post(
        "/api/v1/lawyers/8001/pause", json={"reason": "meal"}, headers={"X-CSRF-Token": token.group(1)}
    )
    assert allowed.status_code == 503 and allowed.json()["error_id"] == "ami-unavailable"  # no Asterisk here
