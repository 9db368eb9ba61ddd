"""SMS end to end (CH-4): signed Twilio webhooks in, replies out through the REST
emulator, carrier keywords, numbered choices, segments and delivery statuses."""

from __future__ import annotations

import contextlib
import secrets
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import pytest

from bot.config.settings import SMSSettings
from bot.model import Identity, Outbound, conversation_id
from tests.botprocess import free_port
from tests.conftest import Bot, BotFactory
from tests.emulators.twilio_api import TwilioEmulator, sign

CUSTOMER = "+447700900123"
OURS = "+447700900999"
ACCOUNT = "AC" + "1" * 32


@dataclass
class SMSBot:
    bot: Bot
    twilio: TwilioEmulator
    url: str

    @property
    def conversation(self) -> str:
        return conversation_id(f"sms:{OURS}", Identity("phone", CUSTOMER))

    async def text(self, body: str, *, signature: str | None = None) -> int:
        form, signed = self.twilio.signed_inbound(self.url, CUSTOMER, OURS, body)
        headers = {"X-Twilio-Signature": signed if signature is None else signature}
        response = await self.bot.client.post("/webhooks/sms", data=form, headers=headers)
        await self.bot.settle()
        return response.status

    async def last_inbound(self) -> dict[str, str]:
        """The customer's latest message, as the timeline keeps it."""
        timeline = await self.bot.runtime.conversations.timeline(self.conversation)
        return [m for m in timeline if m["direction"] == "inbound"][-1]

    async def opted_out(self) -> bool:
        meta = await self.bot.runtime.conversations.meta(self.conversation)
        return meta.get("opted_out") == "1"

    async def send(self, text: str, *buttons: str) -> str:
        """The service support sends the customer ``text`` (with ``buttons``, numbered
        choices on SMS); the body Twilio took, once it did."""
        runtime, sent = self.bot.runtime, len(self.twilio.sent)
        outbound = Outbound(
            send_id=f"snd_support{sent}",
            conversation_id=self.conversation,
            channel="sms",
            number=f"sms:{OURS}",
            recipient=Identity("phone", CUSTOMER),
            text=text,
            service="support",
            buttons=buttons,
        )
        await runtime.sender.send(outbound, runtime.shard_of(self.conversation))
        return (await self.twilio.wait_for_sent(sent + 1))[-1].body


@contextlib.asynccontextmanager
async def sms_bot_with(
    make_bot: BotFactory, sender: str = OURS, **overrides: Any
) -> AsyncIterator[SMSBot]:
    """A bot on SMS over the Twilio emulator, sending as ``sender`` (``SMS_FROM``: a
    number or a Messaging Service), its settings changed by ``overrides``."""
    token = secrets.token_hex(16)
    async with TwilioEmulator(ACCOUNT, token) as twilio:
        port = free_port()
        public = f"http://127.0.0.1:{port}"
        bot = await make_bot(
            whatsapp=False,
            port=port,
            public_url=public,
            sms=SMSSettings(ACCOUNT, token, sender, twilio.base_url),
            **overrides,
        )
        yield SMSBot(bot, twilio, f"{public}/webhooks/sms")


@pytest.fixture
async def sms_bot(make_bot: BotFactory) -> AsyncIterator[SMSBot]:
    async with sms_bot_with(make_bot) as bot:
        yield bot


async def test_a_text_gets_the_welcome_by_sms(sms_bot: SMSBot) -> None:
    assert await sms_bot.text("hi there") == 200
    (sent,) = await sms_bot.twilio.wait_for_sent(1)
    assert (sent.to, sent.from_) == (CUSTOMER, OURS)
    assert sent.body == "Welcome! How can we help?"
    timeline = await sms_bot.bot.runtime.conversations.timeline(sms_bot.conversation)
    assert [m["direction"] for m in timeline] == ["inbound", "outbound"]
    assert timeline[1]["segments"] == 1 and timeline[1]["encoding"] == "GSM-7"


async def test_a_forged_or_replayed_webhook_stores_nothing(sms_bot: SMSBot) -> None:
    assert await sms_bot.text("hi", signature="bm90IGEgc2lnbmF0dXJl") == 401
    assert await sms_bot.text("hi", signature="") == 401
    form, signature = sms_bot.twilio.signed_inbound(sms_bot.url, CUSTOMER, OURS, "once")
    for _ in range(3):  # Twilio retries: one message, one reply
        response = await sms_bot.bot.client.post(
            "/webhooks/sms", data=form, headers={"X-Twilio-Signature": signature}
        )
        assert response.status == 200
    await sms_bot.bot.settle()
    timeline = await sms_bot.bot.runtime.conversations.timeline(sms_bot.conversation)
    assert [m.get("text") for m in timeline if m["direction"] == "inbound"] == ["once"]


async def test_stop_start_and_help_work_as_carriers_expect(sms_bot: SMSBot) -> None:
    runtime = sms_bot.bot.runtime
    await sms_bot.text("hello")
    await sms_bot.twilio.wait_for_sent(1)
    await sms_bot.text("Stop")
    meta = await runtime.conversations.meta(sms_bot.conversation)
    assert meta["opted_out"] == "1"
    await runtime.actions.send(sms_bot.conversation, "a promo", service="support")
    await sms_bot.bot.settle()
    assert (await runtime.conversations.timeline(sms_bot.conversation))[-1]["status"] == "failed"
    assert len(sms_bot.twilio.sent) == 1  # the welcome, and nothing after STOP
    await sms_bot.text("HELP")
    sent = await sms_bot.twilio.wait_for_sent(2)
    assert "Reply STOP" in sent[-1].body
    await sms_bot.text("start")
    assert "opted_out" not in await runtime.conversations.meta(sms_bot.conversation)


async def test_choices_are_numbered_and_a_digit_picks_one(sms_bot: SMSBot) -> None:
    runtime = sms_bot.bot.runtime
    await sms_bot.text("hello")
    await sms_bot.twilio.wait_for_sent(1)
    body = await sms_bot.send("When shall we call?", "Morning", "Afternoon", "Evening")
    assert body == "When shall we call?\n1. Morning\n2. Afternoon\n3. Evening"
    await sms_bot.text(" 2 ")
    timeline = await runtime.conversations.timeline(sms_bot.conversation)
    picked = timeline[-1]
    assert (picked["kind"], picked["payload"], picked["text"]) == ("button", "b:1", "Afternoon")


async def test_long_and_unicode_texts_count_their_segments(sms_bot: SMSBot) -> None:
    runtime = sms_bot.bot.runtime
    await sms_bot.text("hello")
    await sms_bot.twilio.wait_for_sent(1)
    for text in ("x" * 161, "Grüße 👋 " * 10):
        await runtime.actions.send(sms_bot.conversation, text, service="support")
    await sms_bot.bot.settle()
    outbound = [m for m in await runtime.conversations.timeline(sms_bot.conversation)][-2:]
    assert [(m["encoding"], m["segments"]) for m in outbound] == [("GSM-7", 2), ("UCS-2", 2)]


async def test_delivery_statuses_come_back_from_the_callbacks(sms_bot: SMSBot) -> None:
    await sms_bot.text("hello")
    (sent,) = await sms_bot.twilio.wait_for_sent(1)
    assert sent.status_callback == sms_bot.url
    assert await sms_bot.twilio.post_status(sent.sid, "delivered") == 200
    await sms_bot.bot.settle()
    timeline = await sms_bot.bot.runtime.conversations.timeline(sms_bot.conversation)
    assert timeline[-1]["status"] == "delivered"
    assert timeline[-1]["provider_id"] == sent.sid


@pytest.mark.parametrize(
    "form",
    [
        {"From": CUSTOMER, "To": OURS, "Body": "no sid"},
        {"MessageSid": "SM" + "0" * 32, "From": "<script>", "To": OURS, "Body": "x"},
        {"MessageSid": "SM" + "0" * 32, "From": CUSTOMER, "To": OURS, "Body": "x" * 5000},
        {"MessageSid": "SM" + "0" * 32, "From": CUSTOMER, "To": OURS, "Body": "nul\x00"},
    ],
)
async def test_broken_and_hostile_forms_get_400_and_store_nothing(
    sms_bot: SMSBot, form: dict[str, str]
) -> None:
    form = {"AccountSid": ACCOUNT, **form}
    headers = {"X-Twilio-Signature": sign(sms_bot.twilio.auth_token, sms_bot.url, form)}
    response = await sms_bot.bot.client.post("/webhooks/sms", data=form, headers=headers)
    assert response.status == 400
    assert (await response.json())["error"]
    assert await sms_bot.bot.runtime.inbound_log.backlog() == 0


async def test_sms_is_off_without_its_settings(make_bot: BotFactory) -> None:
    bot = await make_bot(whatsapp=False)
    response = await bot.client.post("/webhooks/sms", data={"Body": "x"})
    assert response.status == 404
