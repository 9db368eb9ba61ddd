"""The web chat's emoji picker was out of reach of the keyboard: opened with Enter on its
button, the focus stayed there and Tab went on to the attach button, as the picker comes
before the composer; the emoji could be reached only with Shift+Tab past the composer.
Nor did Escape close it: in the widget's panel it closed the whole panel. Opening the
picker now puts the keyboard on its first emoji; Escape closes the picker first (the
keyboard back on its button), and only then, in the widget, the panel."""

from __future__ import annotations

import pytest
from playwright.async_api import Browser, expect

from tests.botprocess import BotProcess
from tests.test_browser import TIMEOUT_MS, bot, browser, open_chat

__all__ = ["bot", "browser"]

pytestmark = pytest.mark.browser


async def test_the_picker_takes_the_keyboard_and_escape_closes_it(
    bot: BotProcess, browser: Browser
) -> None:
    page = await open_chat(browser, bot.url)
    await expect(page.locator("#status")).to_have_text("online", timeout=TIMEOUT_MS)
    emojis = page.locator("#emojis button")
    await page.locator("#emoji").focus()
    await page.keyboard.press("Enter")
    await expect(page.locator("#emojis")).to_be_visible()
    await expect(page.locator("#emoji")).to_have_attribute("aria-expanded", "true")
    await expect(emojis.first).to_be_focused()
    await page.keyboard.press("Tab")
    await expect(emojis.nth(1)).to_be_focused()
    await page.keyboard.press("Enter")  # the emoji goes into the text, the keyboard with it
    await expect(page.locator("#text")).to_be_focused()
    await expect(page.locator("#text")).to_have_value("\U0001f600")
    await page.keyboard.press("Escape")  # the picker, still open, closes
    await expect(page.locator("#emojis")).to_be_hidden()
    await expect(page.locator("#emoji")).to_be_focused()
    await page.keyboard.press("Enter")
    await expect(emojis.first).to_be_focused()
    await page.keyboard.press("Escape")
    await expect(page.locator("#emojis")).to_be_hidden()
    await expect(page.locator("#emoji")).to_have_attribute("aria-expanded", "false")
    await expect(page.locator("#emoji")).to_be_focused()
    await page.context.close()


async def test_in_a_frame_escape_closes_the_picker_before_the_panel(
    bot: BotProcess, browser: Browser
) -> None:
    page = await open_chat(browser, bot.url)
    # The chat framed by a page of its own site, as the widget frames it; the frame asks
    # its parent to close the panel ("switchboard:close").
    await page.evaluate(
        """url => {
          window.closes = 0;
          window.addEventListener("message", (event) => {
            if (event.data && event.data.type === "switchboard:close") window.closes += 1;
          });
          document.body.innerHTML = "";
          const frame = document.createElement("iframe");
          frame.src = url;
          frame.style.height = "600px";
          document.body.appendChild(frame);
        }""",
        bot.url + "/",
    )
    chat = page.frame_locator("iframe")
    await expect(chat.locator("#status")).to_have_text("online", timeout=TIMEOUT_MS)
    await chat.locator("#emoji").focus()
    await page.keyboard.press("Enter")
    await expect(chat.locator("#emojis button").first).to_be_focused()
    await page.keyboard.press("Escape")
    await expect(chat.locator("#emojis")).to_be_hidden()
    await expect(chat.locator("#emoji")).to_be_focused()
    await page.keyboard.press("Escape")  # the picker closed: now the panel
    await page.wait_for_function("window.closes >= 1", timeout=TIMEOUT_MS)
    # Messages come in order: a close asked by the first Escape would have come first.
    assert await page.evaluate("window.closes") == 1
    await page.context.close()
