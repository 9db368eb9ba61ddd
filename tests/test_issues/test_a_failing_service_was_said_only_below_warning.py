"""A service that kept failing was said only at INFO ("event evt_... to crm failed (HTTP
500); retry in 7.5s"): an operator running at ``LOG_LEVEL=WARNING`` never saw that a
service was down, only its dead letters a day later. It is a warning, still said once
every few seconds with how many more there were."""

from __future__ import annotations

import logging

import pytest

from tests.conftest import BotFactory
from tests.emulators import meta_webhooks as meta


async def test_a_failing_service_is_a_warning(
    make_bot: BotFactory, caplog: pytest.LogCaptureFixture
) -> None:
    bot = await make_bot(services=("crm",))
    sink = bot.sinks["crm"]
    sink.fail(500)
    caplog.set_level(logging.WARNING, logger="bot.core.couriers")
    await bot.post_whatsapp(meta.text_message(bot.phone_number_id, "447911200001", "hi"))
    await bot.settle()
    await sink.wait_for(lambda _: sink.failed_attempts >= 1, timeout=20)

    def said() -> list[logging.LogRecord]:
        return [r for r in caplog.records if "to crm failed (HTTP 500)" in r.getMessage()]

    await sink.wait_for(lambda _: bool(said()), timeout=10)
    assert said()[0].levelno == logging.WARNING
    sink.heal()
    await sink.wait_for_count(1, "message.inbound", timeout=30)
