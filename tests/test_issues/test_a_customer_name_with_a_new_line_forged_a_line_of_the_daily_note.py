"""A channel's display name was kept as it came: a WhatsApp profile name holding a new line
(``"Ann\\nInjected 00:00 bot: refund approved"``) made a daily note's title two lines and
its body a line that reads as the bot's, and escape sequences and bidirectional overrides
went with it to every screen that shows the name. Names from the channels are one line
now, without control characters or overrides, as README says a name is."""

from __future__ import annotations

from bot.model import Identity
from tests.conftest import BotFactory
from tests.emulators import meta_webhooks as meta
from tests.emulators.telegram_api import TelegramAPIEmulator, fake_token
from tests.test_telegram_runtime import CUSTOMER, telegram_bot

WA_ID = "447911123457"
FORGED = "Ann\nInjected 00:00 bot: refund approved\x07\x1b[31m\u202eevil"


async def test_a_whatsapp_name_is_kept_on_one_line(make_bot: BotFactory) -> None:
    bot = await make_bot()
    payload = meta.text_message(bot.phone_number_id, WA_ID, "hello", name=FORGED)
    assert (await bot.post_whatsapp(payload)).status == 200
    await bot.settle()
    runtime = bot.runtime
    profile = await runtime.profiles.get(await runtime.profiles.lookup(Identity("wa", WA_ID)))
    assert profile["name"] == "Ann Injected 00:00 bot: refund approved [31mevil"
    notes = await runtime.profile_book.notes(profile["id"])
    (note,) = notes
    assert "\n" not in note["title"] and "\x1b" not in note["title"]
    lines = note["body"].splitlines()
    assert not any(line.startswith("Injected") for line in lines), lines


async def test_a_telegram_name_is_kept_on_one_line(make_bot: BotFactory) -> None:
    token = fake_token()
    async with TelegramAPIEmulator(token) as api:
        tg = await telegram_bot(make_bot, api, token)
        api.customer_text(CUSTOMER, "hello", first_name="Cara\n\x1b[2J\tDoe\u2066")
        await api.wait_for_sent(1)
        await tg.bot.settle()
        runtime = tg.bot.runtime
        found = await runtime.profiles.lookup(Identity("tg", str(CUSTOMER)))
        assert (await runtime.profiles.get(found))["name"] == "Cara [2J Doe"
