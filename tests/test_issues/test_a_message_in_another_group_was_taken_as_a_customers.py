"""A message in any Telegram group the bot was in (not the team chat) was taken as its
sender's customer message: the sender got the welcome in private, unasked (real
Telegram refuses that: "bot can't initiate conversation with a user"), every service got
the message and a lead profile was made; a /stop in that group opted the sender out of
their private conversation with the business."""

from __future__ import annotations

from bot.model import Identity
from tests.test_telegram_runtime import CUSTOMER, TEAM_CHAT, TelegramBot, tg, wait_until_processed

__all__ = ["tg"]

BOOK_CLUB = -1009876543210
MEMBER = 5552002


async def test_a_message_in_another_group_is_nobodys(tg: TelegramBot) -> None:
    tg.api.add_group(BOOK_CLUB, "Book club")
    tg.api.group_text(BOOK_CLUB, MEMBER, "anyone read the new one?")
    tg.api.group_text(BOOK_CLUB, CUSTOMER, "/stop")
    # A customer's private message after them is taken, and answered, as ever.
    tg.api.customer_text(CUSTOMER, "hello", first_name="Cara")
    await wait_until_processed(tg, CUSTOMER, 1)
    await tg.api.wait_until(lambda: bool(tg.api.messages_to(CUSTOMER)))
    await tg.bot.settle()

    assert tg.api.messages_to(MEMBER) == []
    assert tg.api.messages_to(BOOK_CLUB) == []
    assert not await tg.opted_out(CUSTOMER)
    assert [m["text"] for m in await tg.timeline(CUSTOMER) if m["direction"] == "inbound"] == [
        "hello"
    ]
    assert await tg.bot.runtime.profiles.lookup(Identity("tg", str(MEMBER))) == ""
    await tg.api.wait_until(lambda: bool(tg.api.messages_to(TEAM_CHAT)))
    sink = tg.bot.sinks["support"]
    await sink.wait_for(lambda ds: any(d.event["type"] == "message.inbound" for d in ds))
    await tg.bot.settle()
    posts = [m.text for m in tg.api.messages_to(TEAM_CHAT)]
    assert len(posts) == 1 and "hello" in posts[0]
    inbound = [e["data"]["message"]["text"] for e in sink.events("message.inbound")]
    assert inbound == ["hello"]
