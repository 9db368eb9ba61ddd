"""The web chat widget in a real headless Chromium: a shop's page on another origin loads
``widget.js``, and its visitor chats, at desktop and phone sizes, through a reload and a
restart of the bot. One bot process (on the real Redis, so a restart keeps the history) and
one browser serve the whole module; each test is a new visitor with a context of its own.

Each test keeps a screenshot in ``artifacts/screenshots/`` for CI to archive.
"""

from __future__ import annotations

import asyncio
import json
import secrets
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
import pytest_asyncio
from playwright.async_api import (
    Browser,
    FrameLocator,
    Page,
    Request,
    expect,
)
from redis import Redis

from tests.botprocess import ROOT, BotProcess, free_port
from tests.conftest import REDIS_URL
from tests.test_browser import CHROMIUM, HOURS, TIMEOUT_MS, WELCOME, launched_chromium

if not CHROMIUM.exists():
    pytest.skip(f"the browser tests need Chromium at {CHROMIUM}", allow_module_level=True)

pytestmark = [pytest.mark.browser, pytest.mark.asyncio(loop_scope="module")]

SCREENSHOTS = ROOT / "artifacts" / "screenshots"
TITLE = "Acme Help"
COLOUR = "#c2410c"
GREETING = "Ask Acme anything"
ADMIN_TOKEN = secrets.token_urlsafe(24)
PHONE = {"width": 390, "height": 844}
# A real 1x1 PNG, so that the browser draws it.
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489"
    "0000000d49444154789c63f8cfc0f01f00050001ff89993d1d0000000049454e44ae426082"
)
PDF = b"%PDF-1.4\n% size guide\n"
DESKTOP = {"width": 1280, "height": 800}
FLOW = {
    "start": ["delivery"],
    "steps": [
        {
            "id": "slot",
            "ask": "When should we deliver?",
            "input": "choice",
            "choices": ["Morning", "Evening"],
            "save": "slot",
        }
    ],
    "end": "Done: we'll deliver in the {slot}.",
}


class Shop:
    """A shop's site on another origin (``localhost``, where the bot is ``127.0.0.1``)."""

    def __init__(self, bot_url: str) -> None:
        self.port = free_port()
        self.origin = f"http://localhost:{self.port}"
        self._root = tempfile.TemporaryDirectory(prefix="shop-")
        page = (
            "<!doctype html><html><head><meta charset='utf-8'>"
            "<meta name='viewport' content='width=device-width, initial-scale=1'>"
            "<title>Shop</title></head><body><h1>Acme shop</h1><p>Shoes and more.</p>"
            f'<script src="{bot_url}/widget.js" async></script></body></html>'
        )
        Path(self._root.name, "index.html").write_text(page, encoding="utf-8")
        frame = f'<!doctype html><h1>Framed</h1><iframe src="{bot_url}/widget"></iframe>'
        Path(self._root.name, "frame.html").write_text(frame, encoding="utf-8")
        self.other_origin = f"http://127.0.0.1:{self.port}"
        """The same pages on an origin that is not in ``tracking.origins``."""
        self.process = subprocess.Popen(
            [sys.executable, "-m", "http.server", str(self.port), "--bind", "127.0.0.1"],
            cwd=self._root.name,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/", timeout=1):
                    return
            except OSError:
                time.sleep(0.05)
        raise TimeoutError("the shop's server did not start")

    def close(self) -> None:
        self.process.terminate()
        self.process.wait(10)
        self._root.cleanup()


@pytest.fixture(scope="module")
def site() -> Iterator[tuple[BotProcess, Shop]]:
    """One bot for the module, on the real Redis under a prefix of its own, and the shop."""
    port = free_port()
    shop = Shop(f"http://127.0.0.1:{port}")
    prefix = f"test:widget-browser:{secrets.token_hex(4)}:"
    config = {
        "automation": {
            "welcome": WELCOME,
            "rules": [{"keywords": ["hours"], "reply": HOURS}],
            "flows": {"delivery": FLOW},
        },
        "webchat": {"title": TITLE, "colour": COLOUR, "greeting": GREETING},
        "tracking": {"origins": [shop.origin]},
    }
    env = {
        "REDIS_URL": REDIS_URL,
        "SWITCHBOARD_KEY_PREFIX": prefix,
        "SWITCHBOARD_ADMIN_TOKEN": ADMIN_TOKEN,
    }
    bot = BotProcess(env=env, config=config, port=port)
    try:
        bot.start()
        yield bot, shop
    finally:
        bot.stop()
        if bot.log_path.exists():
            print(bot.output())
        bot.close()
        shop.close()
        redis = Redis.from_url(REDIS_URL)
        for key in redis.scan_iter(match=f"{prefix}*", count=1000):
            redis.delete(key)
        redis.close()


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def browser() -> AsyncIterator[Browser]:
    async with launched_chromium() as launched:
        yield launched


async def visit_shop(browser: Browser, shop: Shop, viewport: dict[str, int] = DESKTOP) -> Page:
    """A new visitor on the shop's page, with the chat opened from the launcher."""
    context = await browser.new_context(viewport=viewport)  # type: ignore[arg-type]
    page = await context.new_page()
    await page.goto(shop.origin + "/")
    launcher = page.locator("#switchboard-widget .launcher")
    await expect(launcher).to_have_attribute("aria-label", TITLE, timeout=TIMEOUT_MS)
    await launcher.click()
    await expect(chat(page).locator("#status")).to_have_text("online", timeout=TIMEOUT_MS)
    return page


def chat(page: Page) -> FrameLocator:
    return page.frame_locator("#switchboard-widget iframe")


async def say(page: Page, text: str) -> None:
    await chat(page).locator("#text").fill(text)
    await chat(page).locator("#text").press("Enter")


async def expect_log(page: Page, *texts: str) -> None:
    await expect(chat(page).locator("#log .msg")).to_have_text(list(texts), timeout=TIMEOUT_MS)


async def screenshot(page: Page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=str(SCREENSHOTS / f"{name}.png"))


def api(bot: BotProcess, method: str, path: str, token: str, body: object = None) -> object:
    data = None if body is None else json.dumps(body).encode()
    return json.loads(fetch(bot, method, path, token, data, "application/json"))


def fetch(
    bot: BotProcess,
    method: str,
    path: str,
    token: str,
    data: bytes | None = None,
    content_type: str = "application/octet-stream",
) -> bytes:
    """A call of the bot's API as a service; short, so it may block the test's loop."""
    request = urllib.request.Request(
        bot.url + path,
        method=method,
        data=data,
        headers={"Authorization": f"Bearer {token}", "Content-Type": content_type},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        body: bytes = response.read()
        return body


async def test_a_visitor_chats_from_the_widget_on_another_site(
    site: tuple[BotProcess, Shop], browser: Browser
) -> None:
    bot, shop = site
    page = await visit_shop(browser, shop)
    frame = chat(page)
    await expect(frame.locator("#title")).to_have_text(TITLE)
    await expect(frame.locator("#hint")).to_have_text(GREETING)
    await expect(frame.locator("header")).to_have_css("background-color", "rgb(194, 65, 12)")

    await say(page, "hi")
    await expect_log(page, "hi", WELCOME)
    await expect(frame.locator("#log .msg.inbound")).to_have_attribute("data-state", "sent")

    # The site keeps the visitor id in its own storage; the chat is that visitor's.
    visitor = await page.evaluate("window.Switchboard.visitorId()")
    assert visitor == await page.evaluate("localStorage.getItem('sb_vid')")
    token = service_token(bot)
    # The welcome the page showed is confirmed: delivered, in the timeline services read.
    timeline = conversation_of(bot, token, visitor)
    deadline = time.monotonic() + TIMEOUT_MS / 1000
    while time.monotonic() < deadline:
        messages = api(bot, "GET", timeline, token)["messages"]  # type: ignore[index]
        if messages[-1].get("status") == "delivered":
            break
        await asyncio.sleep(0.05)
    assert messages[-1]["status"] == "delivered"

    # An agent types: the visitor sees it, until the reply comes.
    api(bot, "POST", f"{timeline}/typing", token, {"agent": "bob"})
    await expect(frame.locator("#typing")).to_be_visible(timeout=TIMEOUT_MS)
    await screenshot(page, "widget-desktop-typing")
    api(bot, "POST", f"{timeline}/messages", token, {"text": "Bob here 👋 how can I help?"})
    await expect_log(page, "hi", WELCOME, "Bob here 👋 how can I help?")
    await expect(frame.locator("#typing")).to_be_hidden()

    # Emoji from the picker, sent and answered.
    await frame.get_by_role("button", name="Emoji").click()
    await frame.locator("#emojis button", has_text="👍").click()
    await frame.locator("#text").press("End")
    await frame.locator("#text").type(" hours")
    await frame.locator("#text").press("Enter")
    await expect_log(page, "hi", WELCOME, "Bob here 👋 how can I help?", "👍 hours", HOURS)
    await screenshot(page, "widget-desktop")
    await page.context.close()


SERVICE = {"name": "desk", "url": "http://127.0.0.1:9/hook", "secret": secrets.token_hex(16)}
_TOKENS: dict[str, str] = {}


def service_token(bot: BotProcess) -> str:
    """A service of the bot's number, attached once for the module."""
    if "desk" not in _TOKENS:
        _TOKENS["desk"] = api(bot, "POST", "/v1/services", ADMIN_TOKEN, SERVICE)["token"]  # type: ignore[index]
    return _TOKENS["desk"]


def conversation_of(bot: BotProcess, token: str, visitor: str) -> str:
    found = api(bot, "GET", "/v1/conversations", token)
    (conversation,) = [
        c
        for c in found["conversations"]  # type: ignore[index]
        if c["customer"] == f"vid:{visitor}"
    ]
    return f"/v1/conversations/{conversation['id']}"


async def test_images_and_files_go_both_ways(
    site: tuple[BotProcess, Shop], browser: Browser, tmp_path: Path
) -> None:
    bot, shop = site
    page = await visit_shop(browser, shop)
    frame = chat(page)
    await say(page, "hi")
    await expect_log(page, "hi", WELCOME)
    image = tmp_path / "shoe.png"
    image.write_bytes(PNG)
    await frame.locator("#file").set_input_files(str(image))
    sent = frame.locator("#log .msg.inbound img")
    await expect(sent).to_have_attribute("alt", "shoe.png", timeout=TIMEOUT_MS)
    await expect(frame.locator("#log .msg.inbound").last).to_have_attribute("data-state", "sent")
    assert await sent.evaluate("image => image.complete && image.naturalWidth") == 1

    token = service_token(bot)
    visitor = await page.evaluate("window.Switchboard.visitorId()")
    timeline = conversation_of(bot, token, visitor)
    messages = api(bot, "GET", timeline, token)["messages"]  # type: ignore[index]
    media_id = messages[-1]["media"]["id"]
    assert fetch(bot, "GET", f"/v1/media/{media_id}", token) == PNG

    uploaded = fetch(
        bot, "POST", "/v1/media?filename=size-guide.pdf", token, PDF, "application/pdf"
    )
    upload = json.loads(uploaded)["media"]["id"]
    body = {"media": {"type": "document", "id": upload, "caption": "Our size guide"}}
    api(bot, "POST", f"{timeline}/messages", token, body)
    received = frame.locator("#log .msg.outbound a.file")
    await expect(received).to_have_text("\N{PAPERCLIP} size-guide.pdf", timeout=TIMEOUT_MS)
    await expect(frame.locator("#log .msg.outbound").last).to_contain_text("Our size guide")
    async with page.expect_download() as download:
        await received.click()
    saved = tmp_path / "downloaded.pdf"
    await (await download.value).save_as(saved)
    assert saved.stat().st_size == len(PDF)
    await screenshot(page, "widget-files")
    await page.context.close()


async def test_at_phone_size_the_panel_fills_the_screen_and_closes(
    site: tuple[BotProcess, Shop], browser: Browser
) -> None:
    _, shop = site
    page = await visit_shop(browser, shop, PHONE)
    box = await page.locator("#switchboard-widget .panel").bounding_box()
    assert box is not None and (box["width"], box["height"]) == (PHONE["width"], PHONE["height"])
    await say(page, "hi")
    await expect_log(page, "hi", WELCOME)
    await say(page, "STOP")
    opted_out = chat(page).locator("#log .info")
    await expect(opted_out).to_contain_text("You have opted out", timeout=TIMEOUT_MS)
    await screenshot(page, "widget-phone")
    await chat(page).get_by_role("button", name="Close chat").click()
    await expect(page.locator("#switchboard-widget .panel")).to_be_hidden()
    await expect(page.locator("#switchboard-widget .launcher")).to_be_visible()
    await screenshot(page, "widget-phone-closed")
    await page.context.close()


async def test_a_reload_shows_the_history_not_faded(
    site: tuple[BotProcess, Shop], browser: Browser
) -> None:
    _, shop = site
    page = await visit_shop(browser, shop)
    await say(page, "hi")
    await expect_log(page, "hi", WELCOME)
    await say(page, "hours?")
    await expect_log(page, "hi", WELCOME, "hours?", HOURS)
    await page.reload()
    # The open chat opens again by itself, with the same visitor and its history.
    await expect(chat(page).locator("#status")).to_have_text("online", timeout=TIMEOUT_MS)
    await expect_log(page, "hi", WELCOME, "hours?", HOURS)
    await expect(chat(page).locator("#log .msg.sending")).to_have_count(0)
    opacities = (
        await chat(page)
        .locator("#log .msg")
        .evaluate_all("bubbles => bubbles.map(b => getComputedStyle(b).opacity)")
    )
    assert opacities == ["1"] * 4
    await screenshot(page, "widget-after-reload")
    await page.context.close()


async def test_a_flow_s_buttons_are_pressed_in_the_widget(
    site: tuple[BotProcess, Shop], browser: Browser
) -> None:
    _, shop = site
    page = await visit_shop(browser, shop, PHONE)
    await say(page, "delivery please")
    await expect_log(page, "delivery please", "When should we deliver?")
    await chat(page).locator(".choices").get_by_role("button", name="Evening").click()
    await expect_log(
        page,
        "delivery please",
        "When should we deliver?",
        "Evening",
        "Done: we'll deliver in the Evening.",
    )
    await expect(chat(page).locator(".choices button").first).to_be_disabled()
    await screenshot(page, "widget-phone-buttons")
    await page.context.close()


async def test_the_widget_reconnects_after_the_bot_restarts(
    site: tuple[BotProcess, Shop], browser: Browser
) -> None:
    bot, shop = site
    page = await visit_shop(browser, shop)
    await say(page, "hi")
    await expect_log(page, "hi", WELCOME)
    bot.stop()
    lost = chat(page).locator("#log .notice", has_text="Connection lost")
    await expect(lost).to_be_visible(timeout=TIMEOUT_MS)
    await screenshot(page, "widget-connection-lost")
    bot.start()
    await expect(chat(page).locator("#status")).to_have_text("online", timeout=40_000)
    await expect(lost).to_have_count(0)
    await say(page, "hours")
    await expect_log(page, "hi", WELCOME, "hours", HOURS)
    await page.context.close()


async def test_a_site_not_in_tracking_origins_gets_no_widget_and_cannot_frame_the_chat(
    site: tuple[BotProcess, Shop], browser: Browser
) -> None:
    _, shop = site
    context = await browser.new_context()
    page = await context.new_page()
    # The 403 is JSON, which the browser does not even hand to a <script> (ORB): the
    # request for the script ends without a script, one way or the other.
    script_ended = asyncio.Event()

    def ended(request: Request) -> None:
        if request.url.endswith("/widget.js"):
            script_ended.set()

    page.on("requestfailed", ended)
    page.on("requestfinished", ended)
    await page.goto(shop.other_origin + "/")
    await asyncio.wait_for(script_ended.wait(), TIMEOUT_MS / 1000)
    await expect(page.locator("h1")).to_have_text("Acme shop")
    await expect(page.locator("#switchboard-widget")).to_have_count(0)
    # The panel's frame-ancestors: a tracked site may frame it, another may not.
    await page.goto(shop.origin + "/frame.html")
    await expect(page.frame_locator("iframe").locator("#composer")).to_be_visible(
        timeout=TIMEOUT_MS
    )
    await page.goto(shop.other_origin + "/frame.html")
    await page.wait_for_load_state("networkidle")
    frame = page.frames[-1]
    assert await frame.locator("#composer").count() == 0
    await context.close()
