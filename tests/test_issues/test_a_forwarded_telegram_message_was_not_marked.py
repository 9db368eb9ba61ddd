"""README: a message the customer forwarded "says `forwarded`". A Telegram forward
(``forward_origin``, or ``forward_date`` from a Bot API before 7.0) reached the services
as if the customer had written it."""

from __future__ import annotations

from adapters.telegram_common import inbound_from_update
from bot.core.records import inbound_record
from tests.test_issues.test_a_telegram_update_that_broke_its_reading_was_a_503 import (
    message as message_of,
)

ORIGIN = {"type": "user", "date": 1700000000, "sender_user": {"id": 7, "is_bot": False}}


def test_a_forward_says_forwarded() -> None:
    for n, envelope in enumerate(({"forward_origin": ORIGIN}, {"forward_date": 1700000000})):
        update = {"update_id": n, "message": message_of(9 + n, text="look", **envelope)}
        (parsed,) = inbound_from_update(update, "123")
        assert inbound_record(parsed)["forwarded"] == "forwarded"


def test_a_message_of_the_customer_s_own_says_nothing() -> None:
    (parsed,) = inbound_from_update({"update_id": 5, "message": message_of(20, text="hi")}, "123")
    assert "forwarded" not in inbound_record(parsed)
