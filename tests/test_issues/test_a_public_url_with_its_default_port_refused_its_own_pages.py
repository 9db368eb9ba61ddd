"""With ``PUBLIC_URL=https://chat.example.com:443`` (the port written out), the bot's own
pages were refused as another site: a browser's ``Origin`` never names the scheme's
default port, so ``POST /t/events`` and ``POST /webchat/token`` from the chat's own page
answered 403. The default port is now left out of the bot's own origin, as browsers do."""

from __future__ import annotations

import pytest

from tests.conftest import BotFactory

PAGE = "https://chat.example.com"


@pytest.mark.parametrize(
    "public_url", [f"{PAGE}:443", f"{PAGE}:443/", "http://chat.example.com:80"]
)
async def test_the_bots_own_page_may_post_events_and_take_a_token(
    make_bot: BotFactory, public_url: str
) -> None:
    bot = await make_bot(whatsapp=False, public_url=public_url)
    origin = public_url.rsplit(":", 1)[0]
    event = {"type": "page_view", "url": f"{origin}/"}
    events = await bot.client.post("/t/events", json=event, headers={"Origin": origin})
    assert events.status == 202, await events.text()
    token = await bot.client.post("/webchat/token", json={}, headers={"Origin": origin})
    assert token.status == 200, await token.text()
    elsewhere = await bot.client.post(
        "/t/events", json=event, headers={"Origin": "https://evil.example.com"}
    )
    assert elsewhere.status == 403
