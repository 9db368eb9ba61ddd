"""An image the browser could not draw (a JPEG whose data is broken, which the server
takes: its first bytes are a JPEG's) said "[this file is no longer kept]" in the web chat
while it was still being sent, and after: the file was kept, only its preview failed. It
is a link to the file now, "(no preview)"; a file really gone still says so."""

from __future__ import annotations

import json

from playwright.async_api import Browser, expect

from tests.botprocess import BotProcess
from tests.test_browser import (
    TIMEOUT_MS,
    WELCOME,
    bot,
    browser,
    expect_log,
    open_chat,
    press_enter,
    welcomed,
)

__all__ = ["bot", "browser"]  # the fixtures, used by name

BROKEN_JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01" + bytes(range(256)) * 8


async def test_an_image_not_drawn_is_a_link_to_the_file(bot: BotProcess, browser: Browser) -> None:
    page = await open_chat(browser, bot.url)
    await press_enter(page, "hi")
    await expect_log(page, "hi", WELCOME)
    photo = {"name": "photo.jpg", "mimeType": "image/jpeg", "buffer": BROKEN_JPEG}
    await page.locator("#file").set_input_files(files=[photo])
    bubble = page.locator("#log .msg.inbound").last
    await expect(bubble).to_contain_text("photo.jpg (no preview)", timeout=TIMEOUT_MS)
    await expect(bubble).to_have_attribute("data-state", "sent", timeout=TIMEOUT_MS)
    await expect(page.locator("#log")).not_to_contain_text("no longer kept")
    await page.reload()  # from the history, under its signed URL
    again = page.locator("#log .msg.inbound").last
    await expect(again).to_contain_text("photo.jpg (no preview)", timeout=TIMEOUT_MS)
    assert (await again.locator("a.file").get_attribute("href") or "").startswith("http")
    await page.context.close()


async def test_an_image_gone_says_so(bot: BotProcess, browser: Browser) -> None:
    page, sockets = await welcomed(browser, bot.url)
    gone = {"kind": "image", "url": bot.url.rstrip("/") + "/media/med_gone?sig=x"}
    message = {"id": "snd_gone", "direction": "outbound", "status": "read", "media": gone}
    sockets[-1].send(json.dumps({"type": "message", "message": message | {"text": ""}}))
    await expect(page.locator("#log")).to_contain_text(
        "[this file is no longer kept]", timeout=TIMEOUT_MS
    )
    await page.context.close()
