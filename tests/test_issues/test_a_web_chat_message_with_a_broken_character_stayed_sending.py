"""A web chat message whose text held a lone surrogate (half of an emoji, as a cut paste
leaves it) was refused with an error frame that named no message ("frames must be JSON"):
the bubble stayed "sending" for good, and the page sent it again, refused again with the
same jargon, at every reconnect. The refusal names the message's id now, when the frame
can be read, and says in plain words why: the page shows it not sent, once."""

from __future__ import annotations

import json

import pytest
from playwright.async_api import Browser, expect

from adapters import webchat
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

BROKEN = "broken \ud83d emoji"


def test_the_refusal_names_the_message_in_plain_words() -> None:
    raw = json.dumps({"type": "message", "id": "m1", "text": BROKEN})  # as a browser writes it
    with pytest.raises(webchat.FrameError) as refused:
        webchat.read_frame(raw)
    assert refused.value.frame_id == "m1"
    assert "broken character" in str(refused.value)
    with pytest.raises(webchat.FrameError) as unreadable:
        webchat.read_frame('{"type": "message", "id": "m2", "text": ')
    assert (unreadable.value.frame_id, str(unreadable.value)) == ("", "frames must be JSON")


@pytest.mark.browser
async def test_the_message_is_shown_not_sent_and_not_sent_again(
    bot: BotProcess, browser: Browser
) -> None:
    page = await open_chat(browser, bot.url)
    sockets, said = await recorded_sockets(page)
    await page.goto(bot.url)
    await say(page, "hi")
    await expect_log(page, "hi", WELCOME)
    await page.locator("#text").evaluate("(e, text) => { e.value = text; }", BROKEN)
    await page.locator("#text").press("Enter")
    refused = page.locator("#log .msg.inbound").last
    await expect(refused).to_have_attribute("data-state", "refused", timeout=TIMEOUT_MS)
    await expect(page.locator("#log .notice")).to_have_text([webchat.BROKEN_TEXT])
    await reconnected_and_answered(page, sockets)
    assert sum("emoji" in frame for frame in said) == 1  # sent once, never again
    await expect(page.locator("#log .notice").filter(has_text="broken")).to_have_count(1)
    await page.context.close()
