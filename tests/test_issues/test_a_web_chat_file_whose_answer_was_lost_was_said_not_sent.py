"""A web chat file the bot kept, whose answer the page never got (the connection dropped
as it came), was said not sent: "The file could not be sent: check the connection and try
again." Its bubble went, though the services had it and the bot may have answered it,
and the visitor sent it again: twice for the services. The page sends it again under its
id now, which the bot keeps once and answers again, and shows it sent."""

from __future__ import annotations

import pytest
from playwright.async_api import Route, expect

from tests.botprocess import free_port
from tests.conftest import BotFactory
from tests.test_browser_media import tiny_png

pytestmark = pytest.mark.browser


async def test_a_file_whose_answer_was_lost_is_sent_once_and_shown_sent(
    make_bot: BotFactory,
) -> None:
    from tests.test_browser import TIMEOUT_MS, launched_chromium  # skips without it

    port = free_port()
    base = f"http://127.0.0.1:{port}"
    bot = await make_bot(whatsapp=False, port=port, public_url=base)
    answers_lost = []

    async def lose_the_first_answer(route: Route) -> None:
        if answers_lost:
            await route.continue_()
            return
        kept = await route.fetch()  # the bot has the file, and answers
        answers_lost.append(kept.status)
        await route.abort("connectionreset")  # the answer never reaches the page

    async with launched_chromium() as browser:
        page = await (await browser.new_context()).new_page()
        await page.goto(base + "/")
        await expect(page.locator("#status")).to_have_text("online", timeout=TIMEOUT_MS)
        await page.route("**/webchat/files*", lose_the_first_answer)
        photo = {"name": "photo.png", "mimeType": "image/png", "buffer": tiny_png()}
        await page.locator("#file").set_input_files(files=[photo])  # type: ignore[list-item]
        bubble = page.locator("#log .msg.inbound")
        await expect(bubble).to_have_attribute("data-state", "sent", timeout=TIMEOUT_MS)
        await expect(page.locator("#log .notice")).to_have_count(0)
        assert answers_lost == [201]
    sink = bot.sinks["support"]
    await sink.wait_for_count(1, type="message.inbound")
    files = [e for e in sink.events("message.inbound") if e["data"]["message"].get("media")]
    assert len(files) == 1
