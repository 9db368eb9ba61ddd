"""A WhatsApp webhook whose ``entry`` list held something that is no object (``null``, a
number, ``{}`` with no ``changes``) was answered 200 with nothing said of it: beside a good
message it was not in ``unread``, and alone the body was taken as holding nothing, where
README says the 200 lists why each item left out was, and a body with nothing readable is
a 400."""

from __future__ import annotations

import time
from typing import Any

import pytest

from tests.conftest import BotFactory
from tests.emulators import meta_webhooks as meta

WA_ID = "447911555013"


def _good(phone_number_id: str) -> dict[str, Any]:
    return meta.raw_message(
        phone_number_id,
        WA_ID,
        {
            "from": WA_ID,
            "id": meta.new_message_id(),
            "timestamp": str(int(time.time())),
            "type": "text",
            "text": {"body": "hello"},
        },
    )


@pytest.mark.parametrize("broken", [None, 0, "x", [], {}, {"id": "1", "changes": None}])
async def test_a_broken_entry_beside_a_message_is_said_in_unread(
    make_bot: BotFactory, broken: Any
) -> None:
    bot = await make_bot()
    payload = _good(bot.phone_number_id)
    payload["entry"].append(broken)
    answer = await bot.post_whatsapp(payload)
    assert answer.status == 200
    body = await answer.json()
    assert body["received"] == 1
    assert len(body["unread"]) == 1
    assert "entry" in body["unread"][0] or "changes" in body["unread"][0]


@pytest.mark.parametrize("broken", [None, 0, {}])
async def test_a_body_of_broken_entries_alone_is_a_400(make_bot: BotFactory, broken: Any) -> None:
    bot = await make_bot()
    answer = await bot.post_whatsapp({"object": "whatsapp_business_account", "entry": [broken]})
    assert answer.status == 400
    assert "entry" in (await answer.json())["error"]
