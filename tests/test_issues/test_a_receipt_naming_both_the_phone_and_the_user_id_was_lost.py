"""A send to a customer's business-scoped user id (``wauser:``) whose receipt Meta posted
with their phone too (``recipient_id`` beside ``recipient_user_id``, as it does while the
contact is in its contact book) was looked for in the phone's conversation: no service
heard it, and the timeline kept the message at "sent". Such a receipt is looked for in the
user id's conversation too."""

from __future__ import annotations

from tests.conftest import BotFactory
from tests.emulators import meta_webhooks as meta
from tests.test_api import wait_for_event

BSUID = "US.13491208655302741918"
PHONE = "447911123488"


async def test_the_receipt_reaches_the_send_to_the_user_id(make_bot: BotFactory) -> None:
    bot = await make_bot()
    graph, sink = bot.graph, bot.sinks["support"]
    assert graph is not None
    hello = meta.username_text(bot.phone_number_id, BSUID, "hi")
    assert (await bot.post_whatsapp(hello)).status == 200
    (welcome,) = await graph.wait_for_sent(1)
    assert welcome.body["recipient"] == BSUID
    receipt = meta.username_status(
        bot.phone_number_id, welcome.message_id, BSUID, "delivered", wa_id=PHONE
    )
    assert (await bot.post_whatsapp(receipt)).status == 200
    told = await wait_for_event(sink, "message.status")
    assert told["data"]["status"] == "delivered"
    heard = sink.events("message.inbound")[0]["data"]
    assert told["data"]["conversation_id"] == heard["conversation_id"]
