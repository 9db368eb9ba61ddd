"""The team chat showed a web chat visitor as ``vid:<their sb_vid cookie>``: in the post of
each message, /inbox, /profile and the "Sent to" answers. That value alone opens the
visitor's chat, with its history, and writes as them: anyone who could read the group
(members not on the team's list too) could take the conversation over. The team sees a
visitor id's first characters only now."""

from __future__ import annotations

from tests.conftest import BotFactory
from tests.emulators.telegram_api import TelegramAPIEmulator, fake_token
from tests.test_fallback import say, visitor_conversation
from tests.test_telegram_runtime import AGENT, TEAM_CHAT, telegram_bot
from tests.test_webchat import next_message, open_chat


async def test_no_team_answer_holds_the_visitors_cookie(make_bot: BotFactory) -> None:
    token = fake_token()
    async with TelegramAPIEmulator(token) as api:
        api.add_group(TEAM_CHAT, "Team")
        tg = await telegram_bot(make_bot, api, token)
        socket, _ = await open_chat(tg.bot)
        await say(socket, 1, "hello from the site")
        await next_message(socket)
        cid = visitor_conversation(tg.bot)
        cookie = next(c.value for c in tg.bot.client.session.cookie_jar if c.key == "sb_vid")
        await api.wait_until(lambda: bool(api.messages_to(TEAM_CHAT)), timeout=10)
        meta = await tg.bot.runtime.conversations.meta(cid)
        for command in ("/inbox", f"/profile {meta['profile']}", f"/reply {cid} Hi there"):
            api.group_text(TEAM_CHAT, AGENT, command)
        await api.wait_until(lambda: len(api.messages_to(TEAM_CHAT)) >= 4, timeout=15)
        said = [m.text or "" for m in api.messages_to(TEAM_CHAT)]
        assert "hello from the site" in said[0]
        assert all(cookie not in text for text in said), said
        assert any("vid:" in text for text in said[1:])
        await socket.close()
