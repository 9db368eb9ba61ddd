"""A value filled into a workflow's message (``{ticket.id}``) was cut to 1,024 characters
without a word: a ticket id or a link reached the customer broken in the middle. A value
goes whole now; a message it makes too long for the channel is skipped as ``too_long``,
as any other is."""

from __future__ import annotations

from tests.conftest import BotFactory
from tests.test_notifications import setup, until
from tests.test_workflows import RULES, trigger


async def test_a_long_value_goes_whole_or_the_message_is_skipped(make_bot: BotFactory) -> None:
    shared = await setup(make_bot, workflows=RULES)
    long_id = "x" * 2000
    answer = await trigger(
        shared, {"type": "ticket.closed", "phone": "+447911123456", "data": {"id": long_id}}
    )
    assert len(answer["sent"]) == 1, answer
    await until(lambda: f"Ticket {long_id}: ticket.closed" in shared.texts_sent())
    too_long = "y" * 5000
    answer = await trigger(
        shared, {"type": "ticket.closed", "phone": "+447911123456", "data": {"id": too_long}}
    )
    assert answer["sent"] == [] and answer["skipped"] == ["too_long"], answer
    assert not any(text and "yyyy" in text for text in shared.texts_sent())
