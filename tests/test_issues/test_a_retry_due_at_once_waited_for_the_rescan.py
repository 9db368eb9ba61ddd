"""Regression: a failed delivery's retry could wait for the retry schedule's rescan
(15 s) instead of its backoff: an attempt that failed while the couriers' look at the
schedule was in flight had its retry time overwritten by that look's "next look at the
rescan", and the retry was written to the schedule only after. The retries a turn settles
now set when the schedule is looked at next. The stall showed in about one run in six of
test_fanout's failing-service test; this test runs fifteen failing events one after
another, each of which must arrive well inside the rescan."""

from __future__ import annotations

from bot.config.automation import AutomationSettings
from tests.conftest import BotFactory
from tests.emulators import meta_webhooks as meta


async def test_retries_go_out_when_due_not_at_the_rescan(make_bot: BotFactory) -> None:
    bot = await make_bot(automation=AutomationSettings(welcome=""))
    sink = bot.sinks["support"]
    for index in range(15):
        sink.fail(503, count=2)
        payload = meta.text_message(bot.phone_number_id, f"4477009{index:05d}", f"hi {index}")
        assert (await bot.post_whatsapp(payload)).status == 200
        # Backoff is at most 0.05 s, then 0.1 s (FAST_DELIVERY): far inside 5 s.
        await sink.wait_for_count(index + 1, type="message.inbound", timeout=5)
