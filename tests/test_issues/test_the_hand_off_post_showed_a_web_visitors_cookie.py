"""A guided conversation's hand-off post named a web chat visitor by their whole visitor
id (``Hand-off: vid:<their sb_vid cookie> …``), which alone opens the visitor's chat and
writes as them, where every other post of the team chat shows its first characters only."""

from __future__ import annotations

from tests.conftest import BotFactory
from tests.test_flows_runtime import posts, visitor_and_team_chat
from tests.test_webchat import next_message

TEAM_CHAT = -1001234567892


async def test_the_hand_off_shows_the_first_characters_of_the_visitor_id(
    make_bot: BotFactory,
) -> None:
    async with visitor_and_team_chat(make_bot, TEAM_CHAT) as (bot, api, socket):
        for n, text in enumerate(("callback", "agent"), 1):
            await socket.send_json({"type": "message", "id": f"m{n}", "text": text})
            await next_message(socket)
        cookie = next(c.value for c in bot.client.session.cookie_jar if c.key == "sb_vid")
        await api.wait_until(lambda: bool(posts(api, TEAM_CHAT, "Hand-off:")), timeout=10)
        (post,) = posts(api, TEAM_CHAT, "Hand-off:")
        assert post.startswith(f"Hand-off: vid:{cookie[:4]}… on web")
        assert all(cookie not in text for text in posts(api, TEAM_CHAT))
