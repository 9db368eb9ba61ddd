"""A guided conversation's hand-off post named a web chat visitor by their whole visitor
id (``Hand-off: vid:<their sb_vid cookie> …``), which alone opens the visitor's chat and
writes as them, where every other post of the team chat shows its first characters only."""

from __future__ import annotations

from typing import Any

from tests.conftest import BotFactory
from tests.emulators.telegram_api import TelegramAPIEmulator, fake_token
from tests.test_flows_runtime import flows_bot
from tests.test_webchat import next_message, open_chat

TEAM_CHAT = -1001234567892


async def test_the_hand_off_shows_the_first_characters_of_the_visitor_id(
    make_bot: BotFactory,
) -> None:
    token = fake_token()
    async with TelegramAPIEmulator(token) as api:
        api.add_group(TEAM_CHAT, "Team")
        bot = await flows_bot(make_bot, token, api, TEAM_CHAT)
        socket, _ = await open_chat(bot)
        for n, text in enumerate(("callback", "agent"), 1):
            await socket.send_json({"type": "message", "id": f"m{n}", "text": text})
            await next_message(socket)
        cookie = next(c.value for c in bot.client.session.cookie_jar if c.key == "sb_vid")

        def handoffs() -> list[Any]:
            return [m for m in api.messages_to(TEAM_CHAT) if m.text.startswith("Hand-off:")]

        await api.wait_until(lambda: bool(handoffs()), timeout=10)
        (post,) = handoffs()
        assert post.text.startswith(f"Hand-off: vid:{cookie[:4]}… on web")
        assert all(cookie not in (m.text or "") for m in api.messages_to(TEAM_CHAT))
        await socket.close()
        await bot.runtime.pipeline.guided.settled()
        await bot.stop()
