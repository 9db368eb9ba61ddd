"""Two processes on one Redis with different SWITCHBOARD_SHARDS (a rolling deploy that
changed it, two machines' settings apart) each took their share of their own count: with
8 and 16, shards 4 to 7 had nobody, and their messages waited, answered 200 and never
worked, with no line said. A conversation was also on another shard in each (two
workers, its order lost). A process with another count than those running stops its
start, naming both; once they have stopped, the new count starts."""

from __future__ import annotations

from dataclasses import replace

import pytest

from bot.config.settings import ConfigError
from bot.runtime import Runtime
from tests.conftest import BotFactory


async def test_a_process_with_another_shard_count_does_not_start(make_bot: BotFactory) -> None:
    first = await make_bot()  # 4 shards, the tests' bots
    other = Runtime(replace(first.runtime.settings, shards=8))
    try:
        with pytest.raises(ConfigError, match="SWITCHBOARD_SHARDS=8, and the processes") as why:
            await other.start()
        assert "(or one killed in the last 5 s) use 4: every process needs" in str(why.value)
    finally:
        await other.stop()
    same = await make_bot()  # the same count joins them
    assert same.runtime.settings.shards == 4

    await first.stop()
    await same.stop()
    changed = await make_bot(shards=8)  # none running: the count may change
    assert changed.runtime.settings.shards == 8
