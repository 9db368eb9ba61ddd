"""A Telegram poll, dice or game came to the services as ``unsupported`` of no type.

As a service saw it: ``provider_type`` was ``''`` for them (only a sticker said
``sticker``), where the API's document says it is the provider's own type name for an
``unsupported`` message: a service could not tell what the customer sent. (A round video,
once among them, is a video now, with its file.)
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
        ("game", {"title": "Chess", "description": "A game", "photo": []}),
        ("animation", {"file_id": "CgAD", "file_unique_id": "u", "width": 1, "height": 1}),
    ],
)
def test_an_unsupported_message_names_its_kind(field: str, value: object) -> None:
    (parsed,) = inbound_from_update({"update_id": 1, "message": message(3, **{field: value})}, "9")
    assert (parsed.kind, parsed.provider_type) == ("unsupported", field)
