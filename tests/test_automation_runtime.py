"""Auto-replies in a running bot (AU-1): the away message, one answer per contact per
interval even for two quick messages, and the config file reloaded without a restart."""

from __future__ import annotations

import asyncio
import logging
import time
from pathlib import Path

import pytest
import yaml

from bot.config.automation import automation_settings
from tests.conftest import BotFactory
from tests.emulators import meta_webhooks as meta
from tests.test_api import WA_ID, say


async def test_outside_business_hours_the_away_message_answers(make_bot: BotFactory) -> None:
    # Yesterday, today and tomorrow: a holiday still, should midnight pass as the test runs.
    days = [time.strftime("%Y-%m-%d", time.gmtime(time.time() + n * 86400)) for n in (-1, 0, 1)]
    away = {
        "message": "Closed for the holiday; back tomorrow.",
        "timezone": "UTC",
        "hours": {day: "00:00-24:00" for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")},
        "holidays": days,
    }
    bot = await make_bot(automation=automation_settings({"welcome": "Hi!", "away": away}))
    await say(bot, "hello?")
    assert bot.graph is not None
    (sent,) = await bot.graph.wait_for_sent(1)
    assert sent.text == "Closed for the holiday; back tomorrow."


async def test_two_quick_messages_get_one_automated_answer(make_bot: BotFactory) -> None:
    automation = automation_settings(
        {
            "welcome": "Hi!",
            "reply_interval": 600,
            "rules": [{"keywords": ["price"], "reply": "Prices"}],
        }
    )
    bot = await make_bot(automation=automation)
    for text in ("what's the price?", "price please?"):
        payload = meta.text_message(bot.phone_number_id, WA_ID, text)
        assert (await bot.post_whatsapp(payload)).status == 200
    await bot.settle()
    await say(bot, "and the price?")
    await asyncio.sleep(0.3)
    assert bot.graph is not None
    assert [m.text for m in bot.graph.sent] == ["Prices"]


async def said(caplog: pytest.LogCaptureFixture, words: str, count: int) -> None:
    """Wait until the config watch has said ``words`` ``count`` times: it looks at the file
    every second, and a loaded machine can take longer than that to get to it."""
    deadline = time.monotonic() + 20
    while sum(words in r.getMessage() for r in caplog.records) < count:
        assert time.monotonic() < deadline, f"the watch never said {words!r} ({count})"
        await asyncio.sleep(0.05)


async def test_the_config_file_is_reloaded_without_a_restart(
    make_bot: BotFactory, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="bot.config.watch")
    path = tmp_path / "switchboard.yaml"
    path.write_text(yaml.safe_dump({"automation": {"welcome": "Hi!"}}), encoding="utf-8")
    bot = await make_bot(config_path=str(path), automation=automation_settings({"welcome": "Hi!"}))
    await say(bot, "ping")
    assert bot.graph is not None
    await bot.graph.wait_for_sent(1)
    document = {
        "automation": {"welcome": "Hi!", "rules": [{"keywords": ["ping"], "reply": "pong"}]}
    }
    await asyncio.sleep(1.1)  # a new modification time, whatever the file system's precision
    path.write_text(yaml.safe_dump(document), encoding="utf-8")
    await said(caplog, "automation reloaded from", 1)
    await say(bot, "ping")
    sent = await bot.graph.wait_for_sent(2)
    assert sent[-1].text == "pong"
    # A broken file leaves the running automation as it was.
    await asyncio.sleep(1.1)
    path.write_text("automation: [not, a, mapping", encoding="utf-8")
    await said(caplog, "config file not reloaded", 1)
    await say(bot, "ping")
    sent = await bot.graph.wait_for_sent(3)
    assert sent[-1].text == "pong"
