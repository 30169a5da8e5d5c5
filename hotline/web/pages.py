"""The pages: sign-in, the start page, the lawyer's desk, the wallboard, quality review, reports,
admin.

Pages speak Chinese; forms are CSRF-checked, and so are the pages' own calls to the API (the
``X-CSRF-Token`` header). Every page names its permission, checked like the API's: without a
session a page sends the browser to sign in, with the wrong role it says so (403).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Final

from fastapi import APIRouter, Cookie, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from hotline.auth.models import Role
from hotline.auth.permissions import Permission, allowed
from hotline.auth.service import Actor, AuthenticationFailed, load_actor, sign_in
from hotline.auth.sessions import (
    LOGIN_COOKIE,
    LOGIN_MINUTES,
    SESSION_COOKIE,
    WebSession,
    cookie_secure,
    csrf_matches,
    issue_login_nonce,
    issue_session,
    login_nonce_matches,
    read_session,
    revoke_session,
)
from hotline.auth.throttle import SignInThrottled
from hotline.db.session import in_transaction
from hotline.http.proxies import client_address
from hotline.kernel.deps import SharedDep, part
from hotline.kernel.shared import Shared
from hotline.reports.service import previous_month
from hotline.stats.definitions import KPI_BY_KEY
from hotline.stats.service import Statistics
from hotline.tickets.schemas import OUTCOME_LABELS
from hotline.web.templating import templates

router = APIRouter(include_in_schema=False)
STATIC_DIR = Path(__file__).with_name("static")

ROLE_LABELS = {
    Role.admin: "管理员",
    Role.supervisor: "值班主管",
    Role.lawyer: "值班律师",
    Role.reviewer: "质检员",
    Role.leader: "值守领导",
}

# The consoles, in the order the header lists them, with the permission each needs.
PAGES: tuple[tuple[str, str, Permission], ...] = (
    ("/desk", "律师工作台", Permission.use_desk),
    ("/wallboard", "监控大屏", Permission.view_wallboard),
    ("/review", "质量评查", Permission.review_calls),
    ("/reports", "统计报表", Permission.view_reports),
    ("/criticism", "群众意见", Permission.handle_criticism),
    ("/admin", "系统管理", Permission.manage_users),
)


# The reports page's tiles: KPIs of hotline/stats/definitions.py, and those where less is better.
REPORT_TILES: Final = (
    "calls",
    "answered",
    "answer_rate",
    "abandon_rate",
    "service_level",
    "asa",
    "satisfaction_rate",
    "on_time_rate",
    "overdue",
    "callback_in_time_rate",
    "qa_average",
    "alerts",
)
LOWER_IS_BETTER: Final = frozenset({"abandon_rate", "asa", "overdue", "alerts"})


class PageDenied(Exception):
    """A page the browser may not see: answered with ``response`` (sign in, or 403)."""

    def __init__(self, response: Response) -> None:
        super().__init__("page denied")
        self.response = response


@dataclass(frozen=True, slots=True)
class PageUser:
    session: WebSession
    actor: Actor


def _page_user(request: Request, shared: Shared, permission: Permission | None) -> PageUser:
    with shared.session_factory() as db:
        session = read_session(db, request.cookies.get(SESSION_COOKIE), shared.clock())
        if session is None:
            raise PageDenied(RedirectResponse("/login", status_code=303))
        try:
            actor = load_actor(db, session.user_id)
        except AuthenticationFailed:
            raise PageDenied(RedirectResponse("/login", status_code=303)) from None
    if permission is not None and not allowed(actor.role, permission):
        response = templates.TemplateResponse(
            request, "forbidden.html", _context(request, PageUser(session, actor)), status_code=403
        )
        raise PageDenied(response)
    return PageUser(session, actor)


def page(permission: Permission | None) -> Callable[[Request, Shared], PageUser]:
    """A page's dependency: the signed-in user, if their role may see it."""

    def check(request: Request, shared: SharedDep) -> PageUser:
        return _page_user(request, shared, permission)

    return check


def _context(request: Request, user: PageUser, **values: Any) -> dict[str, Any]:
    role = user.actor.role
    nav = [
        {"href": href, "label": label, "current": request.url.path == href}
        for href, label, permission in PAGES
        if allowed(role, permission)
    ]
    return {
        "session": user.session,
        "actor": user.actor,
        "role_label": ROLE_LABELS[role],
        "nav": nav,
        **values,
    }


def _set_cookie(
    request: Request, response: Response, name: str, value: str, max_age: int, shared: Shared
) -> None:
    response.set_cookie(
        name,
        value,
        max_age=max_age,
        path="/",
        httponly=True,
        samesite="strict",
        secure=cookie_secure(shared.settings.web, request.url.scheme),
    )


def _delete_cookie(request: Request, response: Response, name: str, shared: Shared) -> None:
    response.delete_cookie(
        name,
        path="/",
        httponly=True,
        samesite="strict",
        secure=cookie_secure(shared.settings.web, request.url.scheme),
    )


def _login_page(
    request: Request, shared: Shared, *, status: int = 200, error: str = "", username: str = ""
) -> Response:
    cookie, nonce = issue_login_nonce(shared.token_key)
    response = templates.TemplateResponse(
        request, "login.html", {"nonce": nonce, "error": error, "username": username}, status_code=status
    )
    _set_cookie(request, response, LOGIN_COOKIE, cookie, LOGIN_MINUTES * 60, shared)
    return response


@router.get("/login")
def login_form(request: Request, shared: SharedDep) -> Response:
    return _login_page(request, shared)


@router.post("/login")
async def log_in(
    request: Request,
    shared: SharedDep,
    username: Annotated[str, Form()],
    password: Annotated[str, Form()],
    csrf: Annotated[str | None, Form()] = None,
    login_cookie: Annotated[str | None, Cookie(alias=LOGIN_COOKIE)] = None,
) -> Response:
    if not login_nonce_matches(login_cookie, csrf, shared.token_key):
        error = "页面已过期，请重新登录。"
        plain_http = request.url.scheme == "http"
        if login_cookie is None and plain_http and cookie_secure(shared.settings.web, "http"):
            # The browser kept the Secure cookie to itself over plain HTTP.
            error = "请通过 HTTPS 访问本系统后再登录（登录凭据只在 HTTPS 连接上发送）。"
        return _login_page(request, shared, status=403, error=error, username=username)

    now = shared.clock()
    try:
        user = await asyncio.to_thread(
            sign_in, shared.session_factory, username, password, client_address(request), now
        )
    except SignInThrottled as exc:
        seconds = exc.details["retry_after"]
        wait = f"{seconds} 秒" if seconds < 60 else f"{-(-seconds // 60)} 分钟"
        if exc.details["scope"] == "name":
            error = f"登录失败次数过多，请 {wait}后再试，或请管理员解除锁定。"
        else:
            error = f"您所在网络的登录失败次数过多，请 {wait}后再试。"
        response = _login_page(request, shared, status=429, error=error, username=username)
        response.headers["Retry-After"] = str(seconds)
        return response
    except AuthenticationFailed:
        return _login_page(request, shared, status=401, error="用户名或密码错误。", username=username)
    minutes = shared.settings.web.token_minutes

    def start(db: Session) -> str:
        return issue_session(db, user, now, minutes)[0]

    cookie = await asyncio.to_thread(in_transaction, shared.session_factory, start)
    response = RedirectResponse("/", status_code=303)
    _set_cookie(request, response, SESSION_COOKIE, cookie, minutes * 60, shared)
    _delete_cookie(request, response, LOGIN_COOKIE, shared)
    return response


@router.post("/logout")
def log_out(
    request: Request,
    shared: SharedDep,
    csrf: Annotated[str | None, Form()] = None,
    session_cookie: Annotated[str | None, Cookie(alias=SESSION_COOKIE)] = None,
) -> Response:
    """Sign out: the session ends on the server (the cookie is worthless from now on)."""
    now = shared.clock()
    with shared.session_factory.begin() as db:
        session = read_session(db, session_cookie, now)
        if session is not None and not csrf_matches(session, csrf):
            return HTMLResponse("请求无效（CSRF 校验失败），请刷新页面后重试。", status_code=403)
        revoke_session(db, session_cookie, now)
    response = RedirectResponse("/login", status_code=303)
    _delete_cookie(request, response, SESSION_COOKIE, shared)
    return response


@router.get("/")
def home(request: Request, user: Annotated[PageUser, Depends(page(None))]) -> Response:
    return templates.TemplateResponse(request, "home.html", _context(request, user))


@router.get("/desk")
def desk_page(
    request: Request,
    shared: SharedDep,
    stats: Annotated[Statistics, part(Statistics)],
    user: Annotated[PageUser, Depends(page(Permission.use_desk))],
) -> Response:
    """The lawyer's desk: status and pauses, the screen pop, three-way calls and transfers, tickets."""
    settings = shared.settings
    return templates.TemplateResponse(
        request,
        "desk.html",
        _context(
            request,
            user,
            pause_reasons=settings.routing.pause_reasons,
            third_parties=settings.console.third_parties,
            outcome_labels={outcome.value: label for outcome, label in OUTCOME_LABELS.items()},
            # 我的考核: the published months up to last month.
            assessment_month=previous_month(shared.clock(), stats.timezone),
        ),
    )


@router.get("/wallboard")
def wallboard_page(
    request: Request, shared: SharedDep, user: Annotated[PageUser, Depends(page(Permission.view_wallboard))]
) -> Response:
    """The supervisor's wallboard: queues and lawyers, live; listen in and force pauses; overdue tickets."""
    return templates.TemplateResponse(
        request,
        "wallboard.html",
        _context(
            request,
            user,
            pause_reasons=shared.settings.routing.pause_reasons,
            can_listen=allowed(user.actor.role, Permission.supervise_calls),
            can_pause=allowed(user.actor.role, Permission.manage_queue_membership),
            can_handle_alerts=allowed(user.actor.role, Permission.handle_alerts),
            can_manage_tickets=allowed(user.actor.role, Permission.manage_tickets),
            service_level_seconds=shared.settings.console.service_level_seconds,
        ),
    )


@router.get("/admin")
def admin_page(
    request: Request, user: Annotated[PageUser, Depends(page(Permission.manage_users))]
) -> Response:
    """Users and roles, lawyers and their SIP credentials, queue settings."""
    return templates.TemplateResponse(
        request,
        "admin.html",
        _context(request, user, role_labels={role.value: label for role, label in ROLE_LABELS.items()}),
    )


@router.get("/review")
def review_page(
    request: Request, user: Annotated[PageUser, Depends(page(Permission.review_calls))]
) -> Response:
    """Quality review: one's assigned calls, the player synced to the transcript, the scorecard."""
    return templates.TemplateResponse(
        request,
        "review.html",
        _context(request, user, can_manage=allowed(user.actor.role, Permission.manage_reviews)),
    )


@router.get("/criticism")
def criticism_page(
    request: Request,
    shared: SharedDep,
    stats: Annotated[Statistics, part(Statistics)],
    user: Annotated[PageUser, Depends(page(Permission.handle_criticism))],
) -> Response:
    """The duty leader's page: citizens' criticism by reply deadline, listening, handling, replying;
    the month's analysis report, its measures and (for supervisors) publishing it."""
    return templates.TemplateResponse(
        request,
        "criticism.html",
        _context(
            request,
            user,
            report_month=previous_month(shared.clock(), stats.timezone),
            can_publish=allowed(user.actor.role, Permission.submit_reports),
        ),
    )


@router.get("/reports")
def reports_page(
    request: Request,
    shared: SharedDep,
    stats: Annotated[Statistics, part(Statistics)],
    user: Annotated[PageUser, Depends(page(Permission.view_reports))],
) -> Response:
    """Statistics of a month (last month by default) or of chosen days: KPI tiles, charts, tables;
    the monthly report's downloads, regeneration and submission."""
    tiles = [
        {
            "key": key,
            "label": KPI_BY_KEY[key].label.removesuffix("(秒)"),
            "kind": KPI_BY_KEY[key].kind,
            "better": "lower" if key in LOWER_IS_BETTER else "higher",
        }
        for key in REPORT_TILES
    ]
    return templates.TemplateResponse(
        request,
        "reports.html",
        _context(
            request,
            user,
            tiles=tiles,
            default_month=previous_month(shared.clock(), stats.timezone),
            can_submit=allowed(user.actor.role, Permission.submit_reports),
            can_publish=allowed(user.actor.role, Permission.publish_assessment),
        ),
    )
