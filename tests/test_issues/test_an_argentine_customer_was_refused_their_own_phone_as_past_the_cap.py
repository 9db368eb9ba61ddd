"""An Argentine customer's phone counted twice against the profile's cap of phones.

As an operator saw it: with ``profiles: {caps: {phone: 1}}``, every Argentine customer's
WhatsApp message recorded a refusal on their profile, "more than 1 phone identities",
for the other form of their own number (``+54 9 11 ...`` and ``+54 11 ...`` are one
line, and the profile holds both), and again with each message they sent; with the
default cap of five, a customer with three Argentine phones was refused the third.
The two forms of an Argentine line count once now.
"""

from __future__ import annotations

from bot.config.settings import ProfileSettings
from bot.model import DEFAULT_CAPS, MergePolicy
from stores.profiles import Merge, Refusal
from tests.conftest import BotFactory
from tests.emulators import meta_webhooks as meta

ONE_PHONE = ProfileSettings(policy=MergePolicy(caps={**DEFAULT_CAPS, "phone": 1}))


async def test_the_two_forms_of_a_line_are_within_a_cap_of_one(make_bot: BotFactory) -> None:
    bot = await make_bot(profiles=ONE_PHONE)
    for text in ("hola", "sigo aqui"):
        await bot.post_whatsapp(meta.text_message(bot.phone_number_id, "5491123456700", text))
        await bot.settle()
    book = bot.runtime.profile_book
    profile = await book.view("wa:5491123456700")
    assert profile["identities"] == [
        "phone:+541123456700",
        "phone:+5491123456700",
        "wa:5491123456700",
    ]
    assert profile["refusals"] == []


async def test_a_second_line_is_still_past_a_cap_of_one(make_bot: BotFactory) -> None:
    bot = await make_bot(profiles=ONE_PHONE)
    for wa_id in ("5491123456700", "5491123456711"):
        await bot.post_whatsapp(meta.text_message(bot.phone_number_id, wa_id, "hola"))
    await bot.settle()
    book = bot.runtime.profile_book
    merged = await book.merge("wa:5491123456700", "wa:5491123456711")
    assert isinstance(merged, Refusal) and merged.reason == "more than 1 phone identities"


async def test_three_argentine_lines_are_within_the_default_cap(make_bot: BotFactory) -> None:
    bot = await make_bot()
    wa_ids = ("5491123456700", "5491123456711", "5491123456722")
    for wa_id in wa_ids:
        await bot.post_whatsapp(meta.text_message(bot.phone_number_id, wa_id, "hola"))
    await bot.settle()
    book = bot.runtime.profile_book
    for wa_id in wa_ids[1:]:
        assert isinstance(await book.merge(f"wa:{wa_ids[0]}", f"wa:{wa_id}"), Merge)
    profile = await book.view(f"wa:{wa_ids[0]}")
    assert len([key for key in profile["identities"] if key.startswith("phone:")]) == 6
