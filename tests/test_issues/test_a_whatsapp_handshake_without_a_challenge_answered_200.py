"""The WhatsApp verification handshake with the right token and no ``hub.challenge`` (or an
empty one) answered 200 with an empty body: a probe without the challenge read it as the
webhook verified. CH-1: 200 with the challenge, or 403."""

from __future__ import annotations

from tests.conftest import BotFactory


async def test_a_handshake_without_a_challenge_is_refused(make_bot: BotFactory) -> None:
    bot = await make_bot()
    asked = {"hub.mode": "subscribe", "hub.verify_token": bot.verify_token}
    for query in (asked, {**asked, "hub.challenge": ""}):
        response = await bot.client.get("/webhooks/whatsapp", params=query)
        assert response.status == 403, await response.text()
        assert "hub.challenge" in (await response.json())["error"]
    response = await bot.client.get("/webhooks/whatsapp", params={**asked, "hub.challenge": "42"})
    assert (response.status, await response.text()) == (200, "42")
