"""The web chat in a real headless Chromium, against ``python bot.py`` as a new user runs it.

No REDIS_URL is set, so the bot serves from its embedded in-memory store: the setup someone
trying Switchboard for the first time gets.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from aiohttp import web
from aiohttp.test_utils import TestServer
from playwright.async_api import Browser, Page, WebSocketRoute, async_playwright, expect

from tests.botprocess import BotProcess

CHROMIUM = Path("/usr/bin/chromium")
if not CHROMIUM.exists():
    pytest.skip(f"the browser tests need Chromium at {CHROMIUM}", allow_module_level=True)

pytestmark = pytest.mark.browser

# The closed network refuses Google's endpoints; these flags stop Chromium from calling them
# (and from waiting on them) at start-up.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# Replies travel through the bot's pipeline and a socket push; generous enough for a slow CI box.
TIMEOUT_MS = 10_000

WELCOME = "Hi! Thanks for getting in touch. How can we help?"
HOURS = "We're open Monday to Friday, 9:00 to 17:30."
CONFIG = {"automation": {"welcome": WELCOME, "rules": [{"keywords": ["hours"], "reply": HOURS}]}}


@contextlib.contextmanager
def serving(config: dict[str, Any], env: dict[str, str] | None = None) -> Iterator[BotProcess]:
    """``python bot.py`` with ``config``, stopped after; its log printed (shown only when
    the test fails, which is when the log helps)."""
    process = BotProcess(config=config, env=env or {})
    try:
        process.start()
        yield process
    finally:
        process.stop()
        # Read before close() removes the working directory that holds it.
        if process.log_path.exists():
            print(process.output())
        process.close()


@pytest.fixture
def bot() -> Iterator[BotProcess]:
    """A fresh bot per test, so every visitor is a first contact and gets the welcome."""
    with serving(CONFIG) as process:
        yield process


@contextlib.asynccontextmanager
async def shop_site(port: int, pages: dict[str, str]) -> AsyncIterator[str]:
    """A shop's site on ``port`` of loopback (another origin than the bot's), serving each
    path's HTML of ``pages``; its origin."""

    def page(html: str) -> Callable[[web.Request], Awaitable[web.Response]]:
        async def serve(request: web.Request) -> web.Response:
            return web.Response(text=html, content_type="text/html")

        return serve

    site = web.Application()
    for path, html in pages.items():
        site.router.add_get(path, page(html))
    server = TestServer(site, host="127.0.0.1", port=port)
    await server.start_server()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        await server.close()


@contextlib.asynccontextmanager
async def launched_chromium() -> AsyncIterator[Browser]:
    """Debian's Chromium, headless, with the flags the closed network needs."""
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield browser
        finally:
            await browser.close()


@pytest_asyncio.fixture
async def browser() -> AsyncIterator[Browser]:
    async with launched_chromium() as launched:
        yield launched


async def open_chat(browser: Browser, url: str) -> Page:
    """A new visitor: a context of its own, so no cookies from any other visitor."""
    context = await browser.new_context()
    page = await context.new_page()
    await page.goto(url)
    return page


async def press_enter(page: Page, text: str) -> None:
    await page.locator("#text").fill(text)
    await page.locator("#text").press("Enter")


async def click_send(page: Page, text: str) -> None:
    await page.locator("#text").fill(text)
    await page.get_by_role("button", name="Send").click()


async def recorded_sockets(page: Page) -> tuple[list[WebSocketRoute], list[str]]:
    """The page's chat sockets, routed through the test as they open, and every text frame
    the page sends on them (read before ``page.goto``)."""
    sockets: list[WebSocketRoute] = []
    said: list[str] = []

    async def route(page_side: WebSocketRoute) -> None:
        sockets.append(page_side)
        server = page_side.connect_to_server()

        def from_page(message: str | bytes) -> None:
            if isinstance(message, str):
                said.append(message)
            server.send(message)

        page_side.on_message(from_page)

    await page.route_web_socket("**/webchat/socket*", route)
    return sockets, said


async def welcomed(browser: Browser, url: str) -> tuple[Page, list[WebSocketRoute]]:
    """A new visitor's chat (a context of its own), once they said "hi" and the welcome
    came; its sockets, on which the test may speak as the bot."""
    context = await browser.new_context()
    page = await context.new_page()
    sockets, _ = await recorded_sockets(page)
    await page.goto(url)
    await press_enter(page, "hi")
    await expect_log(page, "hi", WELCOME)
    return page, sockets


async def reconnected_and_answered(page: Page, sockets: list[WebSocketRoute]) -> None:
    """Drop the page's socket: it connects again, and a question is answered on the new one."""
    await sockets[0].close()
    await press_enter(page, "your hours?")
    await expect(page.locator("#log .msg.outbound").last).to_have_text(HOURS, timeout=TIMEOUT_MS)


async def expect_log(page: Page, *texts: str) -> None:
    """Exactly these bubbles, in this order: a duplicate or a stray message fails it."""
    await expect(page.locator("#log .msg")).to_have_text(list(texts), timeout=TIMEOUT_MS)


async def test_conversation_is_answered_and_survives_a_reload(
    bot: BotProcess, browser: Browser
) -> None:
    page = await open_chat(browser, bot.url)
    inbound = page.locator("#log .msg.inbound")
    outbound = page.locator("#log .msg.outbound")

    await press_enter(page, "hi")
    await expect(outbound).to_have_text([WELCOME], timeout=TIMEOUT_MS)
    await expect(page.locator("#text")).to_have_value("")

    await click_send(page, "What are your hours?")
    await expect(outbound).to_have_text([WELCOME, HOURS], timeout=TIMEOUT_MS)
    await expect(inbound).to_have_text(["hi", "What are your hours?"])
    await expect_log(page, "hi", WELCOME, "What are your hours?", HOURS)

    await page.reload()
    await expect(page.locator("#status")).to_have_text("online", timeout=TIMEOUT_MS)
    await expect(inbound).to_have_text(["hi", "What are your hours?"], timeout=TIMEOUT_MS)
    await expect(outbound).to_have_text([WELCOME, HOURS])
    await expect_log(page, "hi", WELCOME, "What are your hours?", HOURS)

    # A duplicate could also arrive after the history, as a late push. The reply to a new
    # message comes after anything already on its way, so once it shows, the log is settled;
    # it also shows the reloaded page is live, and that the welcome is for a first contact only.
    await press_enter(page, "hours again, please")
    await expect_log(
        page, "hi", WELCOME, "What are your hours?", HOURS, "hours again, please", HOURS
    )
    await expect(page.locator("#log .notice")).to_have_count(0)
    await page.context.close()


async def test_a_new_visitor_does_not_see_another_visitors_conversation(
    bot: BotProcess, browser: Browser
) -> None:
    ann = await open_chat(browser, bot.url)
    await press_enter(ann, "hi, this is Ann")
    await expect_log(ann, "hi, this is Ann", WELCOME)

    bob = await open_chat(browser, bot.url)
    # The server sends the history before it reads any frame, so by the time Bob's welcome
    # shows, his history has been drawn: had it held Ann's messages, they would be there too.
    await press_enter(bob, "hello, Bob here")
    await expect_log(bob, "hello, Bob here", WELCOME)

    ann_cookies = {cookie["name"]: cookie["value"] for cookie in await ann.context.cookies()}
    bob_cookies = {cookie["name"]: cookie["value"] for cookie in await bob.context.cookies()}
    assert ann_cookies["sb_vid"] != bob_cookies["sb_vid"]

    # Ann's next reply comes after anything of Bob's that could have leaked to her socket.
    await press_enter(ann, "your hours?")
    await expect_log(ann, "hi, this is Ann", WELCOME, "your hours?", HOURS)
    await expect_log(bob, "hello, Bob here", WELCOME)

    await ann.context.close()
    await bob.context.close()
