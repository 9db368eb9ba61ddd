"""A receipt that overtook the provider's answer to the send (Twilio's status callback
posted before its 201 reached the bot) was often lost: when the send's record was made
between the receipt's look-up and its writing, the receipt was kept under the provider's
id for good, the message stayed ``sent`` and no ``message.status`` went out (4 and 6 of
14, a failure included)."""

from __future__ import annotations

import asyncio

from bot.model import Identity, Outbound
from tests.conftest import BotFactory
from tests.test_sms_channel import CUSTOMER, sms_bot_with

SENDS = 12


async def test_every_receipt_that_came_first_is_told(make_bot: BotFactory) -> None:
    async with sms_bot_with(make_bot) as bot:
        await bot.text("hello")
        await bot.twilio.wait_for_sent(1)
        runtime = bot.bot.runtime
        for n in range(SENDS):
            bot.twilio.receipt_first = "delivered" if n % 2 else "undelivered"
            outbound = Outbound(
                send_id=f"snd_early{n}",
                conversation_id=bot.conversation,
                channel="sms",
                number=runtime.channels.numbers[0],
                recipient=Identity("phone", CUSTOMER),
                text=f"early {n}",
                service="support",
            )
            await runtime.sender.send(outbound, runtime.shard_of(bot.conversation))
            await bot.twilio.wait_for_sent(n + 2)
        want = {f"snd_early{n}": "delivered" if n % 2 else "failed" for n in range(SENDS)}
        sink = bot.bot.sinks["support"]

        def told() -> dict[str, str]:
            return {
                e["data"]["message_id"]: e["data"]["status"]
                for e in sink.events("message.status")
                if e["data"]["message_id"].startswith("snd_early")
            }

        async with asyncio.timeout(15):
            while told() != want:
                await sink.wait_for(lambda _: told() == want, timeout=15)
        timeline = await runtime.conversations.timeline(bot.conversation)
        kept = {m["id"]: m["status"] for m in timeline if m["id"] in want}
        assert kept == want
