"""The operator's admin token posting a workflow event got "only the parent service
automates…; the parent is 'bot', not 'admin'", as if the admin were a service. It is told
what ``POST /v1/notifications`` tells it: the admin token does not act for a service."""

from __future__ import annotations

from tests.conftest import BotFactory
from tests.test_api import call, shared_number
from tests.test_openapi import ADMIN_TOKEN


async def test_the_admin_token_is_told_it_cannot_post_a_workflow_event(
    make_bot: BotFactory,
) -> None:
    shared = await shared_number(make_bot, admin_token=ADMIN_TOKEN)
    body = {"type": "ticket.created", "number": shared.number, "phone": "+447911123456"}
    answer = await call(shared.bot, ADMIN_TOKEN, "POST", "/v1/events", body)
    assert answer.status == 403, answer.raw
    assert b"admin token" in answer.raw and b"parent" not in answer.raw, answer.raw
