"""Sign-in, sign-out and the start page. Pages speak Chinese; forms are CSRF-checked."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Cookie, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from hotline.auth.models import Role
from hotline.auth.service import AccountLocked, AuthenticationFailed, sign_in
from hotline.deps import RuntimeDep
from hotline.runtime import Runtime
from hotline.web.sessions import (
    LOGIN_COOKIE,
    LOGIN_MINUTES,
    SESSION_COOKIE,
    csrf_matches,
    issue_login_nonce,
    issue_session,
    login_nonce_matches,
    read_session,
)

router = APIRouter(include_in_schema=False)
templates = Jinja2Templates(directory=str(Path(__file__).with_name("templates")))  # autoescaped

ROLE_LABELS = {
    Role.admin: "管理员",
    Role.supervisor: "值班主管",
    Role.lawyer: "值班律师",
    Role.reviewer: "质检员",
}


def _set_cookie(response: Response, name: str, value: str, max_age: int, runtime: Runtime) -> None:
    response.set_cookie(
        name,
        value,
        max_age=max_age,
        path="/",
        httponly=True,
        samesite="strict",
        secure=runtime.settings.web.cookie_secure,
    )


def _login_page(
    request: Request, runtime: Runtime, *, status: int = 200, error: str = "", username: str = ""
) -> Response:
    cookie, nonce = issue_login_nonce(runtime.token_key)
    response = templates.TemplateResponse(
        request, "login.html", {"nonce": nonce, "error": error, "username": username}, status_code=status
    )
    _set_cookie(response, LOGIN_COOKIE, cookie, LOGIN_MINUTES * 60, runtime)
    return response


@router.get("/login")
def login_form(request: Request, runtime: RuntimeDep) -> Response:
    return _login_page(request, runtime)


@router.post("/login")
async def log_in(
    request: Request,
    runtime: RuntimeDep,
    username: Annotated[str, Form()],
    password: Annotated[str, Form()],
    csrf: Annotated[str | None, Form()] = None,
    login_cookie: Annotated[str | None, Cookie(alias=LOGIN_COOKIE)] = None,
) -> Response:
    if not login_nonce_matches(login_cookie, csrf, runtime.token_key):
        return _login_page(request, runtime, status=403, error="页面已过期，请重新登录。", username=username)

    try:
        user = await asyncio.to_thread(sign_in, runtime.session_factory, username, password)
    except AccountLocked as exc:
        minutes = max(1, round(exc.details["retry_after"] / 60))
        error = f"登录失败次数过多，账户已锁定，请 {minutes} 分钟后再试。"
        return _login_page(request, runtime, status=429, error=error, username=username)
    except AuthenticationFailed:
        return _login_page(request, runtime, status=401, error="用户名或密码错误。", username=username)
    cookie, _session = issue_session(user, runtime.token_key, runtime.settings.web.token_minutes)
    response = RedirectResponse("/", status_code=303)
    _set_cookie(response, SESSION_COOKIE, cookie, runtime.settings.web.token_minutes * 60, runtime)
    response.delete_cookie(LOGIN_COOKIE, path="/")
    return response


@router.post("/logout")
def log_out(
    runtime: RuntimeDep,
    csrf: Annotated[str | None, Form()] = None,
    session_cookie: Annotated[str | None, Cookie(alias=SESSION_COOKIE)] = None,
) -> Response:
    session = read_session(session_cookie, runtime.token_key)
    if session is not None and not csrf_matches(session, csrf):
        return HTMLResponse("请求无效（CSRF 校验失败），请刷新页面后重试。", status_code=403)
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@router.get("/")
def home(
    request: Request,
    runtime: RuntimeDep,
    session_cookie: Annotated[str | None, Cookie(alias=SESSION_COOKIE)] = None,
) -> Response:
    session = read_session(session_cookie, runtime.token_key)
    if session is None:
        return RedirectResponse("/login", status_code=303)
    return templates.TemplateResponse(
        request, "home.html", {"session": session, "role_label": ROLE_LABELS[session.role]}
    )
