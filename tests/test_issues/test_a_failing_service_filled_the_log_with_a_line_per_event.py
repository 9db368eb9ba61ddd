"""A service that kept failing filled the log with a line for every event, every retry.

As an operator saw it: a subscriber answered 500 for a hundred seconds while about 600
events waited for it; the log got 3,821 lines "event evt_… to flaky failed (HTTP 500);
retry in 7.5s", one per event per attempt, and a service down for a day would have
had every queued event said again every ten minutes. A service's failures are said
in one line every few seconds, with how many more there were.
"""

from __future__ import annotations

import logging

import pytest

from tests.conftest import BotFactory
from tests.emulators import meta_webhooks as meta

CUSTOMERS = 20


async def test_failures_are_a_line_every_few_seconds(
    make_bot: BotFactory, caplog: pytest.LogCaptureFixture
) -> None:
    bot = await make_bot(services=("crm",))
    sink = bot.sinks["crm"]
    sink.fail(500)
    caplog.set_level(logging.INFO, logger="bot.core.couriers")
    for n in range(CUSTOMERS):
        await bot.post_whatsapp(meta.text_message(bot.phone_number_id, f"4479112000{n:02d}", "hi"))
    await bot.settle()
    await sink.wait_for(lambda _: sink.failed_attempts >= CUSTOMERS, timeout=20)
    said = [r.getMessage() for r in caplog.records if "to crm failed" in r.getMessage()]
    assert 1 <= len(said) <= 2, said
    sink.heal()
    await sink.wait_for_count(CUSTOMERS, "message.inbound", timeout=30, unique=True)
