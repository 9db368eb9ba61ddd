"""A visitor's 17th tab of the web chat (16 sockets a visitor, at most) said "Connection
lost, reconnecting…" and showed an empty chat, as if the network were down, while the
handshake's 429 said why, which a page cannot read. The page asks why now
(``/webchat/visitor`` answers ``refused``), says so, and opens once a tab is closed."""

from __future__ import annotations

import aiohttp
from playwright.async_api import Browser, expect

from adapters import webchat
from tests.botprocess import BotProcess
from tests.test_browser import TIMEOUT_MS, WELCOME, bot, browser, expect_log, press_enter

__all__ = ["bot", "browser"]  # the fixtures, used by name


async def test_a_tab_too_many_says_why_and_opens_once_one_closes(
    bot: BotProcess, browser: Browser
) -> None:
    context = await browser.new_context()
    page = await context.new_page()
    await page.goto(bot.url)
    await press_enter(page, "hi")
    await expect_log(page, "hi", WELCOME)
    [cookie] = [c for c in await context.cookies() if c["name"] == "sb_vid"]
    headers = {"Cookie": f"sb_vid={cookie['value']}"}
    async with aiohttp.ClientSession() as http:
        # The page's own socket and 15 more: the visitor's 16.
        others = [
            await http.ws_connect(bot.url.rstrip("/") + "/webchat/socket", headers=headers)
            for _ in range(webchat.TABS_PER_VISITOR - 1)
        ]
        async with http.get(bot.url.rstrip("/") + "/webchat/visitor", headers=headers) as asked:
            said = await asked.json()
        assert said == {
            "visitor": True,
            "refused": f"at most {webchat.TABS_PER_VISITOR} chats open at once: close one",
        }
        extra = await context.new_page()
        await extra.goto(bot.url)
        notice = extra.locator("#log .notice")
        await expect(notice).to_contain_text("chats open at once", timeout=TIMEOUT_MS)
        await expect(extra.locator("#status")).to_have_text("not connected")
        await expect(extra.locator("#log")).not_to_contain_text("Connection lost")
        await others.pop().close()
        await expect(extra.locator("#status")).to_have_text("online", timeout=3 * TIMEOUT_MS)
        await expect_log(extra, "hi", WELCOME)
        for socket in others:
            await socket.close()
    await context.close()
