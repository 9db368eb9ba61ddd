"""A Telegram poll, dice or round video came to the services as ``unsupported`` of no type.

As a service saw it: ``provider_type`` was ``''`` for them (only a sticker said
``sticker``), where the API's document says it is the provider's own type name for an
``unsupported`` message: a service could not tell what the customer sent.
"""

from __future__ import annotations

import pytest

from adapters.telegram_common import inbound_from_update
from tests.test_issues.test_a_telegram_update_that_broke_its_reading_was_a_503 import message


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("poll", {"id": "1", "question": "Pick one", "options": []}),
        ("dice", {"emoji": "🎲", "value": 4}),
        ("video_note", {"file_id": "DQAD", "file_unique_id": "u", "length": 240, "duration": 3}),
        ("animation", {"file_id": "CgAD", "file_unique_id": "u", "width": 1, "height": 1}),
    ],
)
def test_an_unsupported_message_names_its_kind(field: str, value: object) -> None:
    (parsed,) = inbound_from_update({"update_id": 1, "message": message(3, **{field: value})}, "9")
    assert (parsed.kind, parsed.provider_type) == ("unsupported", field)
