"""A service attached over the API with a secret that begins or ends with a space (or ends
with a line break) had every event refused by its receiver as forged.

``POST /v1/services`` trimmed the secret before keeping it, so the events were signed
with another key than the one the service checks with, and each was retried for a day,
then dead-lettered. The config file keeps a secret whole; the API does too now.
"""

from __future__ import annotations

import secrets

from tests.conftest import BotFactory
from tests.emulators import meta_webhooks as meta
from tests.emulators.sink import SubscriberSink
from tests.test_api import call

ADMIN = "admin-" + secrets.token_hex(16)


async def test_a_secret_with_spaces_at_its_ends_signs_as_given(make_bot: BotFactory) -> None:
    bot = await make_bot(admin_token=ADMIN)
    secret = f" {secrets.token_hex(16)}\n"
    async with SubscriberSink(secret) as sink:
        body = {"name": "crm", "url": sink.url, "secret": secret}
        answer = await call(bot, ADMIN, "POST", "/v1/services", body)
        assert answer.status == 201, answer.json

        await bot.post_whatsapp(meta.text_message(bot.phone_number_id, "447700900123", "hi"))

        await sink.wait_for_count(1, type="message.inbound")
        assert sink.rejected == []
