"""A receipt that came after an erasure told every service the erased customer's number.

As a service saw it: the customer was erased (``profile.erased`` came, and the service
deleted its copy); hours later Meta posted the read receipt of the bot's reply to them,
and every service got ``message.status`` with ``"customer": "wa:<their number>"``,
kept in ``GET /v1/events`` too; a Twilio status callback did the same with the phone.
Events about an erased person name them ``erased`` (PS-7).
"""

from __future__ import annotations

from tests.conftest import Bot, BotFactory
from tests.emulators import meta_webhooks as meta
from tests.test_api import wait_for_event

WA_ID = "447700909950"


async def erased_after_the_welcome(make_bot: BotFactory) -> tuple[Bot, str]:
    """A customer welcomed, then erased: the bot, and the welcome's wamid."""
    bot = await make_bot(services=("crm",))
    await bot.post_whatsapp(meta.text_message(bot.phone_number_id, WA_ID, "hi"))
    await bot.settle()
    assert bot.graph is not None
    (welcome,) = await bot.graph.wait_for_sent(1)
    await wait_for_event(bot.sinks["crm"], "message.outbound")
    profile = await bot.runtime.profile_book.find(f"wa:{WA_ID}")
    await bot.runtime.profile_book.erase(profile)
    await wait_for_event(bot.sinks["crm"], "profile.erased")
    return bot, welcome.message_id


async def test_the_receipt_names_nobody(make_bot: BotFactory) -> None:
    bot, wamid = await erased_after_the_welcome(make_bot)
    receipt = meta.status_update(bot.phone_number_id, wamid, WA_ID, "read")
    assert (await bot.post_whatsapp(receipt)).status == 200
    await bot.settle()
    told = await wait_for_event(bot.sinks["crm"], "message.status", lambda d: d["status"] == "read")
    assert told["data"]["customer"] == "erased" and WA_ID not in str(told)


async def test_a_failure_is_stripped_as_the_events_on_their_way(make_bot: BotFactory) -> None:
    bot, wamid = await erased_after_the_welcome(make_bot)
    errors = [{"code": 131047, "title": "Re-engagement message", "message": "More than 24h"}]
    failed = meta.status_update(bot.phone_number_id, wamid, WA_ID, "failed", errors=errors)
    assert (await bot.post_whatsapp(failed)).status == 200
    await bot.settle()
    told = await wait_for_event(
        bot.sinks["crm"], "message.status", lambda d: d["status"] == "failed"
    )
    data = told["data"]
    assert (data["customer"], data["error"], data["erased"]) == ("erased", "", True)
