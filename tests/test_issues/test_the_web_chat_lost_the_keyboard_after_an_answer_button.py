"""The web chat lost the keyboard after an answer button, hid its emojis, and read a right
to left message's time backwards.

As a visitor saw it: choosing an answer button with the keyboard (Tab, Enter) left the
focus on the page's body, as the pressed button was retired; the emoji picker's buttons
drew their glyphs white on white where no colour emoji font is; and under a message in
Hebrew or Arabic the time read "PM 07:10". The keyboard goes to the composer, the
emojis are dark, and a time reads left to right whatever its message's direction.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.async_api import Browser, expect

from tests.botprocess import BotProcess
from tests.test_browser import TIMEOUT_MS, browser, open_chat, press_enter

__all__ = ["browser"]

pytestmark = pytest.mark.browser

FLOW = {
    "start": ["pick"],
    "steps": [
        {"id": "colour", "ask": "Which colour?", "input": "choice", "choices": ["Red", "Blue"]}
    ],
    "end": "Got {colour}.",
}


@pytest.fixture
def bot() -> Iterator[BotProcess]:
    process = BotProcess(config={"automation": {"welcome": "Hi!", "flows": {"pick": FLOW}}})
    try:
        process.start()
        yield process
    finally:
        process.close()


async def test_the_keyboard_the_emojis_and_the_times(bot: BotProcess, browser: Browser) -> None:
    page = await open_chat(browser, bot.url)
    await press_enter(page, "pick")
    blue = page.get_by_role("button", name="Blue")
    await expect(blue).to_be_visible(timeout=TIMEOUT_MS)
    await blue.focus()
    await page.keyboard.press("Enter")
    await expect(page.locator("#log .msg.outbound").last).to_have_text(
        "Got Blue.", timeout=TIMEOUT_MS
    )
    await expect(page.locator("#text")).to_be_focused()

    colour = await page.evaluate("getComputedStyle(document.querySelector('#emojis button')).color")
    assert colour != "rgb(255, 255, 255)", colour

    await press_enter(page, "שלום, מה שלומך?")
    bubble = page.locator("#log .msg.inbound").last
    await expect(bubble).to_have_attribute("data-time", re.compile(r".+"), timeout=TIMEOUT_MS)
    direction = await bubble.evaluate("(el) => getComputedStyle(el, '::after').direction")
    assert direction == "ltr"
    await page.context.close()
