"""After the Graph API was out of reach for a while (about 25 s), a new customer who wrote
"hours" got the keyword's answer before the welcome, three runs of three: README says a send
that cannot reach the provider waits in the outbox with its conversation's later ones, and
a conversation's sends go in order."""

from __future__ import annotations

import logging
from urllib.parse import urlsplit

import pytest

from tests.conftest import BotFactory
from tests.emulators import meta_webhooks as meta
from tests.test_notifications import until

pytestmark = pytest.mark.slow  # the sender's attempts at an unreachable API take their time

CUSTOMERS = ("447700900601", "447700900602", "447700900603")


async def test_a_conversation_s_sends_go_in_order_once_the_provider_is_back(
    make_bot: BotFactory, caplog: pytest.LogCaptureFixture
) -> None:
    bot = await make_bot()
    graph = bot.graph
    assert graph is not None
    port = urlsplit(graph.base_url).port
    await graph.stop()  # connections to it are refused now
    caplog.set_level(logging.WARNING, logger="bot.core.sender")
    for customer in CUSTOMERS:
        payload = meta.text_message(bot.phone_number_id, customer, "hours?")
        assert (await bot.post_whatsapp(payload)).status == 200

    def waiting() -> bool:
        return any("its sends wait in the outbox" in r.getMessage() for r in caplog.records)

    await until(waiting, 40, "the sends' attempts spent, and the sends waiting")
    await graph.start(port)
    await until(lambda: len(graph.sent) == 2 * len(CUSTOMERS), 60, "every reply, once back")
    for customer in CUSTOMERS:
        got = [m.text for m in graph.sent if m.to == customer]
        assert got == ["Welcome! How can we help?", "We open at 9."], customer
