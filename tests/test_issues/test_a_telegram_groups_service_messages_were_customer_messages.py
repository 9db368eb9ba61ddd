"""In a Telegram group, a member joining or leaving, the group becoming a supergroup, or a
pinned message came in as a customer's message (kind "unsupported"): the services got it,
the team chat was told, and the joiner was sent the welcome. Nobody wrote these."""

from __future__ import annotations

from typing import Any

import pytest

from adapters.telegram_common import inbound_from_update

ANN = {"id": 5551031, "is_bot": False, "first_name": "Ann"}
BEA = {"id": 5551032, "is_bot": False, "first_name": "Bea"}
GROUP = {"id": -1009876543210, "type": "supergroup", "title": "Shop fans"}


def _message(**fields: Any) -> dict[str, Any]:
    message = {"message_id": 301, "date": 1_790_000_000, "chat": GROUP, "from": ANN}
    return {"update_id": 700000200, "message": message | fields}


@pytest.mark.parametrize(
    "fields",
    [
        {"new_chat_members": [BEA]},
        {"left_chat_member": BEA},
        {"migrate_to_chat_id": -1009876543211},
        {"migrate_from_chat_id": -987654321},
        {"pinned_message": {"message_id": 300, "date": 1_790_000_000, "chat": GROUP}},
        {"new_chat_title": "Shop friends"},
    ],
)
def test_a_service_message_carries_no_customer_message(fields: dict[str, Any]) -> None:
    assert inbound_from_update(_message(**fields), "42") == []


def test_a_member_writing_in_the_group_still_comes_in() -> None:
    (message,) = inbound_from_update(_message(text="hello shop"), "42")
    assert message.text == "hello shop"
