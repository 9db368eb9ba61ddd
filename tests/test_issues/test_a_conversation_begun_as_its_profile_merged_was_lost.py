"""A customer's first message on a new channel, taken at the moment their two profiles
merged (they shared their phone on Telegram as their first SMS came in), linked its
conversation to the profile merged away: the person's profile never listed it, and later
messages did not add it back. The link written on a profile merged meanwhile moves to
where it went, and a merge carries the links written while it ran."""

from __future__ import annotations

from bot.model import Identity
from tests.conftest import BotFactory
from tests.test_notifications import until

PHONE = "+447700900231"


async def test_a_link_written_on_a_profile_merged_meanwhile_lands_on_its_survivor(
    make_bot: BotFactory,
) -> None:
    bot = await make_bot()
    graph = bot.runtime.profiles
    telegram, whatsapp = Identity("tg", "555231"), Identity("wa", PHONE[1:])
    older = await graph.resolve([telegram], channel="telegram", at=1000)
    newer = await graph.resolve([whatsapp], channel="whatsapp", at=2000)
    # The message was stitched to the newer profile; the merge ran before its writes.
    assert await graph.merge(older, newer) is not None
    async with bot.runtime.store.round_trip() as pipe:
        graph.queue_conversation(pipe, newer, "c_sms_first", "ann@example.com")
        await pipe.execute()

    async def listed() -> list[str] | None:
        profile = await graph.get(older)
        return profile["conversations"] if "c_sms_first" in profile["conversations"] else None

    await until(listed, what="the conversation on the merged person's profile")
    assert (await graph.get(older)).get("owner") == "ann@example.com"
