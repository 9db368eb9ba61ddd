"""A customer's Telegram file over 20 MB was answered 404 "the provider has it no more":
Telegram's getFile refuses such a file with 400 "file is too big" (it hands over files
of up to 20 MB), and every getFile 400 was taken for a file that is gone. It is a 413,
as a file past the limit is; a file Telegram does not know is still a 404."""

from __future__ import annotations

from bot.config.settings import TelegramSettings
from tests.conftest import BotFactory
from tests.emulators.telegram_api import TelegramAPIEmulator, fake_token
from tests.test_api import wait_for_event
from tests.test_media_inbound import fetch, inbound_with

MB = 1024 * 1024


async def test_a_file_telegram_will_not_hand_over_is_too_large(make_bot: BotFactory) -> None:
    token = fake_token()
    async with TelegramAPIEmulator(token) as api:
        settings = TelegramSettings(token=token, api_base=api.base_url)
        bot = await make_bot(whatsapp=False, telegram=settings, telegram_lease_ttl=2.0)
        service = await bot.runtime.directory.define_token("support")
        big = b"%PDF-" + b"z" * (21 * MB)
        api.document(5551001, "huge.pdf", "application/pdf", data=big, file_size=len(big))
        event = await wait_for_event(
            bot.sinks["support"], "message.inbound", inbound_with("document")
        )
        ref = event["data"]["message"]["media"]["ref"]
        status, body, _ = await fetch(bot, service, ref)
        assert status == 413 and b"larger than" in body
        assert (await fetch(bot, service, "tg_no-such-file"))[0] == 404
