"""A service attached to a number all services had left told nobody it was its parent.

As a service saw it: every service detached from a number, the last detach told
``number.parent_changed`` to ``null``; then ``admin attach crm NUMBER`` said "the parent
is now crm", but no event came, and a service following the parent by the events
believed the number still had none (SN-7). Only a number's very first attachment has no
parent to change from.
"""

from __future__ import annotations

from tests.conftest import BotFactory
from tests.test_api import shared_number, wait_for_event


async def test_the_parent_after_an_idle_spell_is_told(make_bot: BotFactory) -> None:
    shared = await shared_number(make_bot)
    actions, number = shared.bot.runtime.actions, shared.number
    attached = await actions.services.order(number)
    for service in attached:
        await actions.detach(number, service)
    assert await actions.services.order(number) == []

    sink = shared.bot.sinks["sales"]
    await actions.attach(number, "sales")
    event = await wait_for_event(
        sink,
        "number.parent_changed",
        lambda d: (d["previous_parent"], d["parent"]) == (None, "sales"),
    )
    assert event["data"]["number"] == number
