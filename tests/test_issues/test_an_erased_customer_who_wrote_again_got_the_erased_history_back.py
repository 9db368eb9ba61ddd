"""An erased customer who wrote again was a new customer with a new profile, but their
conversation carried on: its record named them again and counted the erased messages,
and the new profile's daily note listed each erased message under the new name. The
erased conversation's skeleton is not the new customer's: it goes when they write."""

from __future__ import annotations

import asyncio

from tests.conftest import BotFactory
from tests.test_api import say, shared_number
from tests.test_api_profiles import WA_ID


async def test_an_erased_customer_who_writes_again_starts_a_new_conversation(
    make_bot: BotFactory,
) -> None:
    shared = await shared_number(make_bot)
    await say(shared.bot, "my old secret question")
    assert (await shared.call("support", "DELETE", f"/v1/profiles/wa:{WA_ID}")).status == 200
    conversations = shared.bot.runtime.conversations
    assert (await conversations.meta(shared.conversation))["customer"] == "erased"
    await asyncio.sleep(1.1)  # WhatsApp stamps whole seconds: the erasure's own is older
    await say(shared.bot, "hello again")
    timeline = await conversations.timeline(shared.conversation)
    # A new customer, welcomed as one; nothing of the erased conversation is left.
    assert [(m["direction"], m.get("text"), m.get("erased")) for m in timeline] == [
        ("inbound", "hello again", None),
        ("outbound", "Support here, how can we help?", None),
    ]
    meta = await conversations.meta(shared.conversation)
    assert (meta["customer"], meta["inbound"]) == (f"wa:{WA_ID}", "1")
    notes = await shared.call("support", "GET", f"/v1/profiles/wa:{WA_ID}/notes")
    assert notes.status == 200, notes.raw
    [note] = notes.json["notes"]
    assert [m.get("text") for m in note["messages"]] == [
        "hello again",
        "Support here, how can we help?",
    ]
