"""A team chat that was a plain group went deaf and dumb when Telegram made it a
supergroup (as it does when a group passes 200 members or is made public): the group gets
a new id, every post to the old one was refused with 400 for ever, and the team's replies
and commands in the new supergroup were taken as a customer's messages, fanned out to
every service and answered with the welcome. The team chat follows the move now, whether
it hears of it from Telegram's service message or from a post's refusal, and a bot
started later with the old id follows it too."""

from __future__ import annotations

import pytest

from adapters.telegram_common import chat_move
from bot.model import Identity, conversation_id
from tests.conftest import BotFactory
from tests.emulators.telegram_api import TelegramAPIEmulator, fake_token
from tests.test_telegram_runtime import AGENT, CUSTOMER, TelegramBot, telegram_bot

GROUP = -4001234567
SUPERGROUP = -1004001234567


async def _answered_in_the_supergroup(tg: TelegramBot) -> None:
    tg.api.customer_text(CUSTOMER, "is anyone there?", first_name="Cara")
    await tg.api.wait_until(lambda: bool(tg.api.messages_to(SUPERGROUP)), timeout=10)
    (post,) = tg.api.messages_to(SUPERGROUP)
    assert "is anyone there?" in post.text
    tg.api.group_text(SUPERGROUP, AGENT, "Yes, Cara!", reply_to_message_id=post.message_id)
    await tg.api.wait_until(
        lambda: any(m.text == "Yes, Cara!" for m in tg.api.messages_to(CUSTOMER))
    )
    tg.api.group_text(SUPERGROUP, AGENT, "/help")
    await tg.api.wait_until(
        lambda: any("/profile" in m.text for m in tg.api.messages_to(SUPERGROUP)), timeout=10
    )
    # The agent's messages there were the team's, not a customer's conversation.
    agent = conversation_id(tg.number, Identity("tg", str(AGENT)))
    assert await tg.bot.runtime.conversations.meta(agent) == {}


@pytest.mark.parametrize("framework", ["aiogram", "ptb"])
@pytest.mark.parametrize("announced", [True, False], ids=["told by telegram", "a refused post"])
async def test_the_team_chat_follows_its_group(
    make_bot: BotFactory, framework: str, announced: bool
) -> None:
    token = fake_token()
    async with TelegramAPIEmulator(token) as api:
        api.add_group(GROUP, "Team", chat_type="group")
        tg = await telegram_bot(make_bot, api, token, team_chat_id=str(GROUP), framework=framework)
        api.migrate(GROUP, SUPERGROUP, by_user=AGENT, announced=announced)
        await _answered_in_the_supergroup(tg)


async def test_a_bot_started_with_the_old_id_follows_the_move(make_bot: BotFactory) -> None:
    token = fake_token()
    async with TelegramAPIEmulator(token) as api:
        api.add_group(GROUP, "Team", chat_type="group")
        first = await telegram_bot(make_bot, api, token, team_chat_id=str(GROUP))
        api.migrate(GROUP, SUPERGROUP, by_user=AGENT)
        await first.bot.settle()
        await first.bot.stop()
        # The next start, with TELEGRAM_TEAM_CHAT_ID not yet changed: a command in the
        # supergroup is the team's, though the bot never saw the move.
        later = await telegram_bot(make_bot, api, token, team_chat_id=str(GROUP))
        api.group_text(SUPERGROUP, AGENT, "/help")
        await api.wait_until(lambda: bool(api.messages_to(SUPERGROUP)), timeout=10)
        assert "/profile" in api.messages_to(SUPERGROUP)[0].text
        agent = conversation_id(later.number, Identity("tg", str(AGENT)))
        assert await later.bot.runtime.conversations.meta(agent) == {}


@pytest.mark.parametrize(
    "message",
    [
        {"chat": {"id": GROUP}, "migrate_to_chat_id": str(SUPERGROUP)},
        {"chat": {"id": GROUP}, "migrate_to_chat_id": True},
        {"chat": {"id": str(GROUP)}, "migrate_to_chat_id": SUPERGROUP},
        {"chat": [GROUP], "migrate_from_chat_id": GROUP},
        {"chat": {"id": SUPERGROUP}, "migrate_from_chat_id": None},
        "a message",
    ],
)
def test_a_broken_move_is_no_move(message: object) -> None:
    assert chat_move({"update_id": 1, "message": message}) is None


def test_either_service_message_names_the_move() -> None:
    to = {"chat": {"id": GROUP}, "migrate_to_chat_id": SUPERGROUP}
    came_from = {"chat": {"id": SUPERGROUP}, "migrate_from_chat_id": GROUP}
    expected = (str(GROUP), str(SUPERGROUP))
    assert chat_move({"message": to}) == chat_move({"message": came_from}) == expected
