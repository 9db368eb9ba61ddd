"""After ``/detach team web:site``, ``/inbox`` and ``/profile ... notes`` left that number
out, but ``/stats`` still showed its conversations, campaigns and cost, and ``/stats
web:site`` answered them too. ``/stats`` now shows the numbers the team is attached to,
and refuses a number it was detached from, with the ``/attach`` line."""

from __future__ import annotations

from tests.test_team_commands import VIEWER
from tests.test_telegram_runtime import CUSTOMER, TelegramBot, tg, wait_until_processed

__all__ = ["tg"]


async def test_stats_leave_out_a_number_the_team_left(tg: TelegramBot) -> None:
    runtime = tg.bot.runtime
    tg.api.customer_text(CUSTOMER, "hi from telegram")
    await wait_until_processed(tg, CUSTOMER, 1)
    before = await runtime.commands.run(VIEWER, "/stats")
    assert "web:site: " in before and f"{tg.number}: " in before, before
    assert (await runtime.commands.run(VIEWER, "/stats web:site")).startswith("web:site: ")

    await runtime.directory.store.detach("web:site", "team")
    after = await runtime.commands.run(VIEWER, "/stats")
    assert "web:site" not in after, after
    assert f"{tg.number}: 1 conversation;" in after, after  # its other numbers as before
    refused = await runtime.commands.run(VIEWER, "/stats web:site")
    assert refused == (
        "Not shown: the team is not attached to web:site (/attach team web:site attaches it)."
    ), refused

    for number in await runtime.desk.team_numbers():
        await runtime.directory.store.detach(number, "team")
    assert await runtime.commands.run(VIEWER, "/stats") == "The team is attached to no number."
