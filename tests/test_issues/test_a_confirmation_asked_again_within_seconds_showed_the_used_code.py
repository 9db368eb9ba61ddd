"""A /detach or /forget asked again within the clock's 10-second step showed the code
just used, which was refused with "send /detach again for a new one": asked again, it
showed the same code. The refusal says when a new code comes, and it works then."""

from __future__ import annotations

import time
from types import SimpleNamespace

import pytest

from handlers import command_kit, team_commands
from tests.conftest import BotFactory
from tests.test_team_commands import ADMIN, NUMBER, team


async def test_a_used_code_shown_again_says_when_a_new_one_comes(
    make_bot: BotFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    t = await team(make_bot)
    order = t.shared.bot.runtime.services.order
    now = (time.time() // 10) * 10 + 3  # 3 s into a step
    clock = SimpleNamespace(time=lambda: now)
    monkeypatch.setattr(command_kit, "time", clock)
    monkeypatch.setattr(team_commands, "time", clock)
    first = (await t.run(ADMIN, f"/detach marketing {NUMBER}")).split("\n")[-1]
    assert (await t.run(ADMIN, first)).startswith(f"marketing detached from {NUMBER}")
    await t.run(ADMIN, f"/attach marketing {NUMBER}")

    again = (await t.run(ADMIN, f"/detach marketing {NUMBER}")).split("\n")[-1]
    refused = await t.run(ADMIN, again)
    assert "used already; send /detach again in 7 seconds" in refused, refused
    assert "marketing" in await order(NUMBER)
    clock.time = lambda: now + 7
    new = (await t.run(ADMIN, f"/detach marketing {NUMBER}")).split("\n")[-1]
    assert new != first
    assert (await t.run(ADMIN, new)).startswith(f"marketing detached from {NUMBER}")
