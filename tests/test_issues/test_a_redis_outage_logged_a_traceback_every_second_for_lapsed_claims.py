"""While Redis was out of reach, the loop that announces lapsed claims logged an ERROR
with a whole traceback once a second ("could not announce lapsed claims"), where every
other loop says a store failure in one line every few seconds, as README promises. It
says it so too now."""

from __future__ import annotations

import asyncio
import logging

import pytest

from bot.team import lapses
from bot.team.lapses import announce_lapsed_claims
from stores.claims import ClaimStore
from stores.conversations import ConversationStore
from stores.redis import Keys, connect
from tests.botprocess import free_port


class CountedClaims(ClaimStore):
    """The claims, as the loop reads them, counting its looks."""

    looks = 0

    async def lapsed(self, now: float) -> list[str]:
        CountedClaims.looks += 1
        return await super().lapsed(now)


async def test_an_outage_is_a_line_every_few_seconds(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(lapses, "SWEEP_SECONDS", 0.01)
    down = connect(f"redis://127.0.0.1:{free_port()}/0")  # nothing listens there
    keys = Keys("sb:test:")

    async def publish(events: list[object]) -> None:
        raise AssertionError("nothing lapsed can be read")

    caplog.set_level(logging.INFO, logger="bot.team.lapses")
    loop = asyncio.create_task(
        announce_lapsed_claims(
            CountedClaims(down, keys), ConversationStore(down, keys), publish, 60.0
        )
    )
    try:
        async with asyncio.timeout(30):
            while True:
                if CountedClaims.looks >= 8:
                    break
                await asyncio.sleep(0.05)
    finally:
        loop.cancel()
        await asyncio.gather(loop, return_exceptions=True)
        await down.aclose()
    said = [r for r in caplog.records if r.name == "bot.team.lapses"]
    assert not [r for r in said if r.levelno >= logging.ERROR or r.exc_info], said
    assert 1 <= len(said) <= 2  # 8 failed looks in a few seconds: one line, maybe two
