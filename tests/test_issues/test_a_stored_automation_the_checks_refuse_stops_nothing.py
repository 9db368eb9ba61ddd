"""Regression: a parent's automation stored before the config checks grew stricter (a key
they now refuse) raised in the pipeline for every message on its number. It is now
refused once, with a warning naming the service, and the number runs no automation while
its messages still reach the services."""

from __future__ import annotations

import logging

import pytest

from tests.conftest import BotFactory
from tests.test_api import say


async def test_a_refused_stored_automation_leaves_the_messages_flowing(
    make_bot: BotFactory, caplog: pytest.LogCaptureFixture
) -> None:
    bot = await make_bot(runtime_service=False, automations={"support": {"welcom": "Hi"}})
    with caplog.at_level(logging.WARNING):
        await say(bot, "hello?")
        await bot.sinks["support"].wait_for_count(1, type="message.inbound")
    assert any(
        "support" in record.getMessage() and "welcom" in record.getMessage()
        for record in caplog.records
    )
    assert bot.graph is not None and bot.graph.sent == []
