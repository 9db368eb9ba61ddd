"""A receipt of a message sent to a WhatsApp group (Meta's Groups API: ``recipient_type``
``group``, the group's id in ``recipient_id``, the member in
``recipient_participant_id``), by another app on the number, was refused with a 400
when the group's id was not digits, so Meta sent it again and again for days; and when
it was digits, it was kept as the receipt of a customer of that "phone". The number's
group messages are left be, so their receipts are acknowledged and left be too."""

from __future__ import annotations

import pytest

from tests.conftest import PHONE_NUMBER_ID, BotFactory
from tests.emulators import meta_webhooks as meta


@pytest.mark.parametrize("group", ["120363012345678901", "Y2FwaV9ncm91cDoxNzA1NTU1MDEzOToxMjAz"])
async def test_a_group_receipt_is_acknowledged_and_left_be(
    make_bot: BotFactory, group: str
) -> None:
    bot = await make_bot()
    payload = meta.status_update(PHONE_NUMBER_ID, meta.new_message_id(), group, "delivered")
    status = payload["entry"][0]["changes"][0]["value"]["statuses"][0]
    status["recipient_type"] = "group"
    status["recipient_participant_id"] = "447911000225"
    answer = await bot.post_whatsapp(payload)
    assert answer.status == 200
    assert await answer.json() == {"received": 0, "new": 0}


async def test_a_customer_s_receipt_beside_it_is_taken(make_bot: BotFactory) -> None:
    bot = await make_bot()
    group = meta.status_update(PHONE_NUMBER_ID, meta.new_message_id(), "120363012345678901", "read")
    group["entry"][0]["changes"][0]["value"]["statuses"][0]["recipient_type"] = "group"
    own = meta.status_update(PHONE_NUMBER_ID, meta.new_message_id(), "447911000226", "read")
    answer = await bot.post_whatsapp(meta.batch(group, own))
    assert answer.status == 200
    assert await answer.json() == {"received": 1, "new": 1}
