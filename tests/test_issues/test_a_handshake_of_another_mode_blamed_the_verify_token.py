"""Meta's verification GET with the right token and a ``hub.mode`` other than ``subscribe``
(or none) was refused as "verify token does not match": an operator checking the setup
looked at the token, which was right. The refusal now names what is wrong."""

from __future__ import annotations

from tests.conftest import BotFactory


async def test_a_handshake_refusal_names_what_is_wrong(make_bot: BotFactory) -> None:
    bot = await make_bot()
    right = {"hub.verify_token": bot.verify_token, "hub.challenge": "1158201444"}
    for mode in ({"hub.mode": "unsubscribe"}, {}):
        answer = await bot.client.get("/webhooks/whatsapp", params={**right, **mode})
        assert answer.status == 403
        said = (await answer.json())["error"]
        assert "hub.mode" in said and "verify token" not in said
    wrong = {**right, "hub.mode": "subscribe", "hub.verify_token": "not-the-token"}
    answer = await bot.client.get("/webhooks/whatsapp", params=wrong)
    assert answer.status == 403 and "verify token" in (await answer.json())["error"]
