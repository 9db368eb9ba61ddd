"""A WhatsApp message whose ``id`` was ``true`` was kept and handed on as the message
``"True"``, and an id holding a NUL, a direction control or a space was kept as it came;
a ``type`` of ``true`` was shown as the type ``"True"``, one holding a NUL as it came.
Meta's ids are ``wamid.`` and base64: such a message is refused, as a wrong timestamp is,
and a type that is no Meta type is none (an unsupported message of no type)."""

from __future__ import annotations

import time
from typing import Any

import pytest

from tests.conftest import BotFactory
from tests.emulators import meta_webhooks as meta

WA_ID = "447911555014"


def _message(**fields: Any) -> dict[str, Any]:
    message = {
        "from": WA_ID,
        "id": meta.new_message_id(),
        "timestamp": str(int(time.time())),
        "type": "text",
        "text": {"body": "hello"},
    }
    message.update(fields)
    return message


@pytest.mark.parametrize("given", [True, False, "a\x00b", "\u202e", "\u200b", " ", "wamid.a b"])
async def test_a_message_id_that_is_no_meta_id_is_refused(make_bot: BotFactory, given: Any) -> None:
    bot = await make_bot()
    answer = await bot.post_whatsapp(
        meta.raw_message(bot.phone_number_id, WA_ID, _message(id=given))
    )
    assert answer.status == 400
    assert "'id'" in (await answer.json())["error"]


@pytest.mark.parametrize("given", [True, 7, "a\x00b", "x" * 200])
async def test_a_type_that_is_no_meta_type_is_no_type(make_bot: BotFactory, given: Any) -> None:
    bot = await make_bot()
    answer = await bot.post_whatsapp(
        meta.raw_message(bot.phone_number_id, WA_ID, _message(type=given))
    )
    assert answer.status == 200
    await bot.settle()
    timeline = await bot.runtime.conversations.timeline(bot.conversation(WA_ID))
    (inbound,) = [m for m in timeline if m["direction"] == "inbound"]
    assert (inbound["kind"], inbound["provider_type"]) == ("unsupported", "")
