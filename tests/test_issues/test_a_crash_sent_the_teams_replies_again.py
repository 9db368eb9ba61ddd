"""A crash (kill -9) while the team was replying made customers get the agents' replies
a second time: a team message's command runs before its batch is acknowledged, and the
next holder of the shard redoes the batch, each /reply with a new send id. A team
message runs once now, however often its batch is redone; one whose run failed (the
store out of reach) runs again."""

from __future__ import annotations

from adapters.telegram_common import inbound_from_update
from tests.test_telegram_runtime import AGENT, CUSTOMER, TEAM_CHAT, TelegramBot, tg

__all__ = ["tg"]


async def test_a_redone_team_reply_is_not_sent_again(tg: TelegramBot) -> None:
    tg.api.customer_text(CUSTOMER, "hello", first_name="Cara")
    await tg.api.wait_until(lambda: bool(tg.api.messages_to(TEAM_CHAT)))
    update = tg.api.group_text(TEAM_CHAT, AGENT, f"/reply {tg.conversation()} Once only")
    await tg.api.wait_until(
        lambda: any(m.text == "Once only" for m in tg.api.messages_to(CUSTOMER)), timeout=10
    )
    team = tg.bot.runtime.team_chat
    assert team is not None
    (message,) = inbound_from_update(update, tg.token.partition(":")[0])
    await team.handle(message)  # the batch redone, as after a crash
    await tg.bot.settle()
    sent = [m.text for m in tg.api.messages_to(CUSTOMER)]
    assert sent.count("Once only") == 1, sent
    timeline = await tg.timeline()
    assert [m["text"] for m in timeline].count("Once only") == 1
