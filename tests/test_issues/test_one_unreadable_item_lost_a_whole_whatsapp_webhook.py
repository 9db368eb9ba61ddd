"""One message or status the bot cannot read (a message naming no sender, a status
without 'recipient_id') got the whole POST a 400. Meta sends the same body again
for 7 days, then drops it: every good message beside it was lost. The rest is taken now,
and the answer names what was not."""

from __future__ import annotations

import json

from tests.conftest import BotFactory
from tests.emulators import meta_webhooks as meta

ANN = "447700900401"


async def test_the_good_items_beside_an_unreadable_one_are_taken(make_bot: BotFactory) -> None:
    bot = await make_bot()
    body = meta.text_message(bot.phone_number_id, ANN, "price?", msg_id="wamid.good1")
    value = body["entry"][0]["changes"][0]["value"]
    value["messages"].append(
        {
            "from_user_id": "not a business-scoped id",
            "id": "wamid.username1",
            "timestamp": value["messages"][0]["timestamp"],
            "type": "text",
            "text": {"body": "hi"},
        }
    )
    value["statuses"] = [{"id": "wamid.sent1", "status": "delivered", "timestamp": "1"}]
    response = await bot.post_whatsapp(body)
    assert response.status == 200
    answer = json.loads(await response.read())
    assert (answer["received"], answer["new"]) == (1, 1)
    assert len(answer["unread"]) == 2
    assert "'from'" in answer["unread"][0] and "'recipient_id'" in answer["unread"][1]
    await bot.settle()
    timeline = await bot.runtime.conversations.timeline(bot.conversation(ANN))
    assert [m.get("text") for m in timeline if m["direction"] == "inbound"] == ["price?"]


async def test_a_body_with_nothing_readable_is_still_a_400(make_bot: BotFactory) -> None:
    bot = await make_bot()
    body = meta.text_message(bot.phone_number_id, ANN, "hi")
    del body["entry"][0]["changes"][0]["value"]["messages"][0]["from"]
    response = await bot.post_whatsapp(body)
    assert response.status == 400
    assert "'from'" in json.loads(await response.read())["error"]
