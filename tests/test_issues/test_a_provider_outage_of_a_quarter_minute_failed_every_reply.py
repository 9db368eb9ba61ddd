"""With the Graph API out of reach (no connection could be made: a network or DNS outage, a
proxy restarting), a reply was tried five times over about 15 s and then failed for good:
an outage of a minute failed every reply queued in it (112 of 131 in an operator's run),
the services heard each failed, and nothing could replay them. A call that never reached
the provider is safe to make again: such a send waits in the outbox and is tried again
(``UNREACHABLE_PATIENCE``, ten minutes from when it was queued), and goes when the provider
is back; the log says so once in a while, not once a send."""

from __future__ import annotations

import logging
from urllib.parse import urlsplit

import pytest

from tests.conftest import BotFactory
from tests.emulators import meta_webhooks as meta
from tests.test_api import WA_ID
from tests.test_notifications import until

pytestmark = pytest.mark.slow  # the sender's five attempts take their 15 s


async def test_a_reply_waits_for_an_unreachable_provider_and_goes_when_it_is_back(
    make_bot: BotFactory, caplog: pytest.LogCaptureFixture
) -> None:
    bot = await make_bot()
    graph = bot.graph
    assert graph is not None
    port = urlsplit(graph.base_url).port
    await graph.stop()  # connections to it are refused now
    caplog.set_level(logging.WARNING, logger="bot.core.sender")
    payload = meta.text_message(bot.phone_number_id, WA_ID, "hello")
    assert (await bot.post_whatsapp(payload)).status == 200

    def waiting() -> bool:
        return any("its sends wait in the outbox" in r.getMessage() for r in caplog.records)

    await until(waiting, 40, "the send's attempts spent, and the send waiting")
    assert not any(r.getMessage().startswith("send ") for r in caplog.records)  # none failed
    await graph.start(port)
    await until(lambda: graph.sent, 30, "the welcome, once the API is back")
    assert [m.to for m in graph.sent] == [WA_ID]
    await bot.sinks["support"].wait_for_count(1, type="message.outbound")
    statuses = bot.sinks["support"].events("message.status")
    assert not [e for e in statuses if e["data"]["status"] == "failed"]
