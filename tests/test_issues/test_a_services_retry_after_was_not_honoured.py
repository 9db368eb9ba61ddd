"""A service that refused a delivery with ``Retry-After`` (a 429, a 503 in maintenance) was
tried again on the fan-out's own backoff, a fraction of a second later, and on each
backoff after: its Retry-After is honoured now, up to the backoff's cap."""

from __future__ import annotations

import time
from collections.abc import Callable
from email.utils import formatdate

from bot.config.settings import DeliverySettings
from tests.conftest import BotFactory
from tests.emulators import meta_webhooks as meta

PATIENT = DeliverySettings(retry_base=0.05, retry_cap=5.0, timeout=2.0)
"""A first retry 25-50 ms after a failure, unless the service asks for longer."""


async def _gap_before_the_delivery(
    make_bot: BotFactory, status: int, retry_after: str | Callable[[], str]
) -> float:
    bot = await make_bot(delivery=PATIENT)
    sink = bot.sinks["support"]
    # A date is written as the refusal is answered: written before, the time the message
    # took to reach the service (on a busy machine, more than a tenth of a second) was
    # taken from the wait it asks for.
    sink.fail(status, count=1, retry_after=retry_after)
    await bot.post_whatsapp(meta.text_message(bot.phone_number_id, "447700900123", "hi"))
    await sink.wait_for_count(1, type="message.inbound", timeout=15)
    # The first POST, refused, was the message's event: the reply's comes after it.
    inbound = next(d for d in sink.deliveries if d.event["type"] == "message.inbound")
    return inbound.received_at - sink.failed_at[0]


async def test_a_429_with_retry_after_in_seconds_is_retried_after_it(
    make_bot: BotFactory,
) -> None:
    assert await _gap_before_the_delivery(make_bot, 429, "2") >= 1.9


async def test_a_503_with_retry_after_as_a_date_is_retried_after_it(
    make_bot: BotFactory,
) -> None:
    # An HTTP date has whole seconds: two from now is at least one and a bit away.
    def when() -> str:
        return formatdate(time.time() + 2, usegmt=True)

    assert await _gap_before_the_delivery(make_bot, 503, when) >= 0.9


async def test_a_retry_after_past_the_cap_waits_the_cap(make_bot: BotFactory) -> None:
    # A day asked for: the delivery is still retried within the cap (5 s), not dead-lettered.
    gap = await _gap_before_the_delivery(make_bot, 429, "86400")
    assert 4.5 <= gap < 10
