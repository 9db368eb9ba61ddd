"""A signed Meta notification of another webhook field (``message_template_status_update``,
``account_update``) was answered 400, so Meta would retry it for 7 days. It is answered
200; a template's status change reaches the number's parent as ``template.status``."""

from __future__ import annotations

import time
from typing import Any

from tests.conftest import PHONE_NUMBER_ID, BotFactory
from tests.emulators.meta_webhooks import DEFAULT_WABA_ID, text_message


def account_change(field: str, value: dict[str, Any]) -> dict[str, Any]:
    """Meta's envelope for a business account's webhook field other than messages."""
    change = {"value": value, "field": field}
    entry = {"id": DEFAULT_WABA_ID, "time": int(time.time()), "changes": [change]}
    return {"object": "whatsapp_business_account", "entry": [entry]}


TEMPLATE_REJECTED = {
    "event": "REJECTED",
    "message_template_id": 1234567890123456,
    "message_template_name": "spring_sale",
    "message_template_language": "en_US",
    "reason": "INCORRECT_CATEGORY",
    "message_template_category": "MARKETING",
}
ACCOUNT_UPDATE = {
    "phone_number": "15550783881",
    "event": "VERIFIED_ACCOUNT",
}


async def test_template_statuses_reach_the_parent_and_other_fields_are_acknowledged(
    make_bot: BotFactory,
) -> None:
    bot = await make_bot(services=("crm", "desk"), runtime_service=False)
    crm, desk = bot.sinks["crm"], bot.sinks["desk"]
    rejected = account_change("message_template_status_update", TEMPLATE_REJECTED)
    for payload in (
        rejected,
        account_change("account_update", ACCOUNT_UPDATE),
        account_change("phone_number_quality_update", {"event": "FLAGGED"}),
    ):
        response = await bot.post_whatsapp(payload)
        assert response.status == 200, await response.text()
    # Meta retries the same notification (the same body, its time too): one event id.
    again = await bot.post_whatsapp(rejected)
    assert again.status == 200
    await crm.wait_for_count(2, "template.status")
    first, second = crm.events("template.status")
    assert second["id"] == first["id"]
    assert first["id"] != "" and first["number"] == f"wa:{PHONE_NUMBER_ID}"
    assert first["data"]["name"] == "spring_sale" and first["data"]["event"] == "REJECTED"
    assert first["data"]["reason"] == "INCORRECT_CATEGORY"
    # A message after them is fanned out as ever, to both services; the subscriber never
    # heard of the template.
    await bot.post_whatsapp(text_message(PHONE_NUMBER_ID, "447700900123", "hi"))
    await desk.wait_for_count(1, "message.inbound")
    assert desk.events("template.status") == []
    assert len(crm.event_ids() & {first["id"]}) == 1


async def test_a_template_update_without_its_event_is_refused(make_bot: BotFactory) -> None:
    bot = await make_bot()
    response = await bot.post_whatsapp(account_change("message_template_status_update", {}))
    assert response.status == 400
