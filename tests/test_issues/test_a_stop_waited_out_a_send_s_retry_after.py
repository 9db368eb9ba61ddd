"""A graceful stop (SIGTERM) while a send waited to be tried again after the provider's
429 (its Retry-After, a minute) waited for the send's retry until the stop's own bound for
a send under way, 25 s, and then cut it: the drain took 25 s for a send that was not
being made. A send waiting for its retry at the stop now stays in the outbox at once,
for the next process, and the stop ends."""

from __future__ import annotations

import asyncio

from tests.conftest import PHONE_NUMBER_ID, BotFactory
from tests.emulators import meta_webhooks as meta
from tests.test_crash import wait_until


async def test_a_send_waiting_for_its_retry_is_left_queued_at_the_stop(
    make_bot: BotFactory,
) -> None:
    bot = await make_bot()
    assert bot.graph is not None
    bot.graph.fail_next(1, status=429, code=130429, retry_after=60)
    answer = await bot.post_whatsapp(meta.text_message(PHONE_NUMBER_ID, "447911123103", "hi"))
    assert answer.status == 200
    graph = bot.graph

    async def refused() -> str:  # the welcome refused: its retry is a minute away
        return "" if graph.requests else "the welcome's first try"

    await wait_until(refused, timeout=10)
    await asyncio.wait_for(bot.stop(), 15)  # not the 25 s of a send under way
    assert bot.graph.sent == []
    assert await bot.runtime.outbox.backlog() == 1  # left for the next process
