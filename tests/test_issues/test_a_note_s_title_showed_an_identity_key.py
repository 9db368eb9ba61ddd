"""A daily note of a customer with no name was titled with their first identity's key:
"SMS Chat with phone:+447700940000", and a web visitor's "Web Chat with vid:<id>", the
id that opens their chat. The title writes a phone as a phone, and a web visitor as
one."""

from __future__ import annotations

from bot.core.profiles import shown_person
from bot.model import Identity
from tests.test_sms_channel import CUSTOMER, SMSBot, sms_bot

__all__ = ["sms_bot"]


async def test_a_nameless_customer_s_note_is_titled_with_their_phone(sms_bot: SMSBot) -> None:
    await sms_bot.text("hello")
    runtime = sms_bot.bot.runtime
    profile = await runtime.profiles.lookup(Identity("phone", CUSTOMER))
    (note,) = await runtime.profile_book.notes(profile)
    assert note["title"].startswith(f"SMS Chat with {CUSTOMER} ("), note["title"]


def test_a_web_visitor_is_never_titled_by_their_id() -> None:
    assert shown_person("vid:v0123456789abcdef0123") == "a web visitor"
    assert shown_person("wa:447700900123") == "+447700900123"
    assert shown_person("email:ann@example.com") == "ann@example.com"
