"""After ``/detach team web:site``, the team was refused ``/claim``, ``/reply`` and a new
note there, but ``/optout … off`` still opted back in a customer of that number who had
sent STOP, and ``/note <conversation>`` and ``/inbox`` still showed its notes and its
customers' last messages."""

from __future__ import annotations

from typing import Any

from tests.test_fallback import say
from tests.test_team_commands import ADMIN
from tests.test_telegram_runtime import CUSTOMER, TelegramBot, tg, wait_until_processed
from tests.test_webchat import next_message, open_chat

__all__ = ["tg"]


async def web_visitor(tg: TelegramBot) -> tuple[Any, str]:
    """A web chat visitor who wrote their card's last digits: their socket, conversation."""
    socket, _ = await open_chat(tg.bot)
    await say(socket, 1, "my card ends 4111")
    await next_message(socket)
    await tg.bot.settle()
    (web,) = await tg.bot.runtime.conversations.list_for_number("web:site")
    return socket, web


async def test_the_team_neither_opts_in_nor_reads_a_number_it_left(tg: TelegramBot) -> None:
    runtime = tg.bot.runtime
    socket, web = await web_visitor(tg)
    await runtime.commands.run(ADMIN, f"/note {web} wants a refund")
    await runtime.commands.run(ADMIN, f"/optout {web}")
    tg.api.customer_text(CUSTOMER, "hi from telegram")
    await wait_until_processed(tg, CUSTOMER, 1)
    await runtime.directory.store.detach("web:site", "team")

    for line in (f"/optout {web} off", f"/optout {web}", f"/note {web}"):
        answer = await runtime.commands.run(ADMIN, line)
        assert "the team is not attached to web:site" in answer, (line, answer)
        assert "wants a refund" not in answer
    assert (await runtime.conversations.meta(web)).get("opted_out") == "1"
    inbox = await runtime.commands.run(ADMIN, "/inbox")
    assert "4111" not in inbox and web not in inbox, inbox
    assert tg.conversation() in inbox, inbox  # its other numbers are the team's as before
    await socket.close()


async def test_the_teams_profile_notes_leave_out_a_number_it_left(tg: TelegramBot) -> None:
    runtime = tg.bot.runtime
    socket, web = await web_visitor(tg)
    profile = (await runtime.conversations.meta(web))["profile"]
    assert "4111" in await runtime.commands.run(ADMIN, f"/profile {profile} notes")
    await runtime.directory.store.detach("web:site", "team")
    assert "4111" not in await runtime.commands.run(ADMIN, f"/profile {profile} notes")
    await socket.close()
