"""Owners of new profiles (PS-5): the team member holding the conversation, else the
number's owner, else the default owner; matched by email against the team."""

from __future__ import annotations

from bot.config.settings import ProfileSettings, TeamMember
from bot.model import Identity
from tests.conftest import PHONE_NUMBER_ID, Bot, BotFactory
from tests.test_api import say

NUMBER = f"wa:{PHONE_NUMBER_ID}"
TEAM = (
    TeamMember("olu@example.com", "Olu", "admin"),
    TeamMember("sam@example.com", "Sam", "agent"),
)


async def owner_of(bot: Bot, wa_id: str) -> str:
    runtime = bot.runtime
    profile = await runtime.profiles.get(await runtime.profiles.lookup(Identity("wa", wa_id)))
    return str(profile.get("owner", ""))


async def test_a_new_customer_is_owned_by_the_numbers_owner(make_bot: BotFactory) -> None:
    settings = ProfileSettings(
        number_owners={NUMBER: "Sam@Example.com"}, default_owner="olu@example.com"
    )
    bot = await make_bot(profiles=settings, team=TEAM)
    await say(bot, "hi", wa_id="447700900001")
    assert await owner_of(bot, "447700900001") == "sam@example.com"


async def test_the_default_owner_when_the_number_has_none(make_bot: BotFactory) -> None:
    bot = await make_bot(profiles=ProfileSettings(default_owner="olu@example.com"), team=TEAM)
    await say(bot, "hi", wa_id="447700900002")
    assert await owner_of(bot, "447700900002") == "olu@example.com"


async def test_an_owner_outside_the_team_is_not_used(make_bot: BotFactory) -> None:
    settings = ProfileSettings(
        number_owners={NUMBER: "stranger@example.com"}, default_owner="olu@example.com"
    )
    bot = await make_bot(profiles=settings, team=TEAM)
    await say(bot, "hi", wa_id="447700900003")
    assert await owner_of(bot, "447700900003") == "olu@example.com"


async def test_the_member_holding_the_conversation_owns_the_profile(make_bot: BotFactory) -> None:
    settings = ProfileSettings(
        number_owners={NUMBER: "olu@example.com"}, default_owner="olu@example.com"
    )
    bot = await make_bot(profiles=settings, team=TEAM)
    conversation = bot.conversation("447700900004")
    await bot.runtime.claims.claim(conversation, "support", "sam@example.com", 600)
    await say(bot, "hi", wa_id="447700900004")
    assert await owner_of(bot, "447700900004") == "sam@example.com"


async def test_a_known_customer_keeps_their_owner(make_bot: BotFactory) -> None:
    bot = await make_bot(profiles=ProfileSettings(default_owner="olu@example.com"), team=TEAM)
    await say(bot, "hi", wa_id="447700900005")
    await bot.runtime.profiles.update(
        await bot.runtime.profiles.lookup(Identity("wa", "447700900005")),
        {"owner": "sam@example.com"},
    )
    await say(bot, "again", wa_id="447700900005")
    assert await owner_of(bot, "447700900005") == "sam@example.com"


async def test_no_owner_without_any_configured(make_bot: BotFactory) -> None:
    bot = await make_bot()
    await say(bot, "hi", wa_id="447700900006")
    assert await owner_of(bot, "447700900006") == ""
