"""A signed WhatsApp webhook was taken with a sender in superscript digits or Arabic-Indic
ones (Python's ``isdigit`` takes them; WhatsApp ids are ASCII digits), a timestamp such as
"1_796_412_000" or " 1796412000 " (Python's ``float`` takes them), and a message id a
megabyte long, kept as a dedupe key; a text of any length made an event past what a
service takes, retried for a day. Those are refused with 400; a text is cut at
WhatsApp's own limit, 4,096 characters."""

from __future__ import annotations

import json
import time

import pytest

from tests.conftest import PHONE_NUMBER_ID, BotFactory
from tests.emulators import meta_webhooks as meta

NOW = str(int(time.time()))


def text_from(sender: str, **fields: object) -> bytes:
    payload = meta.text_message(PHONE_NUMBER_ID, "447915000000", "hi")
    message = payload["entry"][0]["changes"][0]["value"]["messages"][0]
    message.update({"from": sender, **fields})
    return json.dumps(payload).encode()


REFUSED = [
    text_from("\u00b2\u00b3\u2074"),
    text_from("\u0664\u0664\u0667\u0669" + "1" * 8),
    text_from("447915000002", timestamp=NOW[:1] + "_" + NOW[1:]),
    text_from("447915000003", timestamp=f" {NOW} "),
    text_from("447915000004", timestamp="\u0661\u0667\u0669" + NOW[3:]),
    text_from("447915000005", id="wamid." + "A" * 600_000),
    json.dumps(
        meta.status_update(PHONE_NUMBER_ID, "wamid.x", "\u00b2\u00b3", "delivered")
    ).encode(),
]


@pytest.mark.parametrize("body", REFUSED, ids=range(len(REFUSED)))
async def test_other_scripts_digits_odd_timestamps_and_huge_ids_get_400(
    make_bot: BotFactory, body: bytes
) -> None:
    bot = await make_bot()
    response = await bot.post_whatsapp(body)
    assert response.status == 400, await response.text()
    assert await bot.runtime.inbound_log.backlog() == 0


async def test_a_text_past_whatsapps_limit_is_cut_at_it(make_bot: BotFactory) -> None:
    bot = await make_bot()
    payload = meta.text_message(PHONE_NUMBER_ID, "447915000100", "x" * 10_000)
    assert (await bot.post_whatsapp(payload)).status == 200
    await bot.settle()
    timeline = await bot.runtime.conversations.timeline(bot.conversation("447915000100"))
    assert [len(m["text"]) for m in timeline if m["direction"] == "inbound"] == [4096]
