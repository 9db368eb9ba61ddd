"""Once a customer was erased, ``/note`` and ``/claim`` on their conversation were
refused ("the customer was erased"), but ``/optout`` answered "opted out" and wrote it:
when the same phone wrote again, the new customer, whose conversation id the number and
the phone decide, was opted out without ever sending STOP."""

from __future__ import annotations

from handlers.commands import Caller
from tests.conftest import BotFactory
from tests.test_api import WA_ID, say, shared_number

ADMIN = Caller("ann@example.com", "admin")


async def test_an_optout_is_refused_once_its_customer_is_erased(make_bot: BotFactory) -> None:
    shared = await shared_number(make_bot)
    runtime = shared.bot.runtime
    meta = await runtime.conversations.meta(shared.conversation)
    await runtime.profile_book.erase(meta["profile"])
    answer = await runtime.commands.run(ADMIN, f"/optout {shared.conversation}")
    assert "erased" in answer, answer

    await say(shared.bot, "hello again", WA_ID)  # the same phone: a new customer
    await shared.bot.settle()
    assert (await runtime.conversations.meta(shared.conversation)).get("opted_out") != "1"
