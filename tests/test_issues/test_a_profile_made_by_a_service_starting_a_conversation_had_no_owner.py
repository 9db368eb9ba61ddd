"""A profile made by ``POST /v1/conversations`` (a service writing first to a new phone)
got no owner, where one made by the customer's own message gets the number's owner or
the default owner (PS-5: "a profile created automatically gets an owner"). It gets the
team member who opened it, else the number's owner, else the default owner, now; a
profile that has an owner keeps it."""

from __future__ import annotations

from bot.config.settings import ProfileSettings, TeamMember
from tests.conftest import PHONE_NUMBER_ID, BotFactory
from tests.test_api import shared_number

TEAM = (
    TeamMember("olu@example.com", "Olu", "admin"),
    TeamMember("sam@example.com", "Sam", "agent"),
)
TEMPLATE = {"name": "order_update", "language": "en_US", "variables": ["A-17"]}


async def test_a_started_conversation_s_new_profile_gets_its_owner(make_bot: BotFactory) -> None:
    owners = ProfileSettings(
        number_owners={f"wa:{PHONE_NUMBER_ID}": "sam@example.com"},
        default_owner="olu@example.com",
    )
    shared = await shared_number(make_bot, profiles=owners, team=TEAM)

    async def owner_after_start(phone: str, agent: str) -> str:
        body = {"number": shared.number, "identity": phone, "template": TEMPLATE, "agent": agent}
        answer = await shared.call("sales", "POST", "/v1/conversations", body)
        assert answer.status == 201, answer.raw
        profile = answer.json["conversation"]["profile"]
        found = await shared.call("sales", "GET", f"/v1/profiles/{profile}")
        return str(found.json["profile"].get("owner", ""))

    assert await owner_after_start("+447911555101", "") == "sam@example.com"  # the number's
    assert await owner_after_start("+447911555102", "bot") == "sam@example.com"
    assert await owner_after_start("+447911555103", "OLU@example.com") == "olu@example.com"
    assert await owner_after_start("+447911555104", "stranger@example.com") == "sam@example.com"


async def test_the_default_owner_when_the_number_has_none(make_bot: BotFactory) -> None:
    owners = ProfileSettings(default_owner="olu@example.com")
    shared = await shared_number(make_bot, profiles=owners, team=TEAM)
    body = {"number": shared.number, "identity": "+447911555105", "template": TEMPLATE}
    answer = await shared.call("sales", "POST", "/v1/conversations", body)
    assert answer.status == 201, answer.raw
    profile = answer.json["conversation"]["profile"]
    found = await shared.call("sales", "GET", f"/v1/profiles/{profile}")
    assert found.json["profile"]["owner"] == "olu@example.com"
