"""A service of the config file that the operator detached from a number was attached
there again at the next start of any process (a restart, or the supervisor replacing a
worker that died), and heard every customer's message again; a number whose services
were all detached started to answer again. A detach now holds over starts, until the
service is attached again."""

from __future__ import annotations

from tests.conftest import BotFactory


async def test_a_detached_service_stays_detached_over_a_restart(make_bot: BotFactory) -> None:
    first = await make_bot(services=("support", "sales"))
    number = f"wa:{first.phone_number_id}"
    directory = first.runtime.directory
    assert await directory.store.order(number) == ["bot", "support", "sales"]
    await directory.detach(number, "sales")
    await directory.detach(number, "bot")
    await first.stop()

    again = await make_bot(services=("support", "sales"))
    assert await again.runtime.directory.store.order(number) == ["support"]
    await again.runtime.directory.attach(number, "sales")  # attached again by the operator
    await again.stop()

    third = await make_bot(services=("support", "sales"))
    assert await third.runtime.directory.store.order(number) == ["support", "sales"]
