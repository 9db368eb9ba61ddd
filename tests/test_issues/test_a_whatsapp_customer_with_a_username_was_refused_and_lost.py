"""WhatsApp names a customer who hides their phone behind a username by their
business-scoped user id alone (BSUID: ``from_user_id``, ``contacts[].user_id``, no
``from``, no ``wa_id``), as Meta's docs of 2026 say every business must support. Such a
message got a 400, which Meta retries for 7 days and then drops: the customer was never
heard nor answered. They are ``wauser:<BSUID>`` now: heard, answered through the Graph
API's ``recipient``, their receipts told, and one profile with their phone once Meta has
shared both."""

from __future__ import annotations

from urllib.parse import quote

from tests.conftest import BotFactory
from tests.emulators import meta_webhooks as meta
from tests.test_api import shared_number, wait_for_event

BSUID = "US.13491208655302741918"
PHONE = "447911123499"


async def test_a_username_customer_is_heard_answered_and_stitched(make_bot: BotFactory) -> None:
    bot = await make_bot()
    graph, sink = bot.graph, bot.sinks["support"]
    assert graph is not None
    hello = meta.username_text(bot.phone_number_id, BSUID, "hi, I'm @jane")
    assert (await bot.post_whatsapp(hello)).status == 200
    heard = await wait_for_event(sink, "message.inbound")
    assert heard["data"]["customer"] == f"wauser:{BSUID}"
    assert heard["data"]["message"]["text"] == "hi, I'm @jane"

    (welcome,) = await graph.wait_for_sent(1)
    assert welcome.body["recipient"] == BSUID and "to" not in welcome.body
    receipt = meta.username_status(bot.phone_number_id, welcome.message_id, BSUID, "read")
    assert (await bot.post_whatsapp(receipt)).status == 200
    told = await wait_for_event(sink, "message.status")
    assert told["data"]["status"] == "read"
    assert told["data"]["conversation_id"] == heard["data"]["conversation_id"]


async def test_the_user_id_and_the_phone_are_one_profile(make_bot: BotFactory) -> None:
    shared = await shared_number(make_bot)
    bot = shared.bot
    both = meta.username_text(bot.phone_number_id, BSUID, "phone still shared", wa_id=PHONE)
    assert (await bot.post_whatsapp(both)).status == 200
    await bot.settle()
    alone = meta.username_text(bot.phone_number_id, BSUID, "now a username only")
    assert (await bot.post_whatsapp(alone)).status == 200
    await bot.settle()
    by_phone = await shared.call("sales", "GET", f"/v1/profiles/phone:%2B{PHONE}")
    by_user = await shared.call("sales", "GET", f"/v1/profiles/{quote('wauser:' + BSUID)}")
    assert by_phone.status == by_user.status == 200, (by_phone.raw, by_user.raw)
    assert by_phone.json["profile"]["id"] == by_user.json["profile"]["id"]
    assert f"wauser:{BSUID}" in by_phone.json["profile"]["identities"]


async def test_a_message_with_neither_a_phone_nor_a_user_id_is_still_refused(
    make_bot: BotFactory,
) -> None:
    bot = await make_bot()
    broken = meta.username_text(bot.phone_number_id, "not-a-bsuid", "who am I")
    assert (await bot.post_whatsapp(broken)).status == 400
