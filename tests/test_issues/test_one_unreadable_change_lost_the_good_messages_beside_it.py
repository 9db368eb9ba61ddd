"""One change of a WhatsApp webhook that could not be read lost the messages beside it.

As Meta and the customer saw it: a body with a good message in one change and, beside
it, a change without its ``metadata`` (or whose ``value`` was null, or whose
``statuses`` was no list, or a template update without its ``event``) got a 400; Meta
sent the same body again for seven days and the good message was never taken. README
says: those that can be read are taken, and only a body with nothing readable is a 400.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest

from tests.conftest import PHONE_NUMBER_ID, BotFactory
from tests.emulators import meta_webhooks as meta

WA_ID = "447700900777"


def with_change(change: Any) -> dict[str, Any]:
    body = meta.text_message(PHONE_NUMBER_ID, WA_ID, "hello")
    body = copy.deepcopy(body)
    body["entry"][0]["changes"].append(change)
    return body


BROKEN = [
    {"field": "messages", "value": {"messaging_product": "whatsapp", "messages": []}},
    {"field": "messages", "value": None},
    {
        "field": "messages",
        "value": {"metadata": {"phone_number_id": PHONE_NUMBER_ID}, "statuses": {}},
    },
    {"field": "message_template_status_update", "value": {"message_template_id": 1}},
]


@pytest.mark.parametrize("change", BROKEN)
async def test_the_good_message_is_taken(make_bot: BotFactory, change: Any) -> None:
    bot = await make_bot(services=("crm",))
    answer = await bot.post_whatsapp(with_change(change))
    assert answer.status == 200, await answer.text()
    found = await answer.json()
    assert found["new"] == 1 and len(found["unread"]) == 1
    await bot.settle()
    await bot.sinks["crm"].wait_for_count(1, "message.inbound")


async def test_a_body_with_nothing_readable_is_still_a_400(make_bot: BotFactory) -> None:
    bot = await make_bot(services=("crm",))
    body = {"object": "whatsapp_business_account", "entry": [{"id": "1", "changes": BROKEN}]}
    answer = await bot.post_whatsapp(body)
    assert answer.status == 400
