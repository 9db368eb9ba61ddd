"""Telegram sends updates its own documentation does not describe: a forward from a user
who hides their account without ``sender_user_name`` (aiogram #1840), a reply to a story
that is ``{}`` (aiogram #1587). Each framework reads a whole getUpdates answer or none of
it, so one such update failed every poll, and every customer's message after it waited
for ever. PTB, for its part, let wrong types through (a list as the text, stored as
"['a']") and broke on a date past what a datetime holds.

Now the fields we read are checked by their types (``adapters/telegram_update.py``), for
both frameworks alike: an update whose fields we read are right is taken, whatever the
framework thinks of the rest, and one whose fields are wrong is skipped by the poll (the
offset moves past it) and refused by the webhook with a 400."""

from __future__ import annotations

from typing import Any

import pytest

from adapters.telegram_common import TelegramClient, inbound_from_update
from tests.emulators.telegram_api import TelegramAPIEmulator
from tests.test_telegram_channel import (  # noqa: F401 (fixtures)
    client,
    emulator,
    framework,
    make_client,
)

CUSTOMER, OTHER = 5551001, 5551002
HIDDEN_FORWARD = {"text": "fwd", "forward_origin": {"type": "hidden_user", "date": 1422450181}}
STORY_REPLY = {
    "text": "about your story",
    "external_reply": {"origin": {"type": "hidden_user", "date": 1, "sender_user_name": "A"}},
    "story": {},
}


async def texts(telegram: TelegramClient, updates: list[dict[str, Any]]) -> list[str]:
    return [m.text for u in updates for m in inbound_from_update(u, telegram.bot_id)]


async def test_updates_a_framework_cannot_read_hold_back_nothing(
    client: TelegramClient,  # noqa: F811 (the fixture imported above)
    emulator: TelegramAPIEmulator,  # noqa: F811 (the fixture imported above)
) -> None:
    emulator.customer_text(CUSTOMER, "before")
    emulator.customer_message(CUSTOMER, HIDDEN_FORWARD)
    emulator.customer_message(CUSTOMER, STORY_REPLY)
    emulator.customer_text(OTHER, "after")
    updates = await client.get_updates(offset=0, timeout=0)
    assert [u["update_id"] for u in updates] == [u["update_id"] for u in emulator.injected]
    assert await texts(client, updates) == ["before", "fwd", "about your story", "after"]


BROKEN: list[tuple[str, Any]] = [
    ("a list as the text", {"text": ["a"]}),
    ("a number as the text", {"text": 123}),
    ("a date no datetime holds", {"text": "late", "date": 1_000_000_000_000_000_000}),
]


@pytest.mark.parametrize(("what", "content"), BROKEN, ids=[what for what, _ in BROKEN])
async def test_an_update_with_a_wrong_type_is_skipped_by_the_poll_and_refused_by_the_webhook(
    client: TelegramClient,  # noqa: F811 (the fixture imported above)
    emulator: TelegramAPIEmulator,  # noqa: F811 (the fixture imported above)
    what: str,
    content: dict[str, Any],
) -> None:
    emulator.customer_text(CUSTOMER, "before")
    broken = emulator.customer_message(CUSTOMER, content)
    no_chat = emulator.raw_update("message", {"message_id": 9, "date": 1, "text": "x"})
    emulator.customer_text(OTHER, "after")
    updates = await client.get_updates(offset=0, timeout=0)
    # The offset moves past them: the skipped ones are kept as their ids alone.
    assert [u["update_id"] for u in updates] == [u["update_id"] for u in emulator.injected]
    assert await texts(client, updates) == ["before", "after"]
    for update in (broken, no_chat):
        with pytest.raises(ValueError, match="not a Telegram update"):
            client.validate(update)
