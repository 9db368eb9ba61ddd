"""Meta reports some errors in the ``messages`` webhook itself, in the change's
``value.errors`` (https://developers.facebook.com/documentation/business-messaging/whatsapp/support/error-codes):
such a webhook was answered ``{"received": 0}`` and nothing said a word of it, so the
operator never learnt that Meta failed to hand over a customer's message. It is
acknowledged as before, and the log says Meta's code and details."""

from __future__ import annotations

import logging

import pytest

from tests.conftest import BotFactory
from tests.emulators import meta_webhooks as meta


def _errors_webhook(phone_number_id: str) -> dict[str, object]:
    error = {
        "code": 131000,
        "title": "Something went wrong",
        "message": "Something went wrong",
        "error_data": {"details": "Message failed to process due to an unknown error"},
        "href": meta.ERROR_CODES_URL,
    }
    payload = meta.text_message(phone_number_id, "447700900403", "unused")
    value = payload["entry"][0]["changes"][0]["value"]
    del value["messages"], value["contacts"]
    value["errors"] = [error]
    return payload


async def test_an_error_of_meta_s_is_said_in_the_log(
    make_bot: BotFactory, caplog: pytest.LogCaptureFixture
) -> None:
    bot = await make_bot()
    caplog.set_level(logging.WARNING)
    answer = await bot.post_whatsapp(_errors_webhook(bot.phone_number_id))
    assert answer.status == 200
    assert await answer.json() == {"received": 0, "new": 0}
    said = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert any(
        "131000" in line and "Message failed to process due to an unknown error" in line
        for line in said
    ), said


async def test_another_number_s_errors_are_not_said(
    make_bot: BotFactory, caplog: pytest.LogCaptureFixture
) -> None:
    bot = await make_bot()
    caplog.set_level(logging.WARNING)
    answer = await bot.post_whatsapp(_errors_webhook("999999999999999"))
    assert answer.status == 200
    assert not [r for r in caplog.records if "131000" in r.getMessage()]
