"""Redis going away for a few seconds right after the claim script of a ``/claim`` ran
recorded the new holder, but no service ever got ``conversation.claimed`` (SN-5): they
still showed the one displaced. The team member got no answer (its turn in the chat's
pace could not be taken, and it was dropped with a traceback), and claiming again told
the services ``"previous": null``. The claim and its event wait a short outage out, a
claim redone later tells whom it displaced, and an answer the store could not pace is
posted once the store is back."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bot.config.settings import TeamMember, TelegramSettings
from tests.conftest import BotFactory
from tests.emulators.telegram_api import TelegramAPIEmulator, fake_token
from tests.redis_cut import RedisCut, redis_cut
from tests.test_api import shared_number
from tests.test_telegram_runtime import CUSTOMER, TEAM_CHAT, TelegramBot, wait_until_processed

AL, BO = 7770011, 7770012
TEAM = (
    TeamMember("al@example.com", "Al", "agent", telegram=str(AL)),
    TeamMember("bo@example.com", "Bo", "agent", telegram=str(BO)),
)


@pytest.fixture
async def team(make_bot: BotFactory, redis_url: str) -> AsyncIterator[tuple[TelegramBot, RedisCut]]:
    """A bot with the team chat, on a Redis that can be taken away, and a conversation."""
    token = fake_token()
    async with redis_cut(redis_url) as proxy, TelegramAPIEmulator(token) as api:
        api.add_group(TEAM_CHAT, "Team")
        settings = TelegramSettings(token=token, api_base=api.base_url, team_chat_id=str(TEAM_CHAT))
        bot = await make_bot(
            whatsapp=False,
            telegram=settings,
            team=TEAM,
            telegram_lease_ttl=2.0,
            redis_url=proxy.url,
        )
        try:
            tg = TelegramBot(bot, api, token)
            api.customer_text(CUSTOMER, "where is my parcel?")
            await wait_until_processed(tg, CUSTOMER, 1)
            await api.wait_until(lambda: bool(answers(tg, "")), timeout=10)  # its post
            yield tg, proxy
        finally:
            await bot.stop()


def answers(tg: TelegramBot, start: str) -> list[str]:
    return [m.text for m in tg.api.messages_to(TEAM_CHAT) if m.text.startswith(start)]


async def test_a_claim_redis_dropped_under_is_told_to_the_services(
    team: tuple[TelegramBot, RedisCut],
) -> None:
    tg, proxy = team
    cid = tg.conversation()
    tg.api.group_text(TEAM_CHAT, BO, f"/claim {cid}")
    await tg.api.wait_until(lambda: len(answers(tg, "You hold")) == 1, timeout=10)
    # Redis goes once Al's claim has been taken, before its event is queued.
    proxy.arm(tg.bot.runtime.keys.conversation(cid, "claim"), outage=3.0)
    tg.api.group_text(TEAM_CHAT, AL, f"/claim {cid}")
    await tg.api.wait_until(lambda: len(answers(tg, "You hold")) == 2, timeout=20)
    assert proxy.cut.is_set()
    assert "Warning: bo@example.com of team has held" in answers(tg, "You hold")[1]
    sink = tg.bot.sinks["support"]

    def claimed_by_al() -> list[dict[str, object]]:
        claims = sink.events("conversation.claimed")
        return [e["data"] for e in claims if e["data"]["agent"] == "al@example.com"]

    await sink.wait_for(lambda _: bool(claimed_by_al()), timeout=20)
    (claimed,) = claimed_by_al()
    assert claimed["previous"]["agent"] == "bo@example.com"  # type: ignore[index]


async def test_an_answer_the_store_could_not_pace_is_posted_once_it_is_back(
    team: tuple[TelegramBot, RedisCut],
) -> None:
    tg, proxy = team
    # The answer's turn in the group's pace is kept in Redis: Redis goes as it is asked.
    proxy.arm(f"group:{TEAM_CHAT}", outage=2.0, swallow=True)
    tg.api.group_text(TEAM_CHAT, AL, "/help")
    await tg.api.wait_until(lambda: bool(answers(tg, "/help")), timeout=20)
    assert proxy.cut.is_set()


async def test_the_apis_claim_redis_dropped_under_is_told_to_the_services(
    make_bot: BotFactory, redis_url: str
) -> None:
    async with redis_cut(redis_url) as proxy:
        shared = await shared_number(make_bot, redis_url=proxy.url)
        try:
            path = shared.path("claim")
            assert (await shared.call("support", "POST", path, {"agent": "bo"})).status == 200
            key = shared.bot.runtime.keys.conversation(shared.conversation, "claim")
            proxy.arm(key, outage=2.0)
            answer = await shared.call("sales", "POST", path, {"agent": "al"})
            assert proxy.cut.is_set()
            assert answer.status == 200
            assert answer.json["warning"]["holder"]["agent"] == "bo"
            sink = shared.bot.sinks["marketing"]
            await sink.wait_for(
                lambda _: any(
                    e["data"]["agent"] == "al" for e in sink.events("conversation.claimed")
                ),
                timeout=20,
            )
            (claimed,) = [
                e["data"] for e in sink.events("conversation.claimed") if e["data"]["agent"] == "al"
            ]
            assert claimed["previous"]["agent"] == "bo"
        finally:
            await shared.bot.stop()
