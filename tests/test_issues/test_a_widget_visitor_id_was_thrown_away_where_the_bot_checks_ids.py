"""Where the bot checks visitor ids (``SWITCHBOARD_VISITOR_SECRET``), the widget's
``Switchboard.visitorId()`` made an id on the page, with no hash: the page views posted with
it went to a visitor of their own, and when the chat opened the bot refused the id and made
another, so the views joined neither the chat nor the profile (README: post your page views
with that ``visitor_id``, and they join the chat's visitor). The id comes from the bot now,
with its hash (``Switchboard.visitorHash()``), and the chat opens with it."""

from __future__ import annotations

import secrets

import pytest

from tests.botprocess import free_port
from tests.conftest import BotFactory

pytestmark = pytest.mark.browser

POST_VIEW = """async ([id, hash]) => {
  const answer = await fetch(BASE + "/t/events", {
    method: "POST",
    headers: {"Content-Type": "text/plain"},
    body: JSON.stringify(
      {visitor_id: id, visitor_hash: hash, type: "page_view", url: location.href}),
  });
  return [answer.status, await answer.json()];
}"""


async def test_the_id_a_page_tracks_with_is_the_chat_s(make_bot: BotFactory) -> None:
    from tests.test_browser import launched_chromium, shop_site  # skips without it

    port, bot_port = free_port(), free_port()
    shop, base = f"http://127.0.0.1:{port}", f"http://127.0.0.1:{bot_port}"
    await make_bot(
        whatsapp=False,
        tracking_origins=(shop,),
        port=bot_port,
        public_url=base,
        visitor_secret=secrets.token_hex(16),
    )
    page_html = f'<!doctype html><h1>Shop</h1><script src="{base}/widget.js" async></script>'
    async with shop_site(port, {"/": page_html}), launched_chromium() as browser:
        page = await browser.new_page()
        await page.goto(f"{shop}/")
        await page.wait_for_function("window.Switchboard && window.Switchboard.widget")
        tracked = await page.evaluate("Switchboard.visitorId()")
        hashed = await page.evaluate("Switchboard.visitorHash()")
        assert isinstance(tracked, str) and isinstance(hashed, str)
        await page.evaluate(f"window.BASE = {base!r}")
        status, answer = await page.evaluate(POST_VIEW, [tracked, hashed])
        assert (status, answer["visitor_id"]) == (202, tracked)
        token = lambda answer: answer.url.endswith("/webchat/token")  # noqa: E731
        async with page.expect_response(token) as told:
            await page.evaluate("Switchboard.open()")
        opened = await told.value
        assert opened.status == 200
        assert (await opened.json())["visitor_id"] == tracked
        assert await page.evaluate("Switchboard.visitorId()") == tracked
