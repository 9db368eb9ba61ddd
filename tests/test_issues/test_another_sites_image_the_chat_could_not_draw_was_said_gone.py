"""A service's image sent by the URL of another site that the browser could not draw (not
an image, or a site that refused it) was shown in the web chat as "[this file is no longer
kept]", with no link: the web chat asked that site whether the file was there, which a
browser does not let a page ask another site (CORS), and took no answer for "gone". Only a
file of the bot's own is asked after; another site's is a link to it, "(no preview)"."""

from __future__ import annotations

import json

from playwright.async_api import Browser, expect

from tests.botprocess import BotProcess, free_port
from tests.test_browser import (
    TIMEOUT_MS,
    bot,
    browser,
    welcomed,
)

__all__ = ["bot", "browser"]  # the fixtures, used by name


async def test_another_site_s_image_not_drawn_is_a_link(bot: BotProcess, browser: Browser) -> None:
    page, sockets = await welcomed(browser, bot.url)
    elsewhere = f"http://127.0.0.2:{free_port()}/catalogue/shoe.png"
    media = {"kind": "image", "url": elsewhere, "filename": "shoe.png"}
    message = {"id": "snd_shoe", "direction": "outbound", "status": "read", "media": media}
    sockets[-1].send(json.dumps({"type": "message", "message": message | {"text": ""}}))
    bubble = page.locator("#log .msg.outbound").last
    await expect(bubble).to_contain_text("shoe.png (no preview)", timeout=TIMEOUT_MS)
    assert await bubble.locator("a.file").get_attribute("href") == elsewhere
    await expect(page.locator("#log")).not_to_contain_text("no longer kept")
    await page.context.close()
