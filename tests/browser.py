"""Real Chromium (Debian's package) driven by Playwright, and the controller served over HTTP."""

from __future__ import annotations

import asyncio
import contextlib
import math
import os
import struct
import wave
from collections.abc import AsyncIterator
from pathlib import Path

import uvicorn
from fastapi import FastAPI
from playwright.async_api import Browser, Page, async_playwright

from hotline.http.server import server_config
from hotline.settings import WebSettings
from tests.helpers import eventually, free_port

CHROMIUM = os.environ.get("HOTLINE_CHROMIUM", "/usr/bin/chromium")
# Headless as root, and nothing that reaches for the network beyond loopback.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# WebRTC in a headless browser: fake camera (a test pattern) and microphone (a beep), no prompt,
# ICE over the loopback, host candidates as addresses (not mDNS names).
WEBRTC_ARGS = [
    "--use-fake-ui-for-media-stream",
    "--use-fake-device-for-media-stream",
    "--allow-loopback-in-peer-connection",
    "--disable-features=WebRtcHideLocalIpsWithMdns",
]
# Where the tests' browser saves screenshots of the pages (the README's), when set.
SCREENSHOT_DIR = os.environ.get("HOTLINE_SCREENSHOT_DIR")


@contextlib.asynccontextmanager
async def serve(app: FastAPI) -> AsyncIterator[str]:
    """Serve ``app`` (its lifespan already running) on a loopback port as ``hotline serve`` does;
    yields the base URL."""
    port = free_port()
    config = server_config(
        app,
        WebSettings(host="127.0.0.1", port=port),
        lifespan="off",
        log_level="warning",
        timeout_graceful_shutdown=2,
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    try:
        await eventually(lambda: server.started, timeout=10, what="the web server")
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await asyncio.wait_for(task, timeout=10)


def tone_wav(path: Path, seconds: float = 2.0, hertz: int = 440, rate: int = 48_000) -> Path:
    """A WAV of a steady tone: a fake microphone that is never silent, so what reaches the far
    end (a recording's leg) is measurable."""
    samples = (int(8000 * math.sin(2 * math.pi * hertz * n / rate)) for n in range(int(seconds * rate)))
    with wave.open(str(path), "wb") as audio:
        audio.setnchannels(1)
        audio.setsampwidth(2)
        audio.setframerate(rate)
        audio.writeframes(b"".join(struct.pack("<h", v) for v in samples))
    return path


@contextlib.asynccontextmanager
async def chromium(trusted_spki: str | None = None, microphone: Path | None = None) -> AsyncIterator[Browser]:
    """Chromium; with ``trusted_spki`` (a certificate's key hash) it also does WebRTC with fake
    devices and trusts that certificate (Asterisk's wss server); ``microphone`` is a WAV the fake
    microphone plays in a loop (else Chromium's short beeps)."""
    args = list(CHROMIUM_ARGS)
    if trusted_spki:
        args += [*WEBRTC_ARGS, f"--ignore-certificate-errors-spki-list={trusted_spki}"]
    if microphone:
        args.append(f"--use-file-for-fake-audio-capture={microphone}")
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=args, headless=True)
        try:
            yield browser
        finally:
            await browser.close()


async def signed_in_page(browser: Browser, base_url: str, username: str, password: str) -> Page:
    """A new browser context (its own cookies) signed in through the login form."""
    # The staff's browsers are in Wenzhou: the pages show times in its zone.
    context = await browser.new_context(
        base_url=base_url,
        locale="zh-CN",
        timezone_id="Asia/Shanghai",
        viewport={"width": 1400, "height": 900},
    )
    page = await context.new_page()
    await page.goto("/login")
    await page.get_by_label("用户名").fill(username)
    await page.get_by_label("密码").fill(password)
    await page.get_by_role("button", name="登录").click()
    await page.wait_for_url(f"{base_url}/")
    return page


async def screenshot(page: Page, name: str, part: str | None = None) -> None:
    """The page (or only the element ``part`` selects) as ``<name>.png`` in the screenshots'
    directory, when HOTLINE_SCREENSHOT_DIR names one (the README's pictures)."""
    if SCREENSHOT_DIR:
        path = str(Path(SCREENSHOT_DIR) / f"{name}.png")
        if part is None:
            await page.screenshot(path=path, full_page=True)
        else:
            await page.locator(part).screenshot(path=path)
