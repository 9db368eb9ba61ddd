"""The web chat page made a link of a web address with the punctuation after it: "See
https://shop.example.com/sale." linked to ``…/sale.``, and with ``PUBLIC_URL`` a tracked
link to ``/l/<token>.``, a 404. The page ends an address where the server does."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.async_api import expect

from tests.botprocess import BotProcess
from tests.test_browser import (
    CHROMIUM,
    TIMEOUT_MS,
    launched_chromium,
    open_chat,
    press_enter,
    serving,
)

if not CHROMIUM.exists():
    pytest.skip(f"the browser tests need Chromium at {CHROMIUM}", allow_module_level=True)

pytestmark = pytest.mark.browser

LINKS = (
    "See https://shop.example.com/sale. Or (https://shop.example.com/faq), or "
    "https://shop.example.com/a?b=1, thanks! “https://shop.example.com/q”…"
)
CONFIG = {"automation": {"rules": [{"keywords": ["links"], "reply": LINKS}]}}


@pytest.fixture
def bot() -> Iterator[BotProcess]:
    with serving(CONFIG) as process:
        yield process


async def test_a_link_ends_before_the_punctuation_after_it(bot: BotProcess) -> None:
    async with launched_chromium() as browser:
        page = await open_chat(browser, bot.url)
        await press_enter(page, "links")
        links = page.locator("#log .msg.outbound a")
        await expect(links).to_have_count(4, timeout=TIMEOUT_MS)
        hrefs = [await link.get_attribute("href") for link in await links.all()]
        assert hrefs == [
            "https://shop.example.com/sale",
            "https://shop.example.com/faq",
            "https://shop.example.com/a?b=1",
            "https://shop.example.com/q",
        ]
        await expect(page.locator("#log .msg.outbound").last).to_have_text(LINKS)
        await page.context.close()
