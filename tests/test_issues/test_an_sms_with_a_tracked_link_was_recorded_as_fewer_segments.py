"""An SMS was recorded with the encoding and segments of its text as written, but it went
with its links tracked (each ``{PUBLIC_URL}/l/<token>`` about 150 characters): a text of
one segment went as two, which Twilio bills, while the timeline and ``message.outbound``
said one. They say what went now."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bot.model import Identity, Outbound
from tests.conftest import BotFactory
from tests.emulators.twilio_api import num_segments
from tests.test_sms_channel import CUSTOMER, OURS, SMSBot, sms_bot_with


@pytest.fixture
async def sms_bot(make_bot: BotFactory) -> AsyncIterator[SMSBot]:
    """Links tracked, as PUBLIC_URL makes them in a deployment."""
    async with sms_bot_with(make_bot, links=True) as bot:
        yield bot


async def test_the_segments_are_those_of_the_text_that_went(sms_bot: SMSBot) -> None:
    assert await sms_bot.text("hello") == 200  # the customer has a profile: links track
    await sms_bot.twilio.wait_for_sent(1)
    runtime = sms_bot.bot.runtime
    profile = await runtime.profiles.lookup(Identity("phone", CUSTOMER))
    text = "A" * 120 + " see https://shop.example.com/p"
    outbound = Outbound(
        send_id="snd_support_link",
        conversation_id=sms_bot.conversation,
        channel="sms",
        number=f"sms:{OURS}",
        recipient=Identity("phone", CUSTOMER),
        text=text,
        service="support",
        profile=profile,
    )
    await runtime.sender.send(outbound, runtime.shard_of(sms_bot.conversation))
    body = (await sms_bot.twilio.wait_for_sent(2))[-1].body
    assert "/l/" in body and num_segments(body) == 2  # its link tracked: two, as Twilio bills
    await sms_bot.bot.settle()
    timeline = await sms_bot.bot.runtime.conversations.timeline(sms_bot.conversation)
    sent = next(m for m in timeline if m["id"] == "snd_support_link")
    assert sent["text"] == text  # the thread keeps the text as written
    assert (sent["encoding"], sent["segments"]) == ("GSM-7", 2)
    sink = sms_bot.bot.sinks["support"]
    await sink.wait_for(
        lambda _: any(
            e["data"]["id"] == "snd_support_link" for e in sink.events("message.outbound")
        )
    )
    told = next(
        e["data"] for e in sink.events("message.outbound") if e["data"]["id"] == "snd_support_link"
    )
    assert (told["encoding"], told["segments"]) == ("GSM-7", 2)
