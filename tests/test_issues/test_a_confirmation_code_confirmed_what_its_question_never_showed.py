"""A /detach or /forget confirmation code was a hash of who, what and a 10-minute window:
it detached a service from a number attached after the question (which the question never
named), erased a person merged in after the question, worked again after a re-attach, and
was good for up to 20 minutes."""

from __future__ import annotations

import time
from types import SimpleNamespace

import pytest

from bot.model import Identity
from handlers import command_kit, team_commands
from tests.conftest import BotFactory
from tests.test_api import WA_ID, say
from tests.test_team_commands import ADMIN, AGENT, NUMBER, team


async def test_a_detach_code_confirms_the_numbers_its_question_named(
    make_bot: BotFactory,
) -> None:
    t = await team(make_bot)
    order = t.shared.bot.runtime.services.order
    await t.run(ADMIN, (await t.run(ADMIN, "/detach marketing web:site")).split("\n")[-1])
    question = await t.run(ADMIN, "/detach marketing")
    assert f"from {NUMBER}:" in question and "web:site" not in question
    line = question.split("\n")[-1]
    await t.run(ADMIN, "/attach marketing web:site")

    refused = await t.run(ADMIN, line)
    assert "what it confirms changed" in refused
    assert "marketing" in await order(NUMBER) and "marketing" in await order("web:site")


async def test_a_detach_code_works_once(make_bot: BotFactory) -> None:
    t = await team(make_bot)
    order = t.shared.bot.runtime.services.order
    line = (await t.run(ADMIN, f"/detach marketing {NUMBER}")).split("\n")[-1]
    assert (await t.run(ADMIN, line)).startswith(f"marketing detached from {NUMBER}")
    await t.run(ADMIN, f"/attach marketing {NUMBER}")

    assert "was used" in await t.run(ADMIN, line)
    assert "marketing" in await order(NUMBER)


async def test_a_forget_code_does_not_erase_a_person_merged_in_after_the_question(
    make_bot: BotFactory,
) -> None:
    bot = await make_bot()
    commands = bot.runtime.commands
    await say(bot, "hello there")
    ann = await bot.runtime.profiles.lookup(Identity("wa", WA_ID))
    bert = await bot.runtime.profiles.resolve(
        [Identity("email", "bert@example.com")], channel="web"
    )
    question = await commands.run(ADMIN, f"/forget {ann}")
    line = question.split("\n")[-1]
    assert (await commands.run(AGENT, f"/merge {ann} {bert}")).startswith("Merged")

    assert "what it confirms changed" in await commands.run(ADMIN, line)
    assert await bot.runtime.profiles.lookup(Identity("email", "bert@example.com")) == ann
    # Asked again, the question shows both, and its code erases both.
    question = await commands.run(ADMIN, f"/forget {ann}")
    assert "3 identities" in question
    assert "Erased" in await commands.run(ADMIN, question.split("\n")[-1])


@pytest.mark.parametrize(("later", "good"), [(590, True), (601, False), (628, False)])
async def test_a_code_is_good_for_ten_minutes_and_no_longer(
    make_bot: BotFactory, monkeypatch: pytest.MonkeyPatch, later: float, good: bool
) -> None:
    t = await team(make_bot)
    asked_at = time.time()
    clock = SimpleNamespace(time=lambda: asked_at)
    monkeypatch.setattr(command_kit, "time", clock)
    monkeypatch.setattr(team_commands, "time", clock)
    line = (await t.run(ADMIN, f"/detach marketing {NUMBER}")).split("\n")[-1]
    clock.time = lambda: asked_at + later

    answer = await t.run(ADMIN, line)
    assert answer.startswith("marketing detached") if good else "expired" in answer
