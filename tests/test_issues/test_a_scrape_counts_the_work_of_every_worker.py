"""With ``serve --workers N`` each worker counted for itself, labelled by its process id, and
a scrape landed on whichever worker took the connection: two scrapes in a row disagreed,
neither counted all the work, and every restart began new series. Now one scrape, answered
by any worker, counts the work of them all, with no label per process."""

from __future__ import annotations

import asyncio
from pathlib import Path

from tests.botprocess import BotProcess
from tests.scrape import total
from tests.test_crash import wait_until
from tests.whatsapp_process import (
    WhatsAppSetup,
    json_lines,
    post_messages,
    scrape_text,
    serving,
)

MESSAGES = 24
SCRAPES = 12


async def test_every_scrape_counts_every_workers_messages(
    whatsapp: WhatsAppSetup, tmp_path: Path
) -> None:
    # A past run's file in the operator's directory: it is emptied at the start.
    metrics_dir = tmp_path / "metrics"
    metrics_dir.mkdir()
    (metrics_dir / "counter_1.db").write_bytes(b"left by a past run")
    env = {**whatsapp.env, "LOG_FORMAT": "json", "PROMETHEUS_MULTIPROC_DIR": str(metrics_dir)}
    bot = BotProcess(env, whatsapp.config, args=("serve", "--workers", "2"))
    await asyncio.to_thread(bot.start)
    try:
        await serving(bot, 2)
        await post_messages(bot, whatsapp, MESSAGES)
        await whatsapp.sink.wait_for_count(MESSAGES, "message.inbound", timeout=30)

        async def counted() -> str:
            # A batch is counted once its writes are done, after its events went out.
            done = total(await scrape_text(bot), "pipeline_processed_total")
            return "" if done == MESSAGES else f"{done} of {MESSAGES} counted processed"

        await wait_until(counted, timeout=10)
        scrapes = [await scrape_text(bot) for _ in range(SCRAPES)]
    finally:
        assert await asyncio.to_thread(bot.stop) == 0
    lines = json_lines(bot.output())
    bot.close()
    for text in scrapes:
        assert total(text, "inbound_accepted_total") == MESSAGES
        assert total(text, "pipeline_processed_total") == MESSAGES
        assert total(text, "webhook_seconds_count", channel="whatsapp") == MESSAGES
        assert "worker=" not in text
    access = [line for line in lines if line["logger"] == "switchboard.access"]
    took_webhooks = {line["pid"] for line in access if line["route"] == "/webhooks/whatsapp"}
    answered_scrapes = {line["pid"] for line in access if line["route"] == "/metrics"}
    assert len(took_webhooks) == 2, "one worker took every webhook"
    assert len(answered_scrapes) == 2, "one worker answered every scrape"
    assert await asyncio.to_thread(metrics_dir.exists)  # the operator's directory stays
