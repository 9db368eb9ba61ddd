"""After ``/detach team web:site``, the team still replied to that number's customers (a
reply to an old post, ``/reply``), claimed and noted its conversations: it checked only
that some service was still attached there, where every service acting through the API
gets a 404 for a number it is not attached to."""

from __future__ import annotations

from tests.test_fallback import say
from tests.test_team_commands import ADMIN
from tests.test_telegram_runtime import CUSTOMER, TelegramBot, tg, wait_until_processed
from tests.test_webchat import next_message, open_chat

__all__ = ["tg"]


async def test_the_team_is_refused_on_a_number_it_was_detached_from(tg: TelegramBot) -> None:
    runtime = tg.bot.runtime
    socket, _ = await open_chat(tg.bot)
    await say(socket, 1, "hi from the web")
    await next_message(socket)
    await tg.bot.settle()
    (web,) = await runtime.conversations.list_for_number("web:site")
    tg.api.customer_text(CUSTOMER, "hi from telegram")
    await wait_until_processed(tg, CUSTOMER, 1)
    assert "team" in await runtime.services.order("web:site")
    await runtime.directory.store.detach("web:site", "team")

    for line in (f"/claim {web}", f"/note {web} called her", f"/reply {web} hello"):
        answer = await runtime.commands.run(ADMIN, line)
        assert "the team is not attached to web:site" in answer, (line, answer)
    assert await runtime.claims.holders([web]) == [None]
    # Its other numbers are the team's as before.
    claimed = await runtime.commands.run(ADMIN, f"/claim {tg.conversation()}")
    assert claimed.startswith("You hold"), claimed
    await socket.close()
