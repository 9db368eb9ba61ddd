"""A team member's reply that the channel refused (the customer blocked the bot, Meta's
"undeliverable") was answered "Sent to ...", and the team never heard otherwise: the
team chat posts customers' messages only, and ``/inbox`` showed the reply as any other.
The team chat now says it was not delivered, to the post of that conversation."""

from __future__ import annotations

from tests.test_telegram_runtime import AGENT, CUSTOMER, TEAM_CHAT, TelegramBot, tg

__all__ = ["tg"]


async def test_the_team_chat_hears_of_its_reply_that_failed(tg: TelegramBot) -> None:
    tg.api.customer_text(CUSTOMER, "hello", first_name="Cara")
    await tg.api.wait_until(lambda: bool(tg.api.messages_to(TEAM_CHAT)))
    (post,) = tg.api.messages_to(TEAM_CHAT)
    tg.api.block(CUSTOMER)
    tg.api.group_text(TEAM_CHAT, AGENT, "On it, Cara!", reply_to_message_id=post.message_id)

    def told() -> list[str]:
        return [m.text for m in tg.api.messages_to(TEAM_CHAT) if m.text.startswith("Not deliv")]

    await tg.api.wait_until(lambda: bool(told()), timeout=10)
    (said,) = told()
    assert said.startswith(f"Not delivered: ann@example.com's reply to tg:{CUSTOMER} on ")
    assert tg.conversation() in said and "blocked by the user" in said
    # A service's send that fails is the service's to hear of, not the team's.
    before = len(tg.api.messages_to(TEAM_CHAT))
    await tg.bot.runtime.actions.send(tg.conversation(), "a promo", service="support")
    await tg.bot.settle()
    timeline = await tg.timeline()
    assert timeline[-1]["status"] == "failed"
    await tg.bot.sinks["support"].wait_for(
        lambda ds: sum(d.event.get("type") == "message.status" for d in ds) >= 2
    )
    assert len(tg.api.messages_to(TEAM_CHAT)) == before
