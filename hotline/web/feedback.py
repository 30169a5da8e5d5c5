"""The public feedback page (网上留言, /feedback): any citizen, without signing in, sends criticism
or a suggestion and gets its reference number.

The form is CSRF-checked like the sign-in form (a signed cookie and the nonce posted back); one
form sent twice (a reload, a double click) is one item; an address may send a few an hour, a phone
number a few a day (HOTLINE_CRITICISM__WEB_*), and whoever passes the limit is told so plainly.
The sender's address is kept only as a keyed hash, for the limit.
"""

from __future__ import annotations

import asyncio
from typing import Annotated

from fastapi import APIRouter, Cookie, Form, Request
from fastapi.responses import Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from hotline.ami.caller_id import clean_number
from hotline.auth.sessions import form_nonce_matches, issue_form_nonce
from hotline.criticism.models import Channel, Criticism
from hotline.criticism.service import CriticismDesk
from hotline.db.session import in_transaction
from hotline.http.proxies import client_address
from hotline.kernel.deps import SharedDep, part
from hotline.kernel.shared import Shared
from hotline.web.public_forms import keyed, set_form_cookie
from hotline.web.templating import templates

router = APIRouter(include_in_schema=False)

FEEDBACK_COOKIE = "hotline_feedback"
FORM_MINUTES = 60
PURPOSE = "feedback"
NAME_MAX = 64
DeskDep = Annotated[CriticismDesk, part(CriticismDesk)]


def _page(
    request: Request,
    shared: Shared,
    desk: CriticismDesk,
    *,
    status: int = 200,
    error: str = "",
    values: dict[str, str] | None = None,
) -> Response:
    cookie, nonce = issue_form_nonce(shared.token_key, PURPOSE, FORM_MINUTES)
    response = templates.TemplateResponse(
        request,
        "feedback.html",
        {
            "nonce": nonce,
            "error": error,
            "values": values or {},
            "categories": desk.taxonomy.categories,
            "text_max": shared.settings.criticism.web_text_max,
        },
        status_code=status,
    )
    set_form_cookie(
        response, request, shared, FEEDBACK_COOKIE, cookie, path="/feedback", minutes=FORM_MINUTES
    )
    return response


@router.get("/feedback")
def feedback_form(request: Request, shared: SharedDep, desk: DeskDep) -> Response:
    return _page(request, shared, desk)


@router.post("/feedback")
async def send_feedback(
    request: Request,
    shared: SharedDep,
    desk: DeskDep,
    text: Annotated[str, Form(max_length=50_000)] = "",
    phone: Annotated[str, Form(max_length=64)] = "",
    name: Annotated[str, Form(max_length=256)] = "",
    category: Annotated[str, Form(max_length=64)] = "",
    csrf: Annotated[str | None, Form(max_length=128)] = None,
    form_cookie: Annotated[str | None, Cookie(alias=FEEDBACK_COOKIE)] = None,
) -> Response:
    values = {"text": text, "phone": phone, "name": name, "category": category}
    limits = shared.settings.criticism
    if not form_nonce_matches(form_cookie, csrf, shared.token_key, PURPOSE) or csrf is None:
        return _page(request, shared, desk, status=403, error="页面已过期，请重新填写后提交。", values=values)
    number = clean_number(phone)
    problems = []
    if not text.strip():
        problems.append("请填写您的意见或建议。")
    elif len(text.strip()) > limits.web_text_max:
        problems.append(f"意见内容最多 {limits.web_text_max} 字，请精简后再提交。")
    if number is None or len(number.lstrip("+")) < shared.settings.tickets.callable_min_digits:
        problems.append("请填写能联系到您的电话号码（用于答复），例如 13800000000。")
    if len(name.strip()) > NAME_MAX:
        problems.append(f"姓名最多 {NAME_MAX} 字。")
    if problems:
        return _page(request, shared, desk, status=422, error=" ".join(problems), values=values)
    form_key = keyed(shared.token_key, f"form:{csrf}")
    source = keyed(shared.token_key, f"address:{client_address(request) or '-'}")
    now = shared.clock()

    def file(session: Session) -> Criticism | str:
        existing = session.scalar(select(Criticism).where(Criticism.form_key == form_key))
        if existing is not None:
            return existing  # sent twice: the same item
        reached = desk.web_limit_reached(
            session,
            source=source,
            phone=number,
            now=now,
            per_hour=limits.web_per_address_per_hour,
            per_day=limits.web_per_number_per_day,
        )
        if reached is not None:
            return reached
        return desk.receive(
            session,
            channel=Channel.web,
            at=now,
            text=text,
            name=name,
            phone=number,
            suggested=category or None,
            source=source,
            form_key=form_key,
        )

    filed = await asyncio.to_thread(in_transaction, shared.session_factory, file)
    if filed == "address":
        error = (
            f"您所在网络一小时内提交的意见已达上限（{limits.web_per_address_per_hour} 条），请稍后再试；"
            "如情况紧急，请直接拨打 12348。"
        )
        return _page(request, shared, desk, status=429, error=error, values=values)
    if filed == "number":
        error = (
            f"该电话号码今天提交的意见已达上限（{limits.web_per_number_per_day} 条），"
            "我们会尽快答复您已提交的意见。"
        )
        return _page(request, shared, desk, status=429, error=error, values=values)
    assert isinstance(filed, Criticism)
    due = filed.due_at.astimezone(desk.zone) if filed.due_at else None
    # The form's cookie stays until it expires: the same form sent again shows the same number.
    return templates.TemplateResponse(
        request, "feedback-done.html", {"number": filed.number, "due": due}, status_code=200
    )
