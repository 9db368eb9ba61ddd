"""After a week without updates Telegram numbers the next one at random, maybe below the
offset the bot had stored for ever: every getUpdates then asked from that offset, and
Telegram confirmed each new update unseen (an update below the offset asked for is taken
as read). The stored offset is forgotten six days after it last moved, and a poll that
has not moved it reads it again, so the renumbered updates come in."""

from __future__ import annotations

import pytest
from redis.asyncio import Redis

from stores.redis import Keys
from tests.test_telegram_runtime import CUSTOMER, TelegramBot, tg, wait_until_processed

__all__ = ["tg"]


async def test_updates_renumbered_below_the_offset_come_in(
    tg: TelegramBot, real_redis: Redis, prefix: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("bot.channels.telegram.OFFSET_LOOK_SECONDS", 0.0)
    tg.api.customer_text(CUSTOMER, "hi")
    await wait_until_processed(tg, CUSTOMER, 1)
    key = Keys(prefix).poll_offset(f"telegram:{tg.token.partition(':')[0]}")
    assert 0 < await real_redis.ttl(key) <= 6 * 24 * 3600  # kept six days after it moved
    await real_redis.delete(key)  # as six days without an update leave it
    tg.api.renumber(5000)  # a week on, Telegram numbers the next update at random
    tg.api.customer_text(CUSTOMER, "hello again")
    timeline = await wait_until_processed(tg, CUSTOMER, 2)
    assert [m["text"] for m in timeline if m["direction"] == "inbound"][-1] == "hello again"
