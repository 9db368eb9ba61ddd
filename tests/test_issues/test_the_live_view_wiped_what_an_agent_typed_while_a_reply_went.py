"""In the live view, an agent who pressed Enter and went on typing (as one does in a chat)
lost what they typed: when the reply's call came back, the reply box was emptied, the words
typed meanwhile with it. And a call that could not reach the bot at all (the bot stopped, the
network down) said nothing: no error, the agent believed their reply or claim done. What was
sent goes from the box, what was typed after it stays; a call that reaches nothing says so."""

from __future__ import annotations

import asyncio

import pytest
from playwright.async_api import Browser, Route, expect

from tests.test_browser_live import Live, browser, live, open_page

pytestmark = [pytest.mark.browser, pytest.mark.asyncio(loop_scope="module")]
__all__ = ["browser", "live"]

GINA = "447911000533"
HELD = "**/live/api/conversations/*/messages"


async def test_words_typed_while_a_reply_goes_stay_in_the_box(live: Live, browser: Browser) -> None:
    graph = live.whatsapp.graph
    await live.say(GINA, "hi, my parcel?")
    page = await open_page(browser, await live.page_url("support", f"wa:{GINA}", "alice"))
    await expect(page.locator("#log .msg").first).to_contain_text("hi, my parcel?")
    going = asyncio.Event()
    let_go = asyncio.Event()

    async def slow(route: Route) -> None:
        going.set()
        await let_go.wait()
        await route.continue_()

    await page.route(HELD, slow)
    await page.locator("#text").fill("first reply")
    await page.locator("#text").press("Enter")
    await asyncio.wait_for(going.wait(), 10)
    await page.locator("#text").press_sequentially(" and the second")
    let_go.set()
    await expect(page.locator("#log .msg.outbound").last).to_contain_text("first reply")
    await expect(page.locator("#text")).to_have_value("and the second")
    assert [m.text for m in graph.sent if m.to == GINA][-1] == "first reply"
    await page.unroute(HELD)

    await page.route(HELD, lambda route: route.abort("connectionrefused"))
    await page.locator("#text").press("Enter")
    await expect(page.locator("#error")).to_be_visible()
    await expect(page.locator("#error")).to_contain_text("could not be reached")
    await expect(page.locator("#text")).to_have_value("and the second")
    await page.context.close()
