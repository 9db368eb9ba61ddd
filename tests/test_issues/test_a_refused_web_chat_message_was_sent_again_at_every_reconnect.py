"""A message the web chat refused (past 4,096 characters, say) stayed unconfirmed in the
page: it looked as if it were still being sent, and went again, refused again, at every
reconnect. The refusal names the message now; the page shows it as not sent, and sends
it no more."""

from __future__ import annotations

import pytest
from playwright.async_api import Browser, expect

from tests.botprocess import BotProcess
from tests.test_browser import (
    TIMEOUT_MS,
    WELCOME,
    bot,
    browser,
    expect_log,
    open_chat,
    reconnected_and_answered,
    recorded_sockets,
)
from tests.test_browser import press_enter as say

__all__ = ["bot", "browser"]

pytestmark = pytest.mark.browser


async def test_a_refused_message_is_shown_refused_and_not_sent_again(
    bot: BotProcess, browser: Browser
) -> None:
    page = await open_chat(browser, bot.url)
    sockets, said = await recorded_sockets(page)
    await page.goto(bot.url)
    await say(page, "hi")
    await expect_log(page, "hi", WELCOME)
    # maxlength stops typing past 4,096; a value set by a script (a paste tool) is not.
    await page.locator("#text").evaluate("e => { e.value = 'x'.repeat(5000); }")
    await page.locator("#text").press("Enter")
    refused = page.locator("#log .msg.inbound").last
    await expect(refused).to_have_attribute("data-state", "refused", timeout=TIMEOUT_MS)
    await reconnected_and_answered(page, sockets)
    assert sum("x" * 10 in frame for frame in said) == 1  # sent once, never again
    await page.context.close()
