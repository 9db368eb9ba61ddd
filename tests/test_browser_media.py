"""A file a service sends shows in the web chat of a real headless Chromium: the image,
loaded from its signed URL, in the business's bubble, and again after a reload."""

from __future__ import annotations

import secrets
import struct
import zlib
from collections.abc import AsyncIterator, Iterator
from typing import Any

import aiohttp
import pytest
import pytest_asyncio
from playwright.async_api import Browser, expect

from tests.botprocess import BotProcess
from tests.test_browser import (
    CONFIG,
    TIMEOUT_MS,
    WELCOME,
    launched_chromium,
    open_chat,
    press_enter,
    serving,
)

pytestmark = pytest.mark.browser
ADMIN = secrets.token_urlsafe(24)


def tiny_png() -> bytes:
    """A real 1x1 PNG, which a browser decodes."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    pixels = zlib.compress(b"\x00\xff\x00\x00")
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    )


@pytest.fixture
def bot() -> Iterator[BotProcess]:
    with serving(CONFIG, {"SWITCHBOARD_ADMIN_TOKEN": ADMIN}) as process:
        yield process


@pytest_asyncio.fixture
async def browser() -> AsyncIterator[Browser]:
    async with launched_chromium() as launched:
        yield launched


async def api(
    http: aiohttp.ClientSession, bot: BotProcess, token: str, method: str, path: str, **kw: Any
) -> Any:
    headers = {"Authorization": f"Bearer {token}", **kw.pop("headers", {})}
    async with http.request(method, f"{bot.url}{path}", headers=headers, **kw) as response:
        assert response.status < 300, await response.text()
        return await response.json()


async def test_an_image_shows_in_the_bubble_and_after_a_reload(
    bot: BotProcess, browser: Browser
) -> None:
    page = await open_chat(browser, bot.url)
    await press_enter(page, "hi")
    await expect(page.locator("#log .msg.outbound")).to_have_text([WELCOME], timeout=TIMEOUT_MS)
    async with aiohttp.ClientSession() as http:
        [number] = [
            n["number"] for n in (await api(http, bot, ADMIN, "GET", "/v1/numbers"))["numbers"]
        ]
        desk = {
            "name": "desk",
            "url": "http://127.0.0.1:9/hooks",
            "secret": "s" * 32,
            "numbers": [number],
        }
        token = (await api(http, bot, ADMIN, "POST", "/v1/services", json=desk))["token"]
        [conversation] = (await api(http, bot, token, "GET", "/v1/conversations"))["conversations"]
        upload = await api(
            http,
            bot,
            token,
            "POST",
            "/v1/media",
            data=tiny_png(),
            headers={"Content-Type": "image/png"},
        )
        media = {"type": "image", "id": upload["media"]["id"], "caption": "Your receipt"}
        path = f"/v1/conversations/{conversation['id']}/messages"
        await api(http, bot, token, "POST", path, json={"media": media})
    image = page.locator("#log .msg.outbound img.media")
    await expect(image).to_have_count(1, timeout=TIMEOUT_MS)
    await expect(page.locator("#log .msg.outbound").last).to_contain_text("Your receipt")
    loaded = "() => document.querySelector('#log img.media')?.naturalWidth === 1"
    await page.wait_for_function(loaded, timeout=TIMEOUT_MS)  # decoded from its signed URL
    await page.reload()
    await expect(page.locator("#log .msg.outbound img.media")).to_have_count(1, timeout=TIMEOUT_MS)
    await page.context.close()
