"""After every service had left a number and one attached again, ``number.parent_changed``
carried ``"previous_parent": null``, which the OpenAPI document declared a string: a
service that validates events against it, or generates its types from it, refused the
event. The document says null: the number had no parent before."""

from __future__ import annotations

from tests.conftest import BotFactory
from tests.test_api import shared_number, wait_for_event
from tests.test_openapi import Contract, load


async def test_the_event_after_an_idle_spell_is_the_documented_one(make_bot: BotFactory) -> None:
    shared = await shared_number(make_bot)
    actions, number = shared.bot.runtime.actions, shared.number
    for service in await actions.services.order(number):
        await actions.detach(number, service)
    await actions.attach(number, "sales")
    event = await wait_for_event(
        shared.bot.sinks["sales"], "number.parent_changed", lambda d: not d["previous_parent"]
    )
    assert (event["data"]["previous_parent"], event["data"]["parent"]) == (None, "sales")
    Contract(load()).event(event)
