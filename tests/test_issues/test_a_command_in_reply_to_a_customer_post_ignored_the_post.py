"""In the team chat, a reply to a customer's post answers that customer; but a command sent
as that reply (``/claim``, ``/note Call back after 9``, ``/optout``) ignored the post it
answered and got the bare usage line ("Usage: /claim <conversation>"), so a team member had
to copy the conversation id out of the post they were replying to."""

from __future__ import annotations

from tests.test_telegram_runtime import AGENT, CUSTOMER, TEAM_CHAT, TelegramBot, tg

__all__ = ["tg"]

OTHER = 5551002


async def posted(tg: TelegramBot, n: int) -> list[str]:
    """The team chat's posts, once there are ``n``."""
    await tg.api.wait_until(lambda: len(tg.api.messages_to(TEAM_CHAT)) >= n)
    return [m.text or "" for m in tg.api.messages_to(TEAM_CHAT)]


async def test_a_command_replying_to_a_post_acts_on_its_conversation(tg: TelegramBot) -> None:
    runtime = tg.bot.runtime
    tg.api.customer_text(CUSTOMER, "Where is my order?", first_name="Cara")
    await posted(tg, 1)
    post = tg.api.messages_to(TEAM_CHAT)[0]
    cid = tg.conversation()

    tg.api.group_text(TEAM_CHAT, AGENT, "/claim", reply_to_message_id=post.message_id)
    answer = (await posted(tg, 2))[1]
    assert "Usage" not in answer and cid in answer, answer
    assert (await runtime.claims.holder(cid)) is not None

    tg.api.group_text(
        TEAM_CHAT, AGENT, "/note Call back after 9", reply_to_message_id=post.message_id
    )
    assert (await posted(tg, 3))[2] == f"Noted on {cid}."
    tg.api.group_text(TEAM_CHAT, AGENT, "/note", reply_to_message_id=post.message_id)
    assert "Call back after 9" in (await posted(tg, 4))[3]

    tg.api.group_text(TEAM_CHAT, AGENT, "/optout off", reply_to_message_id=post.message_id)
    answer = (await posted(tg, 5))[4]
    assert "Usage" not in answer and cid in answer, answer


async def test_a_command_naming_a_conversation_keeps_it(tg: TelegramBot) -> None:
    """A reply that names another conversation acts on the one it names."""
    tg.api.customer_text(CUSTOMER, "Hello", first_name="Cara")
    tg.api.customer_text(OTHER, "Hi there", first_name="Omar")
    await posted(tg, 2)
    cara = next(m for m in tg.api.messages_to(TEAM_CHAT) if "Cara" in (m.text or ""))
    other = tg.conversation(OTHER)
    tg.api.group_text(TEAM_CHAT, AGENT, f"/claim {other}", reply_to_message_id=cara.message_id)
    answer = (await posted(tg, 3))[2]
    assert other in answer and tg.conversation() not in answer, answer
    assert await tg.bot.runtime.claims.holder(other) is not None
    assert await tg.bot.runtime.claims.holder(tg.conversation()) is None


async def test_only_commands_taking_a_conversation_first_take_the_post_s(tg: TelegramBot) -> None:
    about = tg.bot.runtime.commands.about
    cid = "c_0991e553a0d488f901a7"
    assert about("/CLAIM", cid) == f"/CLAIM {cid}"
    assert about("/reply  On its way\n  today", cid) == f"/reply {cid} On its way\n  today"
    assert about("/release c_3f2a", cid) == "/release c_3f2a"  # an id's start names one
    for line in ("/inbox", "/profile +447700900123", "/nosuch thing", "/", "/merge a b"):
        assert about(line, cid) == line
