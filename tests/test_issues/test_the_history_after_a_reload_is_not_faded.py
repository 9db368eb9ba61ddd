"""After a reload, every history bubble showed faded but the first: the history's array index
reached ``show`` as its "not yet confirmed" flag."""

from __future__ import annotations

import pytest
from playwright.async_api import Browser, expect

from tests import test_browser as chat
from tests.botprocess import BotProcess

pytestmark = pytest.mark.browser
bot = chat.bot
browser = chat.browser


async def test_every_history_bubble_has_full_opacity_after_a_reload(
    bot: BotProcess, browser: Browser
) -> None:
    page = await chat.open_chat(browser, bot.url)
    await chat.press_enter(page, "hi")
    await chat.expect_log(page, "hi", chat.WELCOME)
    await chat.press_enter(page, "What are your hours?")
    await chat.expect_log(page, "hi", chat.WELCOME, "What are your hours?", chat.HOURS)
    await expect(page.locator("#log .msg.sending")).to_have_count(0, timeout=chat.TIMEOUT_MS)

    await page.reload()
    await chat.expect_log(page, "hi", chat.WELCOME, "What are your hours?", chat.HOURS)
    await expect(page.locator("#log .msg.sending")).to_have_count(0)
    opacities = await page.locator("#log .msg").evaluate_all(
        "bubbles => bubbles.map(b => getComputedStyle(b).opacity)"
    )
    assert opacities == ["1"] * 4
    await page.context.close()
