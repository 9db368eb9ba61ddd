"""In a rolling upgrade (processes of the release before and of this one on one Redis), a
send whose API call a process of this release had in hand was failed as interrupted at
once by a process of the release before that looked at it (one that took its shard over,
the holder paused): the claim now carries the attempt that made it, after its time, and
the release before read the time and the attempt together as no number, so the claim as
56 years old, not as the moments it was. The customer could get the message that the
services were told had failed. A claim now keeps the time where the release before reads
it, so it waits out the same 30 seconds there as here."""

from __future__ import annotations

from redis.asyncio import Redis

from stores.redis import Keys
from tests.conftest import BotFactory
from tests.emulators import meta_webhooks as meta

RELEASED_SETTLE_CLAIM = """
local value = redis.call('HGET', KEYS[1], ARGV[1])
if not value then return -1 end
if string.sub(value, 1, 7) ~= 'sending' then return -2 end
local now = redis.call('TIME')
local now_ms = tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000)
local age = now_ms - (tonumber(string.sub(value, 9)) or 0)
if age < tonumber(ARGV[2]) then return tonumber(ARGV[2]) - age end
redis.call('HSET', KEYS[1], ARGV[1], 'failed:' .. ARGV[3])
redis.call('HSET', KEYS[2], ARGV[1], 'failed')
return 0
"""
"""The script with which 5680500, the release before, settles a claim it finds when it
redoes an outbox entry: failed once older than ARGV[2] ms, else the ms still to wait."""


async def test_a_claim_in_its_api_call_waits_out_its_time_with_the_release_before(
    make_bot: BotFactory, real_redis: Redis, prefix: str
) -> None:
    bot = await make_bot()
    assert bot.graph is not None
    bot.graph.stall_next(1)  # WhatsApp takes the welcome and does not answer yet
    wa_id = "447911123001"
    answer = await bot.post_whatsapp(meta.text_message(bot.phone_number_id, wa_id, "hi"))
    assert answer.status == 200
    await bot.graph.wait_for_stalled(1, timeout=20)
    sent = Keys(prefix).conversation(bot.conversation(wa_id), "sent")
    [send_id] = await real_redis.hkeys(sent)  # type: ignore[misc]
    status = Keys(prefix).conversation(bot.conversation(wa_id), "status")
    settled = await real_redis.eval(
        RELEASED_SETTLE_CLAIM, 2, sent, status, send_id, 30_000, "interrupted"
    )  # type: ignore[misc]
    assert 0 < int(settled) <= 30_000, "the release before failed a send in its call"
    assert str(await real_redis.hget(sent, send_id)).startswith("sending")  # type: ignore[misc]
    await bot.graph.stop()  # the stalled call gets its answer, and the bot stops at once
