"""Sign-in throttling over HTTP (the token route and the sign-in page), with the app's clock pinned:
locks per user name and client address and per address, the same answers for unknown names, locks
an attacker cannot extend to other addresses, parallel guesses, an admin lifting a lock."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Literal

import httpx
import pytest
from argon2 import PasswordHasher
from fastapi import FastAPI

from hotline.auth import service
from hotline.auth.service import create_user
from hotline.auth.throttle import (
    ADDRESS_POLICY,
    NAME_POLICY,
    Failures,
    after_failure,
    current,
    locked_for,
)
from hotline.kernel.compose import Runtime
from tests.helpers import ManualClock, app_without_asterisk

NOW = datetime(2026, 12, 3, 2, 0, tzinfo=UTC)
ADMIN_PASSWORD = "admin-password-123"
LAWYER_PASSWORD = "lawyer-password-123"
WRONG = "not-the-password-1"
ATTACKER, USER = "203.0.113.66", "198.51.100.7"

pytestmark = pytest.mark.usefixtures("cheap_hashes")  # many sign-ins here


@dataclass
class Site:
    app: FastAPI
    runtime: Runtime
    clock: ManualClock

    def client(self, address: str) -> httpx.AsyncClient:
        transport = httpx.ASGITransport(app=self.app, client=(address, 40000))
        return httpx.AsyncClient(transport=transport, base_url="http://hotline.test")

    async def token(self, address: str, username: str, password: str) -> httpx.Response:
        async with self.client(address) as http:
            return await http.post("/api/v1/auth/token", data={"username": username, "password": password})

    async def page_sign_in(self, address: str, username: str, password: str) -> httpx.Response:
        async with self.client(address) as http:
            form = await http.get("/login")
            nonce = re.search(r'name="csrf" value="([^"]+)"', form.text)
            assert nonce, form.text
            data = {"username": username, "password": password, "csrf": nonce.group(1)}
            return await http.post("/login", data=data)


@pytest.fixture
async def site(tmp_path: Path) -> AsyncIterator[Site]:
    clock = ManualClock(NOW)
    async with app_without_asterisk(tmp_path, clock=clock) as (app, runtime):
        with runtime.session_factory.begin() as session:
            create_user(session, "admin-user", ADMIN_PASSWORD, "admin")
            create_user(session, "lawyer-li", LAWYER_PASSWORD, "lawyer")
        yield Site(app, runtime, clock)


def answer(response: httpx.Response) -> tuple[Any, ...]:
    body = response.json()
    return (response.status_code, body.get("error_id"), body.get("message"), body.get("details"),
            response.headers.get("retry-after"))  # fmt: skip


# --- the rule -----------------------------------------------------------------------------------------


def test_the_rule_lets_a_few_failures_pass_then_locks_for_longer_each_time() -> None:
    minutes = [NAME_POLICY.lock(n) / timedelta(minutes=1) for n in range(1, 12)]
    assert minutes == [0, 0, 0, 1, 2, 4, 8, 16, 32, 60, 60]
    assert [ADDRESS_POLICY.lock(n) / timedelta(minutes=1) for n in (20, 21, 22, 30, 10**6)] == [
        0,
        1,
        2,
        15,
        15,
    ]
    failures = Failures()
    for _ in range(NAME_POLICY.free + 1):
        failures = after_failure(NAME_POLICY, failures, NOW)
    assert locked_for(NAME_POLICY, failures, NOW) == timedelta(minutes=1)
    assert locked_for(NAME_POLICY, failures, NOW + timedelta(seconds=59)) == timedelta(seconds=1)
    assert locked_for(NAME_POLICY, failures, NOW + timedelta(minutes=1)) == timedelta(0)
    # A quiet day and the count is forgotten: the next failure is the first again.
    assert current(NAME_POLICY, failures, NOW + timedelta(days=1)) == Failures()
    assert after_failure(NAME_POLICY, failures, NOW + timedelta(days=1)) == Failures(
        1, NOW + timedelta(days=1)
    )


# --- per name and address -------------------------------------------------------------------------------


async def test_guessing_from_one_address_never_locks_the_user_out_from_another(site: Site) -> None:
    for _ in range(NAME_POLICY.free + 1):
        assert (await site.token(ATTACKER, "admin-user", WRONG)).status_code == 401
    refused = await site.token(ATTACKER, "admin-user", ADMIN_PASSWORD)
    assert refused.status_code == 429 and refused.json()["error_id"] == "auth-locked"
    assert refused.headers["retry-after"] == "60" and "access_token" not in refused.json()
    # The attacker guesses again each time the lock ends, for hours (what kept admin locked before) ...
    lock = timedelta(minutes=1)
    for _ in range(8):
        site.clock.advance(lock)
        assert (await site.token(ATTACKER, "admin-user", WRONG)).status_code == 401
        lock = min(lock * 2, NAME_POLICY.max_lock)
        locked = await site.token(ATTACKER, "admin-user", ADMIN_PASSWORD)
        assert locked.status_code == 429 and int(locked.headers["retry-after"]) == lock.total_seconds()
        # ... while the admin signs in from their own address all along.
        mine = await site.token(USER, "admin-user", ADMIN_PASSWORD)
        assert mine.status_code == 200, mine.text


async def test_a_lock_ends_and_a_right_password_starts_the_count_again(site: Site) -> None:
    for _ in range(NAME_POLICY.free + 1):
        await site.token(ATTACKER, "lawyer-li", WRONG)
    assert (await site.token(ATTACKER, "lawyer-li", LAWYER_PASSWORD)).status_code == 429
    site.clock.advance(timedelta(minutes=1))
    assert (await site.token(ATTACKER, "lawyer-li", LAWYER_PASSWORD)).status_code == 200
    for _ in range(NAME_POLICY.free):  # free again, not locked at the first failure
        assert (await site.token(ATTACKER, "lawyer-li", WRONG)).status_code == 401
    assert (await site.token(ATTACKER, "lawyer-li", LAWYER_PASSWORD)).status_code == 200


async def test_unknown_and_known_names_get_the_same_answers_and_the_same_locks(site: Site) -> None:
    async def answers(username: str, address: str) -> list[tuple[Any, ...]]:
        return [answer(await site.token(address, username, WRONG)) for _ in range(NAME_POLICY.free + 3)]

    known = await answers("admin-user", "203.0.113.1")
    unknown = await answers("no-such-user", "203.0.113.2")
    assert known == unknown
    assert [status for status, *_ in known] == [401] * (NAME_POLICY.free + 1) + [429, 429]
    assert known[0][1:3] == ("auth-failed", "Wrong user name or password.")
    # A deactivated account answers like a wrong password, even with the right one.
    async with site.client(USER) as http:
        admin = await http.post(
            "/api/v1/auth/token", data={"username": "admin-user", "password": ADMIN_PASSWORD}
        )
        headers = {"Authorization": f"Bearer {admin.json()['access_token']}"}
        assert (
            await http.patch("/api/v1/users/lawyer-li", json={"active": False}, headers=headers)
        ).is_success
    assert answer(await site.token("203.0.113.3", "lawyer-li", LAWYER_PASSWORD)) == known[0]
    # The sign-in page too.
    pages = []
    for name, address in (("admin-user", "203.0.113.4"), ("no-such-user-2", "203.0.113.5")):
        responses = [await site.page_sign_in(address, name, WRONG) for _ in range(NAME_POLICY.free + 2)]
        pages.append([(r.status_code, re.findall(r'role="alert">([^<]*)<', r.text),
                       r.headers.get("retry-after")) for r in responses])  # fmt: skip
    assert pages[0] == pages[1]
    assert pages[0][-1] == (429, ["登录失败次数过多，请 1 分钟后再试，或请管理员解除锁定。"], "60")
    assert pages[0][0] == (401, ["用户名或密码错误。"], None)


async def test_an_unknown_name_costs_one_password_hash_like_a_known_one(
    site: Site, monkeypatch: pytest.MonkeyPatch
) -> None:
    checked: list[str] = []

    class Counting(PasswordHasher):
        def verify(self, hash: str | bytes, password: str | bytes) -> Literal[True]:
            checked.append("verify")
            return super().verify(hash, password)

    monkeypatch.setattr(service, "_hasher", Counting(time_cost=1, memory_cost=64, parallelism=1))
    await site.token("203.0.113.1", "admin-user", WRONG)
    await site.token("203.0.113.2", "no-such-user", WRONG)
    assert len(checked) == 2


# --- per address -----------------------------------------------------------------------------------------


async def test_one_address_cannot_try_a_password_on_many_names(site: Site) -> None:
    for n in range(ADDRESS_POLICY.free + 1):
        assert (await site.token(ATTACKER, f"name-{n}", WRONG)).status_code == 401
    refused = await site.token(ATTACKER, "admin-user", ADMIN_PASSWORD)  # even the right password
    assert refused.status_code == 429 and refused.headers["retry-after"] == "60"
    assert refused.json()["details"]["scope"] == "address"
    assert "from your address" in refused.json()["message"]
    assert (await site.token(USER, "admin-user", ADMIN_PASSWORD)).status_code == 200  # other addresses
    site.clock.advance(timedelta(minutes=1))
    assert (await site.token(ATTACKER, "admin-user", ADMIN_PASSWORD)).status_code == 200


async def test_forwarded_for_headers_from_an_untrusted_peer_do_not_dodge_the_throttle(site: Site) -> None:
    for n in range(NAME_POLICY.free + 1):
        async with site.client(ATTACKER) as http:
            data = {"username": "admin-user", "password": WRONG}
            await http.post("/api/v1/auth/token", data=data, headers={"X-Forwarded-For": f"192.0.2.{n}"})
    assert (await site.token(ATTACKER, "admin-user", ADMIN_PASSWORD)).status_code == 429


async def test_successful_sign_ins_do_not_count_against_the_address(site: Site) -> None:
    for n in range(ADDRESS_POLICY.free):
        await site.token(ATTACKER, f"name-{n}", WRONG)
    for _ in range(5):  # a busy office behind one address
        assert (await site.token(ATTACKER, "lawyer-li", LAWYER_PASSWORD)).status_code == 200
    assert (await site.token(ATTACKER, "typo", WRONG)).status_code == 401  # the 21st failure: locks now
    assert (await site.token(ATTACKER, "lawyer-li", LAWYER_PASSWORD)).status_code == 429


async def test_parallel_guesses_do_not_slip_past_the_lock(site: Site) -> None:
    answers = await asyncio.gather(*(site.token(ATTACKER, "admin-user", WRONG) for _ in range(12)))
    statuses = sorted(response.status_code for response in answers)
    assert statuses == [401] * (NAME_POLICY.free + 1) + [429] * (12 - NAME_POLICY.free - 1)


# --- the admin ----------------------------------------------------------------------------------------------


async def test_an_admin_lifts_a_lock_by_reactivating_the_account(site: Site) -> None:
    for _ in range(NAME_POLICY.free + 1):
        await site.token(ATTACKER, "lawyer-li", WRONG)
    async with site.client(USER) as http:
        admin = await http.post(
            "/api/v1/auth/token", data={"username": "admin-user", "password": ADMIN_PASSWORD}
        )
        headers = {"Authorization": f"Bearer {admin.json()['access_token']}"}
        users = {u["username"]: u for u in (await http.get("/api/v1/users", headers=headers)).json()}
        assert users["lawyer-li"]["locked"] and not users["admin-user"]["locked"]
        lifted = await http.patch("/api/v1/users/lawyer-li", json={"active": True}, headers=headers)
        assert lifted.status_code == 200 and lifted.json()["locked"] is False
    assert (await site.token(ATTACKER, "lawyer-li", LAWYER_PASSWORD)).status_code == 200


async def test_the_sign_in_page_is_throttled_like_the_api(site: Site) -> None:
    for _ in range(NAME_POLICY.free + 1):
        wrong = await site.page_sign_in(ATTACKER, "lawyer-li", WRONG)
        assert wrong.status_code == 401
    locked = await site.page_sign_in(ATTACKER, "lawyer-li", LAWYER_PASSWORD)
    assert (
        locked.status_code == 429
        and "登录失败次数过多" in locked.text
        and "hotline_session" not in locked.cookies
    )
    assert locked.headers["retry-after"] == "60"
    # The API counts the same failures: the name is locked there too from this address ...
    assert (await site.token(ATTACKER, "lawyer-li", LAWYER_PASSWORD)).status_code == 429
    # ... and not from another.
    assert (await site.page_sign_in(USER, "lawyer-li", LAWYER_PASSWORD)).status_code == 303
