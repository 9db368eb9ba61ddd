"""The web chat's box cut a long paste at 4,096 characters without a word (the rest lost
unseen); an emoji put in by the picker past that length got the whole message refused by
the server, the box already cleared; and a reply that came while the visitor read older
messages yanked the view down to it. The page says how many characters are left near the
limit, says when a paste was cut, puts in no emoji that does not fit, and leaves a reader
where they are, with a button to the new messages."""

from __future__ import annotations

import json
import time

from playwright.async_api import Browser, expect

from tests.botprocess import BotProcess
from tests.test_browser import (
    HOURS,
    TIMEOUT_MS,
    WELCOME,
    bot,
    browser,
    expect_log,
    open_chat,
    press_enter,
    recorded_sockets,
)

__all__ = ["bot", "browser"]  # the fixtures, used by name


async def test_the_box_says_what_does_not_fit(bot: BotProcess, browser: Browser) -> None:
    page = await open_chat(browser, bot.url)
    box, left = page.locator("#text"), page.locator("#left")
    await box.fill("x" * 4000)
    await expect(left).to_have_text("96 characters left")
    await box.fill("x" * 4095)
    await page.locator("#emoji").click()
    await page.locator("#emojis button").first.click()
    assert len(await box.input_value()) == 4095  # a two-unit emoji does not fit
    await expect(left).to_contain_text("as long as a message can be")
    await box.fill("")
    await expect(left).to_be_hidden()
    await page.evaluate(
        """() => {
          const data = new DataTransfer();
          data.setData("text/plain", "y".repeat(5000));
          const box = document.getElementById("text");
          box.dispatchEvent(new ClipboardEvent("paste", {clipboardData: data, bubbles: true}));
        }"""
    )
    await expect(page.locator("#log .notice")).to_contain_text(
        "Only the first 4,096 characters of what you pasted fit"
    )
    await page.context.close()


async def test_a_reply_leaves_a_reader_of_older_messages_where_they_are(
    bot: BotProcess, browser: Browser
) -> None:
    context = await browser.new_context(viewport={"width": 375, "height": 420})
    page = await context.new_page()
    sockets, _ = await recorded_sockets(page)
    await page.goto(bot.url)
    said = ["hi", *[f"hours {n}?" for n in range(4)]]
    for n, text in enumerate(said):
        await press_enter(page, text)
        await expect(page.locator("#log .msg.outbound")).to_have_count(n + 1, timeout=TIMEOUT_MS)
    await expect_log(page, "hi", WELCOME, *[x for t in said[1:] for x in (t, HOURS)])
    await page.evaluate("document.getElementById('log').scrollTop = 0")
    late = {"id": "snd_late", "direction": "outbound", "text": "A late reply", "status": "read"}
    sockets[-1].send(json.dumps({"type": "message", "message": late | {"timestamp": time.time()}}))
    more = page.locator("#more")
    await expect(more).to_be_visible(timeout=TIMEOUT_MS)
    assert await page.evaluate("document.getElementById('log').scrollTop") == 0
    await more.click()
    await expect(more).to_be_hidden()
    at_end = "(() => { const l = document.getElementById('log'); "
    at_end += "return l.scrollHeight - l.scrollTop - l.clientHeight < 48; })()"
    assert await page.evaluate(at_end)
    await context.close()
