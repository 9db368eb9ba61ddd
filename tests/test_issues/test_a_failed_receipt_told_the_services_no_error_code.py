"""A message WhatsApp failed was told to the services as ``message.status`` with Meta's
error title alone, and with no title (Meta is retiring them) an empty ``error``: a
service could not tell why it failed; nor was the code of a send the provider refused at
once. The event carries the provider's ``error_code``, and the error's message where
there is no title."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import BotFactory
from tests.emulators import meta_webhooks as meta
from tests.test_api import shared_number, wait_for_event

WA_ID = "447700909951"


@pytest.mark.parametrize(
    ("error", "said"),
    [
        ({"code": 131026, "title": "Message undeliverable"}, "Message undeliverable"),
        (
            {
                "code": 131049,
                "message": "This message was not delivered to maintain healthy ecosystem",
                "error_data": {"details": "Meta chose not to deliver this message."},
            },
            "This message was not delivered to maintain healthy ecosystem",
        ),
    ],
)
async def test_a_failure_tells_its_code_and_why(
    make_bot: BotFactory, error: dict[str, Any], said: str
) -> None:
    bot = await make_bot(services=("crm",))
    await bot.post_whatsapp(meta.text_message(bot.phone_number_id, WA_ID, "hi"))
    await bot.settle()
    assert bot.graph is not None
    (welcome,) = await bot.graph.wait_for_sent(1)
    failed = meta.status_update(
        bot.phone_number_id, welcome.message_id, WA_ID, "failed", errors=[error]
    )
    assert (await bot.post_whatsapp(failed)).status == 200
    told = await wait_for_event(
        bot.sinks["crm"], "message.status", lambda d: d["status"] == "failed"
    )
    assert (told["data"]["error_code"], told["data"]["error"]) == (str(error["code"]), said)


async def test_a_send_the_provider_refused_at_once_tells_its_code(make_bot: BotFactory) -> None:
    shared = await shared_number(make_bot)
    shared.graph.fail_next(1, status=400, code=131026)
    assert (await shared.reply("support", "are you there?")).status == 201
    told = await wait_for_event(
        shared.bot.sinks["sales"], "message.status", lambda d: d["status"] == "failed"
    )
    assert told["data"]["error_code"] == "131026"
    assert "131026" in told["data"]["error"]
