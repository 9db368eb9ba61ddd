"""Telegram answering a send ``ok`` with a result of another shape (``"result": true``,
where a message is due) was sent again by aiogram, which took its failure to read the
answer for a failed call (the customer got it twice), and crashed PTB's reading with an
AttributeError, after which the send was failed as "interrupted: the process stopped
during the API call", which it had not. Either way the send is made once now, and its
failure says Telegram answered."""

from __future__ import annotations

import logging

import pytest

from tests.conftest import BotFactory
from tests.test_api import call
from tests.test_media_channels import CUSTOMER
from tests.test_media_inbound import telegram_files_bot


@pytest.mark.parametrize("framework", ["aiogram", "ptb"])
async def test_an_ok_of_another_shape_is_sent_once_and_said(
    make_bot: BotFactory, caplog: pytest.LogCaptureFixture, framework: str
) -> None:
    caplog.set_level(logging.INFO)
    async with telegram_files_bot(make_bot, framework) as (bot, api, service):
        api.customer_text(CUSTOMER, "hello")
        await api.wait_for_sent(1)  # the welcome
        await bot.settle()
        number = f"tg:{api.token.partition(':')[0]}"
        (conversation,) = await bot.runtime.conversations.list_for_number(number)
        api.answer_oddly("sendMessage", result=True)
        path = f"/v1/conversations/{conversation}/messages"
        assert (await call(bot, service, "POST", path, {"text": "once"})).status == 201
        await api.wait_for_sent(2)
        await bot.settle()
        assert [s.text for s in api.sent if s.chat_id == CUSTOMER] == [
            "Welcome! How can we help?",
            "once",
        ]
        timeline = await bot.runtime.conversations.timeline(conversation)
        last = [m for m in timeline if m["direction"] == "outbound"][-1]
        assert last["status"] == "failed", last
        said = [r.getMessage() for r in caplog.records if "failed" in r.getMessage()]
        assert any(
            "could not read its answer" in line and "not sent again" in line for line in said
        )
        assert not any("interrupted" in line or "redone" in line for line in said), said
