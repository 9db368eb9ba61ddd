"""A bot token Telegram refuses for good (revoked in @BotFather, or another bot's) had
the poller ask getUpdates again every second, and log its refusal each time: 86,400
warnings a day, and as many calls to Telegram. A getUpdates that keeps failing is asked
again after 1, 2, 4... seconds, up to a minute."""

from __future__ import annotations

from tests.conftest import BotFactory
from tests.emulators.telegram_api import TelegramAPIEmulator, fake_token
from tests.test_telegram_runtime import TEAM_CHAT, telegram_bot


async def test_a_refused_get_updates_is_asked_less_and_less_often(make_bot: BotFactory) -> None:
    async with TelegramAPIEmulator(fake_token()) as api:
        api.add_group(TEAM_CHAT, "Team")
        await telegram_bot(make_bot, api, fake_token())  # a token Telegram does not know

        def refused() -> list[float]:
            return [r.at for r in api.requests if r.api_method == "getUpdates"]

        await api.wait_until(lambda: len(refused()) >= 4, timeout=30, what="4 getUpdates")
        assert all(r.status == 401 for r in api.requests if r.api_method == "getUpdates")
        first, second, third, fourth = refused()[:4]
        # 1, 2 and 4 s apart; a second apart each before.
        assert fourth - third >= 3.0
        assert fourth - third > second - first
