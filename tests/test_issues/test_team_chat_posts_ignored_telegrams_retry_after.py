"""A team chat post Telegram refused with 429 and ``retry_after`` was tried again on the
fan-out's own backoff, about a second later, and refused again, while customer sends
waited as told: the team chat's receiver gave the fan-out a bare reason. It gives the wait
with it now, and the post waits it out."""

from __future__ import annotations

from bot.config.settings import DeliverySettings, TelegramSettings
from tests.conftest import BotFactory
from tests.emulators.telegram_api import TelegramAPIEmulator, fake_token
from tests.test_telegram_runtime import CUSTOMER, TEAM, TEAM_CHAT

PATIENT = DeliverySettings(retry_base=0.05, retry_cap=10.0, timeout=2.0)


async def test_a_throttled_team_post_waits_for_retry_after(make_bot: BotFactory) -> None:
    token = fake_token()
    async with TelegramAPIEmulator(token) as api:
        api.add_group(TEAM_CHAT, "Team")
        settings = TelegramSettings(token=token, api_base=api.base_url, team_chat_id=str(TEAM_CHAT))
        bot = await make_bot(
            whatsapp=False, telegram=settings, team=TEAM, telegram_lease_ttl=2.0, delivery=PATIENT
        )
        api.throttle("sendMessage", times=2, retry_after=3)  # the welcome and the team post
        api.customer_text(CUSTOMER, "hi")
        await api.wait_until(lambda: len(api.messages_to(TEAM_CHAT)) >= 1, timeout=20)
        posts = [
            r
            for r in api.requests
            if r.api_method == "sendMessage" and str(r.params.get("chat_id")) == str(TEAM_CHAT)
        ]
        refused, posted = posts[0], posts[-1]
        assert refused.status == 429 and posted.status == 200
        assert posted.at - refused.at >= 2.9
        await bot.stop()  # while its Telegram is up: the welcome's retry goes out
