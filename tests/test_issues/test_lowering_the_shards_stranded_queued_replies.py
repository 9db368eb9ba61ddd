"""A restart with a lower SWITCHBOARD_SHARDS left the replies a run with more shards had
queued on the shards it no longer has: nothing sent them, the backlog gauge did not count
them, and nothing said so; they went out only once the old count was set again. The
start says it now, in one error line naming the count to set."""

from __future__ import annotations

import pytest
from redis.asyncio import Redis

from stores.redis import Keys
from tests.conftest import BotFactory


async def test_entries_past_the_shards_are_said_at_the_start(
    make_bot: BotFactory, prefix: str, real_redis: Redis, caplog: pytest.LogCaptureFixture
) -> None:
    keys = Keys(prefix)
    for shard in (9, 22, 28):
        await real_redis.xadd(keys.outbox(shard, ""), {"d": "{}"})
    await make_bot()  # 4 shards, the tests' bots
    said = [r.getMessage() for r in caplog.records if "past SWITCHBOARD_SHARDS" in r.getMessage()]
    assert said == [
        "3 outbox entries wait on shards 9 to 28, past SWITCHBOARD_SHARDS=4 (a run with more "
        "shards queued them) and no worker reads them: set SWITCHBOARD_SHARDS to 29 or more "
        "until they are worked"
    ]
