"""A WhatsApp customer's order from the catalog, their deletion of a message and their
opening of the chat were all posted to the team chat as "[unsupported]": the team could
not tell an order from a deleted message. The post names what came now."""

from __future__ import annotations

import time
from typing import Any

from tests.conftest import Bot
from tests.emulators import meta_webhooks as meta
from tests.emulators.telegram_api import TelegramAPIEmulator
from tests.test_issues.test_a_shared_location_reached_the_team_chat_as_a_word import (
    team_and_whatsapp,
)
from tests.test_telegram_runtime import TEAM_CHAT

__all__ = ["team_and_whatsapp"]

CUSTOMER = "447700900405"


def _typed(phone_number_id: str, kind: str, content: Any) -> dict[str, Any]:
    message = {
        "from": CUSTOMER,
        "id": meta.new_message_id(),
        "timestamp": str(int(time.time())),
        "type": kind,
    }
    if content is not None:
        message[kind] = content
    return meta.raw_message(phone_number_id, CUSTOMER, message)


async def test_the_team_is_told_what_came(
    team_and_whatsapp: tuple[Bot, TelegramAPIEmulator],
) -> None:
    bot, api = team_and_whatsapp
    pnid = bot.phone_number_id
    order = {"catalog_id": "1", "product_items": [{"product_retailer_id": "sku1", "quantity": 2}]}
    for payload in (
        _typed(pnid, "order", order),
        _typed(pnid, "revoke", {"original_message_id": "wamid.gone"}),
        _typed(pnid, "request_welcome", None),
    ):
        assert (await bot.post_whatsapp(payload)).status == 200
    await api.wait_until(lambda: len(api.messages_to(TEAM_CHAT)) >= 3, timeout=20)
    posts = [str(post.text) for post in api.messages_to(TEAM_CHAT)]
    assert not [post for post in posts if "[unsupported]" in post]
    # Each is its own post, in whatever order they were delivered.
    for said in ("[order]", "[deleted a message]", "[opened the chat]"):
        assert [post for post in posts if said in post], (said, posts)
