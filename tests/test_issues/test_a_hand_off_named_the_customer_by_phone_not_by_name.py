"""A customer on a channel that gives no name (SMS, the web chat) told a flow their name,
then asked for a person: the hand-off post in the team chat named them by their phone or
visitor id (``Hand-off: vid:3f2a… on web``), and so did each post of their messages,
while their profile had the name they gave. A post names the customer as their profile
does when the channel gives no name."""

from __future__ import annotations

from tests.conftest import BotFactory
from tests.test_flows_runtime import NAME_Q, posts, visitor_and_team_chat
from tests.test_webchat import next_message

TEAM_CHAT = -1001234567892


async def test_the_team_chat_names_the_customer_as_the_profile_does(
    make_bot: BotFactory,
) -> None:
    async with visitor_and_team_chat(make_bot, TEAM_CHAT) as (_, api, socket):
        said: list[str] = []
        for n, text in enumerate(("please call me", "Gus Grant", "agent", "still there?"), 1):
            await socket.send_json({"type": "message", "id": f"m{n}", "text": text})
            if n < 4:
                said.append((await next_message(socket))["text"])
        assert NAME_Q in said
        await api.wait_until(
            lambda: (
                bool(posts(api, TEAM_CHAT, "Hand-off:"))
                and any("still there?" in p for p in posts(api, TEAM_CHAT))
            ),
            timeout=10,
        )
        (handoff,) = posts(api, TEAM_CHAT, "Hand-off:")
        assert handoff.startswith("Hand-off: Gus Grant on web"), handoff
        (later,) = [p for p in posts(api, TEAM_CHAT) if "still there?" in p]
        assert later.startswith("Gus Grant on web"), later
