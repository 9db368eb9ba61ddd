"""A Mini App's data (``web_app_data``), the users or the chat a customer picked with a
``request_users`` or ``request_chat`` button (``users_shared``, ``chat_shared``), and any
kind Telegram adds later reached the services as an ``unsupported`` message with an empty
``provider_type``: docs/openapi.json says it is "the provider's own type name", and a
service could not tell what the customer did."""

from __future__ import annotations

import pytest

from adapters.telegram_common import inbound_from_update
from adapters.telegram_update import check_update
from bot.core.records import inbound_record
from tests.test_issues.test_a_telegram_update_that_broke_its_reading_was_a_503 import (
    message as message_of,
)

KINDS = {
    "web_app_data": {"data": '{"size": "M"}', "button_text": "Order"},
    "users_shared": {"request_id": 1, "users": [{"user_id": 42}]},
    "chat_shared": {"request_id": 2, "chat_id": -100123},
    "sparkle_of_the_future": {"what": "a kind the Bot API adds later"},
}


@pytest.mark.parametrize("field", sorted(KINDS))
def test_an_unreadable_kind_is_named_by_its_field(field: str) -> None:
    update = {"update_id": 1, "message": message_of(9, **{field: KINDS[field]})}
    check_update(update)
    (parsed,) = inbound_from_update(update, "123")
    record = inbound_record(parsed)
    assert (record["kind"], record["provider_type"]) == ("unsupported", field)


def test_the_envelope_names_no_kind() -> None:
    envelope = message_of(9, media_group_id="1", has_protected_content=True, edit_date=1)
    (parsed,) = inbound_from_update({"update_id": 2, "message": envelope}, "123")
    assert inbound_record(parsed)["provider_type"] == ""
