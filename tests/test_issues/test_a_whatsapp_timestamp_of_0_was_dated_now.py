"""A signed WhatsApp message with ``"timestamp": "0"`` (or the number 0) was taken and dated
now, where every other time outside 30 days before and a day after now is a 400. Epoch 0
is such a time; only a message without a timestamp is dated as it arrives."""

from __future__ import annotations

import json

import pytest

from tests.conftest import PHONE_NUMBER_ID, BotFactory
from tests.emulators import meta_webhooks as meta


@pytest.mark.parametrize("written", ['"0"', "0", '"0000"'])
async def test_a_timestamp_of_0_is_a_400(make_bot: BotFactory, written: str) -> None:
    bot = await make_bot()
    payload = meta.text_message(PHONE_NUMBER_ID, "447700911003", "ts 0", timestamp=0)
    body = json.dumps(payload).replace('"timestamp": "0"', f'"timestamp": {written}')
    answer = await bot.post_whatsapp(body.encode())
    assert answer.status == 400
    assert "within 30 days before and a day after now" in (await answer.json())["error"]
    assert await bot.runtime.inbound_log.backlog() == 0


async def test_a_message_without_a_timestamp_is_dated_as_it_arrives(make_bot: BotFactory) -> None:
    bot = await make_bot()
    payload = meta.text_message(PHONE_NUMBER_ID, "447700911004", "no ts")
    del payload["entry"][0]["changes"][0]["value"]["messages"][0]["timestamp"]
    assert (await bot.post_whatsapp(payload)).status == 200
