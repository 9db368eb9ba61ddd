"""A customer on a channel that gives no name (SMS, the web chat) told a flow their name,
then asked for a person: the hand-off post in the team chat named them by their phone or
visitor id (``Hand-off: vid:3f2a… on web``), and so did each post of their messages,
while their profile had the name they gave. A post names the customer as their profile
does when the channel gives no name."""

from __future__ import annotations

from typing import Any

from tests.conftest import BotFactory
from tests.emulators.telegram_api import TelegramAPIEmulator, fake_token
from tests.test_flows_runtime import NAME_Q, flows_bot
from tests.test_webchat import next_message, open_chat

TEAM_CHAT = -1001234567892


async def test_the_team_chat_names_the_customer_as_the_profile_does(
    make_bot: BotFactory,
) -> None:
    token = fake_token()
    async with TelegramAPIEmulator(token) as api:
        api.add_group(TEAM_CHAT, "Team")
        bot = await flows_bot(make_bot, token, api, TEAM_CHAT)
        socket, _ = await open_chat(bot)
        said: list[str] = []
        for n, text in enumerate(("please call me", "Gus Grant", "agent", "still there?"), 1):
            await socket.send_json({"type": "message", "id": f"m{n}", "text": text})
            if n < 4:
                said.append((await next_message(socket))["text"])
        assert NAME_Q in said

        def posts() -> list[Any]:
            return [m.text for m in api.messages_to(TEAM_CHAT)]

        await api.wait_until(
            lambda: (
                any(p.startswith("Hand-off:") for p in posts())
                and any("still there?" in p for p in posts())
            ),
            timeout=10,
        )
        (handoff,) = [p for p in posts() if p.startswith("Hand-off:")]
        assert handoff.startswith("Hand-off: Gus Grant on web"), handoff
        (later,) = [p for p in posts() if "still there?" in p]
        assert later.startswith("Gus Grant on web"), later
        await socket.close()
        await bot.stop()
