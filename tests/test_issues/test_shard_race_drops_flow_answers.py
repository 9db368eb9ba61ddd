"""Regression: a race between shards dropped guided-conversation answers.

One ``Pipeline`` serves every shard worker, and a batch kept its state on it: the flow
states it read, the answers to save, when each contact was last answered. A batch of
another shard that ran while the first waited on a read replaced that state, so the
first batch's flow answer was lost and its customer got no reply, and the reply
interval forgot that its customer had just been answered.

Two customers on different shards: X's batch is held on its directory read, after it
has read X's state; Y's batch runs to the end meanwhile; then X's batch goes on.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from dataclasses import replace
from typing import Any

from bot.core.directory import Directory
from bot.core.ingest import shard_of
from bot.model import Identity
from tests.conftest import AUTOMATION, Bot, BotFactory
from tests.emulators import meta_webhooks as meta
from tests.emulators.graph_api import SentMessage
from tests.test_flows_runtime import FLOWS, NAME_Q

X_ID = "447700900401"
PHONE_Q = "Thanks Ann Lee. Which number should we call?"


class HeldDirectory:
    """The pipeline's directory, whose next refresh (a read of the attached services,
    made after a batch has read its conversations' state) waits to be released."""

    def __init__(self, directory: Directory) -> None:
        self._directory = directory
        self.holding = asyncio.Event()
        self.release = asyncio.Event()
        self._armed = True

    async def refresh(self, numbers: Iterable[str]) -> None:
        numbers = list(numbers)
        if self._armed:
            self._armed = False
            self.holding.set()
            await self.release.wait()
        await self._directory.refresh(numbers)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._directory, name)


@asynccontextmanager
async def next_batch_held(bot: Bot) -> AsyncIterator[HeldDirectory]:
    """Hold the next batch on its directory read until the block ends."""
    pipeline = bot.runtime.pipeline
    real = pipeline.directory
    held = HeldDirectory(real)
    pipeline.directory = held  # type: ignore[assignment]
    try:
        yield held
    finally:
        held.release.set()
        pipeline.directory = real


def on_another_shard(bot: Bot, wa_id: str) -> str:
    shards = bot.runtime.settings.shards
    taken = shard_of(bot.conversation(wa_id), shards)
    return next(
        other
        for other in (f"4477009005{n:02d}" for n in range(100))
        if shard_of(bot.conversation(other), shards) != taken
    )


async def post(bot: Bot, wa_id: str, text: str) -> None:
    response = await bot.post_whatsapp(meta.text_message(bot.phone_number_id, wa_id, text))
    assert response.status == 200


def texts_to(sent: list[SentMessage], wa_id: str) -> list[str | None]:
    return [message.text for message in sent if message.to == wa_id]


async def run_alongside(bot: Bot, x_says: str, y_id: str) -> None:
    """X says ``x_says``; its batch is held after reading X's state while Y's first
    message is processed and answered; then X's batch goes on."""
    assert bot.graph is not None
    before = len(bot.graph.sent)
    async with next_batch_held(bot) as held:
        await post(bot, X_ID, x_says)
        async with asyncio.timeout(10):
            await held.holding.wait()
        await post(bot, y_id, "hello")
        await bot.graph.wait_for_sent(before + 1)  # Y's welcome: Y's batch is done
    await bot.settle()


async def test_a_flow_answer_is_kept_while_another_shards_batch_runs(
    make_bot: BotFactory,
) -> None:
    bot = await make_bot(automation=FLOWS)
    assert bot.graph is not None
    y_id = on_another_shard(bot, X_ID)
    await post(bot, X_ID, "Hi, can you call me back?")
    await bot.settle()
    assert texts_to(await bot.graph.wait_for_sent(1), X_ID) == [NAME_Q]

    await run_alongside(bot, "Ann Lee", y_id)

    sent = bot.graph.sent
    assert texts_to(sent, y_id) == ["Welcome!"]
    assert texts_to(sent, X_ID) == [NAME_Q, PHONE_Q]
    profile = await bot.runtime.profiles.lookup(Identity("wa", X_ID))
    assert (await bot.runtime.profiles.get(profile))["fields"].get("name") == "Ann Lee"


async def test_the_reply_interval_holds_while_another_shards_batch_runs(
    make_bot: BotFactory,
) -> None:
    bot = await make_bot(automation=replace(AUTOMATION, reply_interval=3600))
    assert bot.graph is not None
    y_id = on_another_shard(bot, X_ID)
    await post(bot, X_ID, "What are your hours?")
    await bot.settle()
    assert texts_to(await bot.graph.wait_for_sent(1), X_ID) == ["We open at 9."]

    await run_alongside(bot, "And the price?", y_id)

    timeline = await bot.runtime.conversations.timeline(bot.conversation(X_ID))
    assert [m["text"] for m in timeline if m["direction"] == "inbound"][-1] == "And the price?"
    sent = bot.graph.sent
    assert texts_to(sent, y_id) == ["Welcome! How can we help?"]
    assert texts_to(sent, X_ID) == ["We open at 9."]  # answered a moment ago: no second
