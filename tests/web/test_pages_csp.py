"""Every page works in real Chromium under the Content-Security-Policy (no inline script or style):
no violation is reported, no script fails, each page's script reads its data and fills the page;
no other site may frame a page; signing out in the browser ends the session on the server."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

import httpx
import pytest
from playwright.async_api import Browser, ConsoleMessage, Page, expect

from hotline.auth.models import Role
from hotline.auth.service import create_user
from hotline.auth.sessions import SESSION_COOKIE
from hotline.routing.service import create_lawyer
from hotline.staff.service import link_lawyer
from tests.browser import chromium, serve, signed_in_page
from tests.helpers import app_without_asterisk

PASSWORD = "csp-page-password-1"
UI = 10_000  # ms

# Each page with the roles that open it and what shows that its script ran with the page's data.
READY: dict[str, tuple[frozenset[Role], dict[Role, str]]] = {
    "/": (frozenset(Role), {}),
    "/desk": (frozenset({Role.lawyer}), {Role.lawyer: '#live-status[data-state="open"]'}),
    "/wallboard": (
        frozenset({Role.admin, Role.supervisor}),
        {
            Role.supervisor: "#dead-handoffs tbody tr.empty",  # canManageTickets, from the page's data
            Role.admin: '#live-status[data-state="open"]',
        },
    ),
    "/review": (
        frozenset({Role.supervisor, Role.reviewer}),
        {Role.supervisor: "#sample-day:not([value=''])", Role.reviewer: "#no-reviews:visible"},
    ),
    "/reports": (
        frozenset({Role.admin, Role.supervisor}),
        {  # the charts drawn by the vendored ECharts; the month's report read from the API
            Role.supervisor: '#chart-hours[data-drawn="true"] svg',
            Role.admin: '#report-state:text-is("尚未生成")',
        },
    ),
    "/admin": (frozenset({Role.admin}), {Role.admin: '#users td:text-is("管理员")'}),  # the role labels
    "/criticism": (  # the categories read from the API, then the list
        frozenset({Role.leader, Role.supervisor}),
        {Role.leader: 'body[data-ready="true"]', Role.supervisor: 'body[data-ready="true"]'},
    ),
}


@dataclass
class Site:
    url: str


@pytest.fixture(scope="module")
async def site(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Site]:
    async with app_without_asterisk(tmp_path_factory.mktemp("csp-pages")) as (app, runtime):
        with runtime.session_factory.begin() as session:
            create_lawyer(session, "律师甲", "8001")
            for role in Role:
                create_user(session, f"csp-{role.value}", PASSWORD, role.value)
            link_lawyer(session, "csp-lawyer", "8001")
        async with serve(app) as url:
            yield Site(url)


@pytest.fixture(scope="module")
async def browser() -> AsyncIterator[Browser]:
    async with chromium() as browser:
        yield browser


async def watched(page: Page) -> list[str]:
    """Everything the page reports as broken: CSP violations, script errors, console errors."""
    problems: list[str] = []
    await page.add_init_script(
        "document.addEventListener('securitypolicyviolation', (e) => "
        "console.error(`CSP violation: ${e.violatedDirective} ${e.blockedURI}`));"
    )

    def on_console(message: ConsoleMessage) -> None:
        if message.type == "error":
            problems.append(message.text)

    page.on("console", on_console)
    page.on("pageerror", lambda error: problems.append(f"script error: {error}"))
    return problems


@pytest.mark.parametrize("role", list(Role), ids=[role.value for role in Role])
async def test_each_roles_pages_work_under_the_csp(site: Site, browser: Browser, role: Role) -> None:
    page = await signed_in_page(browser, site.url, f"csp-{role.value}", PASSWORD)
    problems = await watched(page)
    for path, (roles, ready) in READY.items():
        if role not in roles:
            continue
        response = await page.goto(path)
        assert response is not None and response.status == 200, path
        assert "frame-ancestors 'none'" in (await response.all_headers())["content-security-policy"]
        if role in ready:
            await expect(page.locator(ready[role]).first).to_be_visible(timeout=UI)
        await expect(page.locator("header nav")).to_be_visible()
        assert problems == [], (path, problems)
    await page.context.close()


async def test_no_other_site_can_frame_a_page(site: Site, browser: Browser) -> None:
    context = await browser.new_context()
    page = await context.new_page()
    async with page.expect_console_message(lambda m: "frame-ancestors" in m.text, timeout=UI) as refused:
        await page.set_content(f'<iframe src="{site.url}/login" title="framed"></iframe>')
    assert "has been blocked" in (await refused.value).text
    framed = page.frame_locator("iframe")
    await expect(framed.get_by_role("button", name="登录")).to_have_count(0)
    await context.close()


async def test_signing_out_in_the_browser_ends_the_session_on_the_server(
    site: Site, browser: Browser
) -> None:
    page = await signed_in_page(browser, site.url, "csp-supervisor", PASSWORD)
    (cookie,) = [c["value"] for c in await page.context.cookies() if c["name"] == SESSION_COOKIE]
    await page.get_by_role("button", name="退出登录").click()
    await page.wait_for_url(f"{site.url}/login")
    async with httpx.AsyncClient(base_url=site.url, cookies={SESSION_COOKIE: cookie}) as replay:
        assert (await replay.get("/wallboard")).headers.get("location") == "/login"
        assert (await replay.get("/api/v1/wallboard")).status_code == 401
    await page.context.close()
