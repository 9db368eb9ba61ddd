"""SPEC AU-2 says the escape words ("agent", "cancel") work everywhere; "agent" worked
inside a guided conversation only: a customer who typed it outside one got the
fallback, or nothing, and no one on the team heard. Where the automation has flows, and
no rule of the business's answers the word, it hands the customer to a person, and the
team chat hears of it."""

from __future__ import annotations

from typing import Any

from tests.conftest import BotFactory
from tests.emulators.telegram_api import TelegramAPIEmulator, fake_token
from tests.test_flows_runtime import flows_bot
from tests.test_webchat import next_message, open_chat

TEAM_CHAT = -1001234567893


async def test_agent_outside_a_flow_reaches_the_team(make_bot: BotFactory) -> None:
    token = fake_token()
    async with TelegramAPIEmulator(token) as api:
        api.add_group(TEAM_CHAT, "Team")
        bot = await flows_bot(make_bot, token, api, TEAM_CHAT)
        socket, _ = await open_chat(bot)
        await socket.send_json({"type": "message", "id": "m1", "text": "hello"})
        assert (await next_message(socket))["text"] == "Welcome!"
        await socket.send_json({"type": "message", "id": "m2", "text": "Agent!"})
        assert (await next_message(socket))["text"] == "Connecting you to a member of our team."

        def handoffs() -> list[Any]:
            return [m for m in api.messages_to(TEAM_CHAT) if m.text.startswith("Hand-off:")]

        await api.wait_until(lambda: bool(handoffs()), timeout=10)
        (post,) = handoffs()
        assert "The customer asked for a person." in post.text
        await socket.close()
        await bot.runtime.pipeline.guided.settled()
        await bot.stop()
