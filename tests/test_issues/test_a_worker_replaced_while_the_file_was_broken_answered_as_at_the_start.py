"""``serve --workers 2``: after a live edit of ``automation:`` that both workers took, the
file was broken (an edit half made, a typo), and a worker that died then was replaced by
one running the automation the supervisor read at ``serve``'s start, the log saying "its
automation as last read": the customers whose shards it held got the answer from before
the edit. The supervisor follows the file as the workers do now, and a replacement
starts from the automation they run."""

from __future__ import annotations

import asyncio
import os
import signal
from pathlib import Path

import yaml
from redis.asyncio import Redis

from tests.botprocess import BotProcess
from tests.conftest import REDIS_URL
from tests.test_issues.test_a_replaced_worker_answered_with_the_automation_from_before_an_edit import (  # noqa: E501
    NEW,
    OLD,
    _answer,
    _config,
    _said,
)
from tests.test_process import _workers_of


async def test_a_worker_replaced_while_the_file_is_broken_answers_as_edited(
    prefix: str, real_redis: Redis
) -> None:
    env = {"REDIS_URL": REDIS_URL, "SWITCHBOARD_KEY_PREFIX": prefix}
    bot = BotProcess(env, _config(OLD), args=("serve", "--workers", "2"))
    await asyncio.to_thread(bot.start)
    try:
        assert bot.process is not None
        await _said(bot, "Switchboard is serving", 2)
        config = Path(bot.env["SWITCHBOARD_CONFIG"])
        await asyncio.to_thread(config.write_text, yaml.safe_dump(_config(NEW)), "utf-8")
        await _said(bot, "automation reloaded", 3)  # the two workers, and the supervisor
        await asyncio.to_thread(config.write_text, "automation: {rules: [oops", "utf-8")
        await _said(bot, "config file not reloaded, the running automation stays", 2)
        for worker in _workers_of(bot.process.pid):  # every answer now comes from another
            os.kill(worker, signal.SIGKILL)
        await _said(bot, "Switchboard is serving", 4)
        assert await _answer(bot.url, "hours?") == NEW
    finally:
        assert await asyncio.to_thread(bot.stop) == 0, bot.output()
        bot.close()
