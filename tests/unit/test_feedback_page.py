"""The public feedback page (网上留言): no sign-in, CSRF-checked, one item per form however often it
is sent, clear answers for what is wrong, rate limits per address and per phone number; the item
reaches the duty leader's list with its reference number (time from an injected clock)."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime

import httpx
import pytest
from sqlalchemy import func, select

from hotline.criticism.models import Criticism
from tests.helpers import ManualClock, app_without_asterisk

# Monday 7 December 2026, 10:00 in Beijing.
MONDAY = datetime(2026, 12, 7, 2, 0, tzinfo=UTC)


@dataclass
class Site:
    http: httpx.AsyncClient
    count: object


@pytest.fixture
async def site(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Site]:
    async with app_without_asterisk(tmp_path_factory.mktemp("feedback"), clock=ManualClock(MONDAY)) as (
        app,
        runtime,
    ):

        def count() -> int:
            with runtime.session_factory() as session:
                return session.scalar(select(func.count()).select_from(Criticism)) or 0

        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://hotline.test") as http:
            yield Site(http, count)


def _nonce(page: httpx.Response) -> str:
    match = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert match, page.text
    return match.group(1)


async def _send(http: httpx.AsyncClient, **fields: str) -> httpx.Response:
    form = await http.get("/feedback")
    data = {"text": "律师态度不耐烦，没听完就挂电话了", "phone": "13905770123", "csrf": _nonce(form)}
    data.update(fields)
    return await http.post("/feedback", data=data)


async def test_a_citizen_sends_criticism_without_signing_in_and_gets_its_number(site: Site) -> None:
    page = await site.http.get("/feedback")
    assert page.status_code == 200 and "群众意见与建议" in page.text and "服务态度" in page.text
    assert "hotline_feedback" in page.headers["set-cookie"] and "HttpOnly" in page.headers["set-cookie"]
    done = await _send(site.http, name="张先生", category="attitude")
    assert done.status_code == 200, done.text
    reference = re.search(r'id="reference">([^<]+)<', done.text)
    assert reference and reference.group(1) == "YJ-20261207-0001"
    assert "2026年12月14日 10:00" in done.text  # five working days later
    assert site.count() == 1  # type: ignore[operator]


async def test_the_same_form_sent_twice_is_one_item(site: Site) -> None:
    form = await site.http.get("/feedback")
    data = {"text": "等了很久没人接", "phone": "13905770124", "csrf": _nonce(form)}
    first = await site.http.post("/feedback", data=data)
    again = await site.http.post("/feedback", data=data)
    assert first.status_code == again.status_code == 200
    assert re.findall(r'id="reference">([^<]+)<', first.text) == re.findall(
        r'id="reference">([^<]+)<', again.text
    )
    assert site.count() == 1  # type: ignore[operator]


async def test_a_form_without_its_cookie_or_token_is_refused(site: Site) -> None:
    forged = await site.http.post("/feedback", data={"text": "x", "phone": "13905770123", "csrf": "guess"})
    assert forged.status_code == 403 and "页面已过期" in forged.text
    assert site.count() == 0  # type: ignore[operator]


@pytest.mark.parametrize(
    ("fields", "says"),
    [
        ({"text": " "}, "请填写您的意见或建议"),
        ({"phone": "12345"}, "请填写能联系到您的电话号码"),
        ({"text": "长" * 2001}, "最多 2000 字"),
    ],
    ids=["no-text", "short-number", "too-long"],
)
async def test_bad_input_is_refused_with_what_to_do_and_the_text_kept(
    site: Site, fields: dict[str, str], says: str
) -> None:
    response = await _send(site.http, **fields)
    assert response.status_code == 422 and says in response.text
    assert site.count() == 0  # type: ignore[operator]


async def test_one_number_sends_three_a_day_then_is_told_to_wait(site: Site) -> None:
    for _ in range(3):
        assert (await _send(site.http, phone="13905770125")).status_code == 200
    refused = await _send(site.http, phone="13905770125", text="第四条意见")
    assert refused.status_code == 429 and "该电话号码今天提交的意见已达上限（3 条）" in refused.text
    assert "第四条意见" in refused.text  # what they wrote is still in the form
    assert site.count() == 3  # type: ignore[operator]


async def test_one_address_sends_five_an_hour(site: Site) -> None:
    for index in range(5):
        assert (await _send(site.http, phone=f"1390577013{index}")).status_code == 200
    refused = await _send(site.http, phone="13905770139")
    assert refused.status_code == 429 and "一小时内提交的意见已达上限（5 条）" in refused.text
    assert site.count() == 5  # type: ignore[operator]
