"""Telegram through the whole runtime (CH-3, CH-6, OPS-3): long polling and webhook
mode against the Bot API emulator, customers' messages, button presses, contact shares
and edits, the team chat, and the sending limits; on the real Redis."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass, replace

import pytest

from bot.config.settings import DeliverySettings, TeamMember, TelegramSettings
from bot.model import Identity, Outbound, conversation_id
from tests.conftest import FAST_DELIVERY, Bot, BotFactory
from tests.emulators.telegram_api import SECRET_HEADER, TelegramAPIEmulator, fake_token

CUSTOMER = 5551001
TEAM_CHAT = -1001234567890
AGENT = 7770001
TEAM = (
    TeamMember("ann@example.com", "Ann", "admin", telegram=str(AGENT)),
    TeamMember("vic@example.com", "Vic", "viewer", telegram="7770002"),
)


@dataclass
class TelegramBot:
    bot: Bot
    api: TelegramAPIEmulator
    token: str

    @property
    def number(self) -> str:
        return f"tg:{self.token.partition(':')[0]}"

    def conversation(self, user: int = CUSTOMER) -> str:
        return conversation_id(self.number, Identity("tg", str(user)))

    async def timeline(self, user: int = CUSTOMER) -> list[dict[str, object]]:
        await self.bot.settle()
        return await self.bot.runtime.conversations.timeline(self.conversation(user))

    async def opted_out(self, user: int = CUSTOMER) -> bool:
        meta = await self.bot.runtime.conversations.meta(self.conversation(user))
        return meta.get("opted_out") == "1"


async def telegram_bot(
    make_bot: BotFactory,
    api: TelegramAPIEmulator,
    token: str,
    delivery: DeliverySettings = FAST_DELIVERY,
    **settings: object,
) -> TelegramBot:
    base = TelegramSettings(token=token, api_base=api.base_url, team_chat_id=str(TEAM_CHAT))
    bot = await make_bot(
        whatsapp=False,
        telegram=replace(base, **settings),
        team=TEAM,
        telegram_lease_ttl=2.0,
        delivery=delivery,
    )
    return TelegramBot(bot, api, token)


@pytest.fixture
async def tg(make_bot: BotFactory) -> AsyncIterator[TelegramBot]:
    token = fake_token()
    async with TelegramAPIEmulator(token) as api:
        api.add_group(TEAM_CHAT, "Team")
        yield await telegram_bot(make_bot, api, token)


async def offer(tg: TelegramBot, text: str, buttons: tuple[str, ...]) -> None:
    """A service offers the customer choices, and the keyboard reaches them."""
    runtime = tg.bot.runtime
    outbound = Outbound(
        send_id=f"snd_{text.replace(' ', '_')}",
        conversation_id=tg.conversation(),
        channel="telegram",
        number=tg.number,
        recipient=Identity("tg", str(CUSTOMER)),
        text=text,
        service="support",
        buttons=buttons,
    )
    await runtime.sender.send(outbound, runtime.shard_of(tg.conversation()))
    await tg.api.wait_until(lambda: any(m.reply_markup for m in tg.api.messages_to(CUSTOMER)))


async def wait_until_processed(tg: TelegramBot, user: int, count: int) -> list[dict[str, object]]:
    for _ in range(200):
        timeline = await tg.timeline(user)
        if len([m for m in timeline if m["direction"] == "inbound"]) >= count:
            return timeline
        await asyncio.sleep(0.05)
    raise AssertionError(f"{count} inbound messages never arrived")


async def test_a_customer_is_answered_through_long_polling(tg: TelegramBot) -> None:
    tg.api.customer_text(CUSTOMER, "hello there", first_name="Cara")
    await tg.api.wait_for_sent(2)  # the welcome, and the team chat's post
    (welcome,) = tg.api.messages_to(CUSTOMER)
    assert welcome.text == "Welcome! How can we help?"
    assert welcome.parse_mode is None
    timeline = await wait_until_processed(tg, CUSTOMER, 1)
    assert [m["direction"] for m in timeline] == ["inbound", "outbound"]
    profile = await tg.bot.runtime.profiles.lookup(Identity("tg", str(CUSTOMER)))
    assert (await tg.bot.runtime.profiles.get(profile))["source"] == "telegram"


async def test_contact_share_button_press_and_edit(tg: TelegramBot) -> None:
    runtime = tg.bot.runtime
    tg.api.customer_text(CUSTOMER, "hi")
    await wait_until_processed(tg, CUSTOMER, 1)
    tg.api.contact_share(CUSTOMER, "+44 7700 900123")
    await wait_until_processed(tg, CUSTOMER, 2)
    phone_profile = await runtime.profiles.lookup(Identity("phone", "+447700900123"))
    assert phone_profile == await runtime.profiles.lookup(Identity("tg", str(CUSTOMER)))
    # Someone else's contact card stitches nothing.
    tg.api.contact_share(CUSTOMER, "+44 7700 900456", contact_user_id=999)
    await wait_until_processed(tg, CUSTOMER, 3)
    assert await runtime.profiles.lookup(Identity("phone", "+447700900456")) == ""

    await offer(tg, "Which plan?", ("Basic", "Pro"))
    tg.api.callback_query(CUSTOMER, "b:1")
    timeline = await wait_until_processed(tg, CUSTOMER, 4)
    pressed = next(m for m in timeline if m["kind"] == "button")
    assert (pressed["text"], pressed["payload"]) == ("Pro", "b:1")
    await tg.api.wait_for_callback_answers(1)

    first = next(m for m in timeline if m["direction"] == "inbound")
    message_id = int(str(first["id"]).rsplit(":", 1)[1])
    tg.api.edited_text(CUSTOMER, message_id, "hi, edited")
    for _ in range(100):
        timeline = await tg.timeline()
        if timeline[0].get("edited_at"):
            break
        await asyncio.sleep(0.05)
    assert timeline[0]["text"] == "hi, edited"
    assert len([m for m in timeline if m["direction"] == "inbound"]) == 4


async def test_the_team_chat_sees_customers_and_answers_them(tg: TelegramBot) -> None:
    tg.api.customer_text(CUSTOMER, "<b>Help</b> *please*", first_name="Cara")
    await tg.api.wait_until(lambda: bool(tg.api.messages_to(TEAM_CHAT)))
    (post,) = tg.api.messages_to(TEAM_CHAT)
    assert post.parse_mode is None  # shown as typed: no HTML or Markdown injection
    assert "<b>Help</b> *please*" in post.text and tg.conversation() in post.text
    assert post.text.startswith("Cara on telegram")
    tg.api.group_text(TEAM_CHAT, AGENT, "On it, Cara!", reply_to_message_id=post.message_id)
    await tg.api.wait_until(lambda: len(tg.api.messages_to(CUSTOMER)) == 2)
    assert tg.api.messages_to(CUSTOMER)[-1].text == "On it, Cara!"
    timeline = await tg.timeline()
    assert timeline[-1]["service"] == "team"
    # Commands run in the team chat; a stranger's are refused.
    tg.api.group_text(TEAM_CHAT, AGENT, "/inbox")
    tg.api.group_text(TEAM_CHAT, 4242, "/forget tg:5551001")
    await tg.api.wait_until(lambda: len(tg.api.messages_to(TEAM_CHAT)) >= 3)
    answers = [m.text for m in tg.api.messages_to(TEAM_CHAT)[1:]]
    assert any(tg.conversation()[:8] in text for text in answers)
    assert any("not on this team's list" in text for text in answers)


async def test_a_team_member_runs_commands_in_a_private_chat(tg: TelegramBot) -> None:
    tg.api.command(AGENT, "/help")
    await tg.api.wait_until(lambda: bool(tg.api.messages_to(AGENT)))
    assert "/profile" in tg.api.messages_to(AGENT)[0].text
    # Their own /help is a command, not a customer conversation.
    assert await tg.bot.runtime.conversations.meta(tg.conversation(AGENT)) == {}


async def test_sends_keep_to_one_a_second_per_chat_and_honour_429(tg: TelegramBot) -> None:
    runtime = tg.bot.runtime
    tg.api.customer_text(CUSTOMER, "hi")
    await wait_until_processed(tg, CUSTOMER, 1)
    tg.api.throttle("sendMessage", times=1, retry_after=1)
    for n in range(3):
        await runtime.actions.send(tg.conversation(), f"update {n}", service="support")
    await tg.api.wait_until(lambda: len(tg.api.messages_to(CUSTOMER)) == 4, timeout=10)
    assert [m.text for m in tg.api.messages_to(CUSTOMER)[1:]] == [
        "update 0",
        "update 1",
        "update 2",
    ]
    assert tg.api.max_per_chat_per_second() <= 1


async def test_webhook_mode_checks_the_secret_token(make_bot: BotFactory) -> None:
    token, secret = fake_token(), "s3cret-" + "x" * 20
    async with TelegramAPIEmulator(token) as api:
        tg = await telegram_bot(make_bot, api, token, mode="webhook", webhook_secret=secret)
        assert api.webhook_secret == secret
        update = {
            "update_id": 1,
            "message": {
                "message_id": 5,
                "date": 1_795_000_000,
                "chat": {"id": CUSTOMER, "type": "private"},
                "from": {"id": CUSTOMER, "is_bot": False, "first_name": "Cara"},
                "text": "hello by webhook",
            },
        }
        wrong = await tg.bot.client.post(
            "/webhooks/telegram", json=update, headers={SECRET_HEADER: "nope"}
        )
        assert wrong.status == 401
        broken = await tg.bot.client.post(
            "/webhooks/telegram", data=b"{not json", headers={SECRET_HEADER: secret}
        )
        assert broken.status == 400
        for _ in range(2):  # Telegram resends: processed once
            ok = await tg.bot.client.post(
                "/webhooks/telegram", json=update, headers={SECRET_HEADER: secret}
            )
            assert ok.status == 200
        timeline = await wait_until_processed(tg, CUSTOMER, 1)
        assert [m["text"] for m in timeline if m["direction"] == "inbound"] == ["hello by webhook"]
        assert not api.get_updates_calls  # no polling in webhook mode


async def test_telegram_is_off_without_a_token(make_bot: BotFactory) -> None:
    bot = await make_bot(whatsapp=False)
    response = await bot.client.post("/webhooks/telegram", json={})
    assert response.status == 404


async def test_the_python_telegram_bot_adapter_serves_the_same_way(make_bot: BotFactory) -> None:
    token = fake_token()
    async with TelegramAPIEmulator(token) as api:
        api.add_group(TEAM_CHAT, "Team")
        tg = await telegram_bot(make_bot, api, token, framework="ptb")
        api.customer_text(CUSTOMER, "hello from ptb")
        await api.wait_until(lambda: bool(api.messages_to(CUSTOMER)))
        assert api.messages_to(CUSTOMER)[0].text == "Welcome! How can we help?"
        timeline = await wait_until_processed(tg, CUSTOMER, 1)
        assert timeline[0]["text"] == "hello from ptb"


async def test_unknown_or_hostile_button_data_is_answered_and_kept_harmless(
    tg: TelegramBot,
) -> None:
    tg.api.customer_text(CUSTOMER, "hi")
    await wait_until_processed(tg, CUSTOMER, 1)
    await offer(tg, "Pick one", ("Yes", "No"))
    for data in ("b:99", "<script>alert(1)</script>", "../../etc/passwd", "💥" * 16):
        tg.api.callback_query(CUSTOMER, data)
    await tg.api.wait_for_callback_answers(4)
    timeline = await wait_until_processed(tg, CUSTOMER, 5)
    presses = [m for m in timeline if m["kind"] == "button"]
    assert [m["text"] for m in presses] == ["", "", "", ""]  # no label: it matched no button
    assert len(tg.api.messages_to(CUSTOMER)) == 2  # the welcome and the offer; no crash
