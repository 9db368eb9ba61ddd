"""The Telegram and SMS webhooks refused a body past 1 MiB by its ``Content-Length``
alone: the same body sent in chunks, with no length, was read whole (up to the app's
3 MiB), and a Telegram update of 3 MB was stored. Now what arrives counts: past 1 MiB
is a 413 however it is sent, and nothing is stored."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from urllib.parse import urlencode

from tests.conftest import BotFactory
from tests.emulators.telegram_api import SECRET_HEADER, TelegramAPIEmulator, fake_token
from tests.emulators.twilio_api import sign
from tests.test_sms_channel import ACCOUNT, CUSTOMER, OURS, SMSBot, sms_bot  # noqa: F401 (a fixture)
from tests.test_telegram_runtime import telegram_bot

BIG = 3_000_000


async def chunks(body: bytes) -> AsyncIterator[bytes]:
    """A body with no Content-Length: aiohttp sends it chunked."""
    for start in range(0, len(body), 64 * 1024):
        yield body[start : start + 64 * 1024]


async def test_a_chunked_telegram_update_past_the_limit_is_a_413(make_bot: BotFactory) -> None:
    token, secret = fake_token(), "s3cret-" + "x" * 20
    async with TelegramAPIEmulator(token) as api:
        tg = await telegram_bot(make_bot, api, token, mode="webhook", webhook_secret=secret)
        update = {
            "update_id": 1,
            "message": {
                "message_id": 5,
                "date": 1_795_000_000,
                "chat": {"id": 5551001, "type": "private"},
                "from": {"id": 5551001, "is_bot": False, "first_name": "Cara"},
                "text": "x" * BIG,
            },
        }
        headers = {SECRET_HEADER: secret, "Content-Type": "application/json"}
        answer = await tg.bot.client.post(
            "/webhooks/telegram", data=chunks(json.dumps(update).encode()), headers=headers
        )
        assert answer.status == 413
        assert await tg.bot.runtime.inbound_log.backlog() == 0
        update["message"]["text"] = "a small one, in chunks too"  # type: ignore[index]
        answer = await tg.bot.client.post(
            "/webhooks/telegram", data=chunks(json.dumps(update).encode()), headers=headers
        )
        assert answer.status == 200


async def test_a_chunked_sms_form_past_the_limit_is_a_413(
    sms_bot: SMSBot,  # noqa: F811 (the fixture imported above)
) -> None:
    form = {
        "AccountSid": ACCOUNT,
        "MessageSid": "SM" + "0" * 32,
        "From": CUSTOMER,
        "To": OURS,
        "Body": "hi",
        "Padding": "x" * BIG,
    }
    headers = {
        "X-Twilio-Signature": sign(sms_bot.twilio.auth_token, sms_bot.url, form),
        "Content-Type": "application/x-www-form-urlencoded",
    }
    answer = await sms_bot.bot.client.post(
        "/webhooks/sms", data=chunks(urlencode(form).encode()), headers=headers
    )
    assert answer.status == 413
    assert await sms_bot.bot.runtime.inbound_log.backlog() == 0
