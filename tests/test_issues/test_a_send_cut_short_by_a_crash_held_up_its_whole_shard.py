"""A send a kill -9 cut short in its API call held up every conversation of its shard.

As a user saw it: the bot was killed while WhatsApp had one customer's reply in hand and
had not answered. After the restart, the new customers whose conversations share that
outbox shard got their answers 20 to 30 seconds late, all at once; customers of the
other shards were answered in a second. The interrupted send may have gone out, so it
is failed only once no attempt can still hold its claim (REL-3: never twice); the
shard's worker waited for that moment before it read anything else.

What must hold: only the interrupted send's own conversation waits (its order kept: a
later reply to that customer goes after the interrupted one is settled); the others of
the shard are answered at once.
"""

from __future__ import annotations

import asyncio
import secrets

import aiohttp
import pytest

from tests.botprocess import BotProcess
from tests.conftest import PHONE_NUMBER_ID, REDIS_URL
from tests.emulators import meta_webhooks as meta
from tests.emulators.graph_api import GraphAPIEmulator
from tests.emulators.sink import SubscriberSink

pytestmark = pytest.mark.slow

INTERRUPTED_SOONER = {
    "bot.core.sender.CALL_SECONDS": 10.0,
    "bot.core.sender.INTERRUPTED_AFTER": 20.0,
}
"""The process that takes over counts the claim as interrupted after 20 s instead of 30 s:
no sooner, as the other customer must be answered before that, and a loaded machine may
take most of that to start it."""

WELCOME = "Welcome!"
HOURS = "We open at 9."
STALLED, OTHER = "447700900301", "447700900302"


async def post(url: str, app_secret: str, wa_id: str, text: str) -> None:
    raw = meta.encode(meta.text_message(PHONE_NUMBER_ID, wa_id, text))
    headers = {
        "Content-Type": "application/json",
        "X-Hub-Signature-256": meta.sign(app_secret, raw),
    }
    async with (
        aiohttp.ClientSession() as session,
        session.post(f"{url}/webhooks/whatsapp", data=raw, headers=headers) as answer,
    ):
        assert answer.status == 200, await answer.text()


async def test_only_the_interrupted_sends_conversation_waits(prefix: str) -> None:
    app_secret, access_token, sink_secret = (secrets.token_hex(16) for _ in range(3))
    graph = GraphAPIEmulator(access_token)
    sink = SubscriberSink(sink_secret)
    env = {
        "REDIS_URL": REDIS_URL,
        "SWITCHBOARD_KEY_PREFIX": prefix,
        "SWITCHBOARD_SHARDS": "1",  # every conversation on the interrupted send's shard
        "WHATSAPP_PHONE_NUMBER_ID": PHONE_NUMBER_ID,
        "WHATSAPP_ACCESS_TOKEN": access_token,
        "WHATSAPP_APP_SECRET": app_secret,
        "WHATSAPP_VERIFY_TOKEN": secrets.token_hex(8),
        "WHATSAPP_API_BASE": await graph.start(),
        "SINK_SECRET": sink_secret,
    }
    config = {
        "services": [{"name": "crm", "url": await sink.start(), "secret": "${SINK_SECRET}"}],
        "delivery": {"retry_base": 0.1, "retry_cap": 1.0, "timeout": 5},
        "automation": {"welcome": WELCOME, "rules": [{"keywords": ["hours"], "reply": HOURS}]},
    }
    first = BotProcess(env, config)
    # The first keeps the shipped bounds: its stalled call must still be under way at the kill.
    second = BotProcess(env, config, port=first.port, constants=INTERRUPTED_SOONER)

    def failures() -> list[dict[str, object]]:
        return [
            event["data"]
            for event in sink.events("message.status")
            if event["data"]["status"] == "failed"
        ]

    try:
        await asyncio.to_thread(first.start)
        graph.stall_next(1)  # WhatsApp takes the welcome and never answers
        await post(first.url, app_secret, STALLED, "hi")
        await graph.wait_for_stalled(1, timeout=20)
        await asyncio.to_thread(first.kill)  # with the stalled call in hand
        await asyncio.to_thread(second.start)

        await post(second.url, app_secret, STALLED, "hours?")
        await post(second.url, app_secret, OTHER, "hi")
        sent = await graph.wait_for_sent(1, timeout=60)
        assert [(m.to, m.text) for m in sent] == [(OTHER, WELCOME)], second.output()[-3000:]
        # The other customer was answered before the interrupted send could be settled.
        assert not failures(), failures()

        # The stalled customer's next reply waits for its interrupted welcome, in order.
        sent = await graph.wait_for_sent(2, timeout=60)
        hours = sent[1]
        assert (hours.to, hours.text) == (STALLED, HOURS)
        await sink.wait_for(lambda _: bool(failures()), timeout=20)
        (failure,) = failures()
        assert "interrupted" in str(failure["error"]), failure
        assert hours.received_at >= float(str(failure["timestamp"]))
        assert WELCOME not in [m.text for m in sent if m.to == STALLED]  # never twice
    finally:
        await asyncio.to_thread(second.close)
        await asyncio.to_thread(first.close)
        await graph.stop()
        await sink.aclose()
