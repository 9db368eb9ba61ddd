"""One bad entry in the inbound log stopped its shard for good: the pipeline failed on it,
redid the batch every second forever, and every later message of the shard waited
behind it (11 of 24 in one run), unanswered and never fanned out.

Now a failing batch is redone one entry at a time; an entry that keeps failing goes,
after a bounded number of attempts, to its shard's dead letters with its error, and the
shard goes on. ``python bot.py admin dead-letters --inbound`` lists it, ``--replay`` puts
it back on its shard, and ``/metrics`` counts it.

The inbound poison is the issue's own: a message with a non-finite timestamp, appended
to the log as a webhook accepted before the edge refused such input would have left it.
The outbox, the sender's queue, follows the same rule: its poison is a send queued by a
newer version with a field this one does not know.
"""

from __future__ import annotations

import json
import math
import os
from dataclasses import replace

from adapters.whatsapp import parse_webhook
from bot.core.ingest import shard_of
from bot.core.records import encode_item
from bot.model import Identity, Outbound
from tests.botprocess import run_command
from tests.conftest import AUTOMATION, PHONE_NUMBER_ID, REDIS_URL, Bot, BotFactory
from tests.emulators import meta_webhooks as meta
from tests.scrape import scrape

SENT_ON_THE_SHARD = 24
POISON_ID = "447911000000"


def customers_on_the_shard_of(bot: Bot, wa_id: str, count: int) -> list[str]:
    """``count`` customers whose conversations share ``wa_id``'s inbound shard."""
    shards = bot.runtime.settings.shards
    shard = shard_of(bot.conversation(wa_id), shards)
    candidates = (f"44791100{n:04d}" for n in range(1, 10_000))
    found = [c for c in candidates if shard_of(bot.conversation(c), shards) == shard]
    return found[:count]


def poison_document() -> str:
    """A signed, well-formed message whose timestamp is infinite, as the log kept it."""
    [message], _ = parse_webhook(
        meta.text_message(PHONE_NUMBER_ID, POISON_ID, "hi"), PHONE_NUMBER_ID
    )
    return encode_item(replace(message, timestamp=math.inf))


def environment(bot: Bot) -> dict[str, str]:
    settings = bot.runtime.settings
    return {
        **os.environ,
        "REDIS_URL": REDIS_URL,
        "SWITCHBOARD_KEY_PREFIX": settings.key_prefix,
        "SWITCHBOARD_SHARDS": str(settings.shards),
        "SWITCHBOARD_CONFIG": os.devnull,
    }


async def metric(bot: Bot, name: str) -> int:
    return int(await scrape(bot.client, name))


async def test_messages_behind_a_poison_entry_are_answered_and_it_is_dead_lettered(
    make_bot: BotFactory,
) -> None:
    bot = await make_bot()
    assert bot.graph is not None
    sink = bot.sinks["support"]
    customers = customers_on_the_shard_of(bot, POISON_ID, SENT_ON_THE_SHARD)
    shard = shard_of(bot.conversation(POISON_ID), bot.runtime.settings.shards)
    poison = await bot.runtime.inbound_log.append(shard, poison_document())

    for wa_id in customers:
        response = await bot.post_whatsapp(meta.text_message(PHONE_NUMBER_ID, wa_id, "hi"))
        assert response.status == 200

    sent = await bot.graph.wait_for_sent(SENT_ON_THE_SHARD, timeout=30)
    assert sorted(m.to for m in sent if m.text == AUTOMATION.welcome) == customers
    await sink.wait_for_count(SENT_ON_THE_SHARD, "message.inbound", timeout=10, unique=True)
    heard = {e["data"]["customer"] for e in sink.events("message.inbound")}
    assert heard == {f"wa:{wa_id}" for wa_id in customers}

    env = environment(bot)
    code, out, err = await run_command(env, "admin", "dead-letters", "--inbound")
    assert code == 0, err
    [line] = out.splitlines()
    assert f"shard {shard}" in line and poison in line
    assert "OverflowError" in line or "Infinity" in line, line
    assert await metric(bot, "inbound_dead_lettered_total") == 1
    assert await metric(bot, "inbound_dead_letters") == 1

    code, out, err = await run_command(env, "admin", "dead-letters", "--inbound", "--replay")
    assert code == 0, err
    assert out.strip() == "1 inbound dead letter is back on its shard"
    # Back on its shard, it is tried again, fails its attempts again, and is set aside
    # again: once, with the shard still going.
    await bot.settle(timeout=30)
    assert await metric(bot, "inbound_dead_lettered_total") == 2
    code, out, _ = await run_command(env, "admin", "dead-letters", "--inbound")
    assert len(out.splitlines()) == 1 and f"shard {shard}" in out


async def test_a_reply_behind_a_poison_send_goes_out_and_the_send_is_dead_lettered(
    make_bot: BotFactory,
) -> None:
    bot = await make_bot()
    assert bot.graph is not None
    [customer] = customers_on_the_shard_of(bot, POISON_ID, 1)
    cid = bot.conversation(POISON_ID)
    shard = shard_of(cid, bot.runtime.settings.shards)
    send = Outbound(
        send_id="snd_from_a_newer_version",
        conversation_id=cid,
        channel="whatsapp",
        number=f"wa:{PHONE_NUMBER_ID}",
        recipient=Identity("wa", POISON_ID),
        text="hello",
        service="support",
    )
    poison = await bot.runtime.outbox.append(shard, json.dumps(send.to_dict() | {"urgent": True}))

    response = await bot.post_whatsapp(meta.text_message(PHONE_NUMBER_ID, customer, "hi"))
    assert response.status == 200

    [welcome] = await bot.graph.wait_for_sent(1, timeout=30)
    assert (welcome.to, welcome.text) == (customer, AUTOMATION.welcome)
    await bot.settle(timeout=30)
    code, out, err = await run_command(environment(bot), "admin", "dead-letters", "--outbox")
    assert code == 0, err
    [line] = out.splitlines()
    assert f"shard {shard}" in line and poison in line and "urgent" in line
    assert await metric(bot, "outbox_dead_lettered_total") == 1
    assert await metric(bot, "outbox_dead_letters") == 1
    assert [m.to for m in bot.graph.sent] == [customer]
