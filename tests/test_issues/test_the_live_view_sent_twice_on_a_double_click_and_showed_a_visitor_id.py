"""The live view in Chromium, as an agent uses it: a double-click on Send (or Send
template) sent the customer the message twice, each click with an idempotency key of its
own; the header showed a web visitor's whole visitor id, which opens their chat; a file
named ``report "final".pdf`` was refused, where the web chat's page sends it; a refused
start of a conversation said nothing (its error was drawn in a hidden part of the page);
and "Document" was ignored for a file chosen from the computer."""

from __future__ import annotations

import pytest
from playwright.async_api import Browser, expect
from redis.asyncio import Redis

from bot.model import Identity
from stores.profiles import ProfileStore
from stores.redis import Keys
from tests.conftest import REDIS_URL
from tests.test_browser_live import Live, browser, live, open_page, until

pytestmark = [pytest.mark.browser, pytest.mark.asyncio(loop_scope="module")]
__all__ = ["browser", "live"]

BEA, CARL = "447911000201", "447911000202"
VISITOR = "VisitorCookie0123456789abcdef"


async def test_a_double_click_sends_once(live: Live, browser: Browser) -> None:
    graph = live.whatsapp.graph
    await live.say(BEA, "hi, any news?")
    page = await open_page(browser, await live.page_url("support", f"wa:{BEA}", "alice"))
    await expect(page.locator("#log .msg").first).to_contain_text("hi, any news?")
    await page.locator("#text").fill("Your refund is on its way")
    await page.locator("#reply button[type=submit]").dblclick()
    await page.locator("#template-variables").get_by_label("order number").fill("R-9")
    await page.locator("#template-variables").get_by_label("status").fill("refunded")
    await page.get_by_role("button", name="Send template").dblclick()
    await page.locator("#text").fill("Anything else?")  # a last one: the others went first
    await page.locator("#reply button[type=submit]").click()
    sent = await until(
        lambda: [s for s in graph.sent if s.to == BEA and s.text == "Anything else?"]
    )
    assert sent
    to_bea = [s for s in graph.sent if s.to == BEA]
    assert [s.text for s in to_bea].count("Your refund is on its way") == 1
    assert [s.type for s in to_bea].count("template") == 1
    await page.context.close()


async def test_a_visitor_id_shows_its_first_characters(live: Live, browser: Browser) -> None:
    await live.say(CARL, "hello")
    redis = Redis.from_url(REDIS_URL, decode_responses=True)
    profiles = ProfileStore(redis, Keys(live.prefix))
    profile = await profiles.lookup(Identity("wa", CARL))
    assert await profiles.attach(profile, Identity("vid", VISITOR), "web") == profile
    await redis.aclose()
    page = await open_page(browser, await live.page_url("support", f"wa:{CARL}", "alice"))
    await expect(page.locator("#who")).to_contain_text("vid:Visi…")
    assert VISITOR not in await page.content()

    # A file named as a computer allows: sent, its quotes made apostrophes; as a document.
    png = b"\x89PNG\r\n\x1a\n" + bytes(64)
    files = {"name": 'report "final".png', "mimeType": "image/png", "buffer": png}
    await page.locator("#media-type").select_option("document")
    await page.locator("#media-file").set_input_files(files)
    await page.get_by_role("button", name="Send attachment").click()
    sent = await until(
        lambda: [s for s in live.whatsapp.graph.sent if s.to == CARL and s.type == "document"]
    )
    assert sent[0].body["document"]["filename"] == "report 'final'.png"
    await page.context.close()


async def test_a_refused_start_says_why(live: Live, browser: Browser) -> None:
    redis = Redis.from_url(REDIS_URL, decode_responses=True)
    profiles = ProfileStore(redis, Keys(live.prefix))
    profile = await profiles.resolve([Identity("phone", "+447911000203")], channel="import")
    await redis.aclose()
    page = await open_page(browser, await live.page_url("support", profile, "alice"))
    await expect(page.locator("#start")).to_be_visible()
    await page.locator("#start-variables").get_by_label("order number").fill("B-3")
    await page.locator("#start-variables").get_by_label("status").fill("on     its way")
    await page.get_by_role("button", name="Start conversation").click()
    await expect(page.locator("#error")).to_be_visible()
    await expect(page.locator("#error")).to_contain_text("spaces")
    await page.context.close()
