"""A Telegram customer who blocked the bot was sent every notification, campaign and drip
step anyway: each failed with Telegram's 403 ("bot was blocked by the user"), counted as
failed, campaign after campaign. Telegram says so as it happens, in a ``my_chat_member``
update of the private chat (the bot's new status ``kicked``; ``member`` when they restart
it), which the bot did not even ask for; and a 403 told nothing either."""

from __future__ import annotations

import re
import time
from collections.abc import AsyncIterator

import pytest

from adapters.telegram_common import block_change
from tests.conftest import BotFactory
from tests.emulators.telegram_api import TelegramAPIEmulator, fake_token
from tests.test_notifications import until
from tests.test_team_commands import ADMIN
from tests.test_telegram_runtime import (
    CUSTOMER,
    TEAM_CHAT,
    TelegramBot,
    telegram_bot,
    wait_until_processed,
)


@pytest.fixture(params=["aiogram", "ptb"])
async def tg(request: pytest.FixtureRequest, make_bot: BotFactory) -> AsyncIterator[TelegramBot]:
    """The bot on Telegram, with either framework."""
    token = fake_token()
    async with TelegramAPIEmulator(token) as api:
        api.add_group(TEAM_CHAT, "Team")
        yield await telegram_bot(make_bot, api, token, framework=request.param)


def texts_to_customer(tg: TelegramBot) -> list[str | None]:
    return [m.text for m in tg.api.messages_to(CUSTOMER)]


async def notify(tg: TelegramBot, text: str) -> str:
    """The team's notification to the customer's conversation, at whatever hour; its id."""
    command = f"/notify {tg.number} conversations={tg.conversation()} quiet=off {text}"
    answer = await tg.bot.runtime.commands.run(ADMIN, command)
    found = re.search(r"ntf_\w+", answer)
    assert answer.startswith("Sending ntf_") and found, answer
    return found.group(0)


async def report_of(tg: TelegramBot, notification: str, outcome: str) -> str:
    """The notification's report, once it counts its recipient as ``outcome``."""

    async def counted() -> str:
        report = await tg.bot.runtime.commands.run(ADMIN, f"/notify report {notification}")
        return report if outcome in report else ""

    return await until(counted, what=f"{notification} {outcome}")


async def blocked(tg: TelegramBot) -> bool:
    meta = await tg.bot.runtime.conversations.meta(tg.conversation())
    return meta.get("blocked") == "1"


async def not_blocked(tg: TelegramBot) -> bool:
    return not await blocked(tg)


async def test_a_customer_who_blocked_the_bot_is_skipped_until_they_restart_it(
    tg: TelegramBot,
) -> None:
    tg.api.customer_text(CUSTOMER, "hi")
    await wait_until_processed(tg, CUSTOMER, 1)
    assert "my_chat_member" in (tg.api.allowed_updates or [])

    tg.api.user_blocks(CUSTOMER)
    await until(lambda: blocked(tg), what="the block kept")
    skipped = await notify(tg, "Our sale starts today")
    report = await report_of(tg, skipped, "blocked 1")
    assert "failed 0" in report, report
    assert "Our sale starts today" not in texts_to_customer(tg)

    tg.api.user_restarts(CUSTOMER)
    await until(lambda: not_blocked(tg), what="the restart kept")
    sent = await notify(tg, "The sale ends tonight")
    await tg.api.wait_until(lambda: "The sale ends tonight" in texts_to_customer(tg))
    assert "blocked" not in await report_of(tg, sent, "sent 1")


async def test_a_403_to_a_customer_keeps_them_blocked(tg: TelegramBot) -> None:
    tg.api.customer_text(CUSTOMER, "hi")
    await wait_until_processed(tg, CUSTOMER, 1)
    tg.api.block(CUSTOMER)  # a block the bot never heard of: sends get 403

    failed = await notify(tg, "First offer")
    await report_of(tg, failed, "failed 1")
    assert await blocked(tg)
    skipped = await notify(tg, "Second offer")
    await report_of(tg, skipped, "blocked 1")


async def test_a_group_s_member_change_blocks_nobody(tg: TelegramBot) -> None:
    """The bot removed from a group (``kicked`` there) is no customer's block."""
    tg.api.customer_text(CUSTOMER, "hi")
    await wait_until_processed(tg, CUSTOMER, 1)
    change = tg.api.member_change(CUSTOMER, "member", "kicked")
    change["chat"] = {"id": -100777, "title": "Other group", "type": "supergroup"}
    tg.api.raw_update("my_chat_member", change)
    tg.api.customer_text(CUSTOMER, "still here")
    await wait_until_processed(tg, CUSTOMER, 2)  # updates are taken in order
    assert not await blocked(tg)


def private_change(**fields: object) -> dict[str, object]:
    change: dict[str, object] = {
        "chat": {"id": CUSTOMER, "type": "private"},
        "from": {"id": CUSTOMER, "is_bot": False, "first_name": "Cara"},
        "date": 1_700_000_000,
        "new_chat_member": {"status": "kicked"},
    }
    return {"update_id": 1, "my_chat_member": change | fields}


@pytest.mark.parametrize(
    "update",
    [
        {"update_id": 1},
        {"update_id": 1, "my_chat_member": None},
        private_change(chat={"id": CUSTOMER + 1, "type": "private"}),  # another's chat
        private_change(chat={"id": TEAM_CHAT, "type": "supergroup"}),
        private_change(**{"from": {"id": -5, "is_bot": False}}),
        private_change(**{"from": {"id": True}}),
        private_change(new_chat_member={"status": "administrator"}),
        private_change(new_chat_member={"status": "kicked" * 10_000}),
        private_change(new_chat_member=["kicked"]),
    ],
)
def test_only_a_private_chat_s_own_user_blocks(update: dict[str, object]) -> None:
    assert block_change(update) is None


def test_a_block_is_dated_now_when_its_date_is_no_time() -> None:
    change = block_change(private_change(date=2**40))
    assert change is not None and change.blocked and change.user == str(CUSTOMER)
    assert abs(change.at - time.time()) < 60


async def test_the_team_s_inbox_says_who_blocked_the_bot(tg: TelegramBot) -> None:
    tg.api.customer_text(CUSTOMER, "hi")
    await wait_until_processed(tg, CUSTOMER, 1)
    tg.api.user_blocks(CUSTOMER)
    await until(lambda: blocked(tg), what="the block kept")
    inbox = await tg.bot.runtime.commands.run(ADMIN, "/inbox")
    line = next(line for line in inbox.splitlines() if tg.conversation() in line)
    assert line.endswith("blocked the bot"), line
