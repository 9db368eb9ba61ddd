"""A customer's message is posted to the team chat, where the team answers it (OPS-3). A
shared place was posted as "[location]", a contact card as "[contact]" and a reaction as
"[reaction]": the team could not see where the customer was, whom they passed on, nor
what they thought of the answer, though the services and the live view get it all. The
post says the place, the cards' names and phones, and the emoji now."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bot.config.settings import TelegramSettings
from tests.conftest import Bot, BotFactory
from tests.emulators import meta_webhooks as meta
from tests.emulators.telegram_api import TelegramAPIEmulator, fake_token
from tests.test_telegram_runtime import TEAM, TEAM_CHAT

CUSTOMER = "447700900404"


@pytest.fixture
async def team_and_whatsapp(make_bot: BotFactory) -> AsyncIterator[tuple[Bot, TelegramAPIEmulator]]:
    token = fake_token()
    async with TelegramAPIEmulator(token) as api:
        api.add_group(TEAM_CHAT, "Team")
        settings = TelegramSettings(token=token, api_base=api.base_url, team_chat_id=str(TEAM_CHAT))
        bot = await make_bot(telegram=settings, team=TEAM, telegram_lease_ttl=2.0)
        yield bot, api


async def _post_of(bot: Bot, api: TelegramAPIEmulator, payload: dict[str, object]) -> str:
    before = len(api.messages_to(TEAM_CHAT))
    assert (await bot.post_whatsapp(payload)).status == 200
    await api.wait_until(lambda: len(api.messages_to(TEAM_CHAT)) > before, timeout=10)
    return str(api.messages_to(TEAM_CHAT)[before].text)


async def test_the_team_sees_the_place_the_card_and_the_emoji(
    team_and_whatsapp: tuple[Bot, TelegramAPIEmulator],
) -> None:
    bot, api = team_and_whatsapp
    pnid = bot.phone_number_id
    place = meta.location_message(
        pnid, CUSTOMER, 51.5033, -0.1196, place="Depot", address="1 Quay St"
    )
    post = await _post_of(bot, api, place)
    assert "Depot, 1 Quay St" in post
    assert "51.5033, -0.1196" in post

    card = meta.contact_card("Bo Lee", [("+44 7911 000999", None)], emails=("bo@example.com",))
    post = await _post_of(bot, api, meta.contacts_message(pnid, CUSTOMER, [card]))
    assert "Bo Lee" in post
    assert "+44 7911 000999" in post
    assert "bo@example.com" in post

    post = await _post_of(
        bot, api, meta.reaction_message(pnid, CUSTOMER, "wamid.ours", "\U0001f44d")
    )
    assert "\U0001f44d" in post
