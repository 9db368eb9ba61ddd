"""The Telegram Bot API emulator, driven by the real aiogram 3 and python-telegram-bot clients."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
import telegram
import telegram.error
from aiogram import Bot, Dispatcher, F
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.exceptions import (
    TelegramBadRequest,
    TelegramConflictError,
    TelegramRetryAfter,
    TelegramUnauthorizedError,
)
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from aiogram.webhook.aiohttp_server import SimpleRequestHandler
from aiohttp import web

from tests.emulators.telegram_api import (
    CONFLICT_OTHER_POLL,
    CONFLICT_SET_WEBHOOK,
    CONFLICT_WEBHOOK_ACTIVE,
    SECRET_HEADER,
    RateLimits,
    TelegramAPIEmulator,
    fake_token,
    html_error,
)

USER = 5550001
GROUP = -1001234567890
KEYBOARD = InlineKeyboardMarkup(
    inline_keyboard=[[InlineKeyboardButton(text="Yes", callback_data="confirm:yes")]]
)


@pytest.fixture
async def emulator() -> AsyncIterator[TelegramAPIEmulator]:
    async with TelegramAPIEmulator(fake_token()) as server:
        yield server


def aiogram_bot(emulator: TelegramAPIEmulator, token: str | None = None) -> Bot:
    api = TelegramAPIServer.from_base(emulator.base_url)
    return Bot(token or emulator.token, session=AiohttpSession(api=api))


def ptb_bot(emulator: TelegramAPIEmulator, token: str | None = None) -> telegram.Bot:
    return telegram.Bot(token or emulator.token, base_url=f"{emulator.base_url}/bot")


@pytest.fixture
async def bot(emulator: TelegramAPIEmulator) -> AsyncIterator[Bot]:
    async with aiogram_bot(emulator) as client:
        yield client


@pytest.fixture
def ptb_timedelta(monkeypatch: pytest.MonkeyPatch) -> None:
    # PTB 22 warns on int time periods; under filterwarnings=error that warning would
    # replace RetryAfter itself. Opting in to timedeltas is what the adapter must do too.
    monkeypatch.setenv("PTB_TIMEDELTA", "1")


@pytest.fixture
async def ptb(emulator: TelegramAPIEmulator, ptb_timedelta: None) -> AsyncIterator[telegram.Bot]:
    async with ptb_bot(emulator) as client:
        yield client


async def _call(
    emulator: TelegramAPIEmulator, method: str, *, http_method: str = "POST", **kwargs: Any
) -> tuple[int, dict[str, Any]]:
    async with (
        aiohttp.ClientSession() as http,
        http.request(http_method, f"{emulator.api_url}/{method}", **kwargs) as resp,
    ):
        return resp.status, await resp.json()


# -- aiogram ---------------------------------------------------------------------------------


async def test_aiogram_get_me_and_long_poll(emulator: TelegramAPIEmulator, bot: Bot) -> None:
    me = await bot.get_me()
    assert me.is_bot and me.username == "switchboard_test_bot" and me.id == bot.id

    emulator.add_user(USER, "Bo", username="bo_b")
    asyncio.get_running_loop().call_later(0.3, emulator.customer_text, USER, "hi")
    started = asyncio.get_running_loop().time()
    (update,) = await bot.get_updates(timeout=5)
    assert 0.25 < asyncio.get_running_loop().time() - started < 3
    assert update.message is not None and update.message.text == "hi"
    assert update.message.chat.type == "private" and update.message.chat.id == USER
    assert update.message.from_user is not None and update.message.from_user.first_name == "Bo"

    # Not confirmed yet: served again. An offset past it confirms and drops it.
    again = await bot.get_updates(timeout=0)
    assert [u.update_id for u in again] == [update.update_id]
    assert await bot.get_updates(offset=update.update_id + 1, timeout=0) == []
    assert emulator.pending_updates == []
    second = emulator.customer_text(USER, "two")
    emulator.customer_text(USER, "three")
    assert [u.update_id for u in await bot.get_updates(offset=-1)] == [second["update_id"] + 1]

    calls = emulator.get_updates_calls
    assert calls[0].timeout == 5 and calls[0].update_ids == [update.update_id]
    assert calls[2].offset == update.update_id + 1 and calls[2].status == 200
    assert emulator.conflicts == []


async def test_aiogram_keyboard_and_callback(emulator: TelegramAPIEmulator, bot: Bot) -> None:
    emulator.customer_text(USER, "start")
    sent = await bot.send_message(USER, "Confirm?", reply_markup=KEYBOARD)
    assert sent.reply_markup is not None and sent.from_user is not None
    assert sent.reply_markup.model_dump() == KEYBOARD.model_dump()
    (record,) = emulator.messages_to(USER)
    assert record.callback_data == ["confirm:yes"] and record.message_id == sent.message_id
    # aiogram sends form fields; nested objects travel as JSON strings.
    assert isinstance(record.params["reply_markup"], str)
    assert json.loads(record.params["reply_markup"])["inline_keyboard"][0][0]["text"] == "Yes"

    pressed = emulator.callback_query(USER, "confirm:yes")
    query = Update.model_validate(pressed).callback_query
    assert query is not None and query.data == "confirm:yes"
    assert isinstance(query.message, Message) and query.message.message_id == sent.message_id
    assert await bot.answer_callback_query(query.id, text="Done")
    assert emulator.callback_answers[0].text == "Done"
    with pytest.raises(TelegramBadRequest, match="query is too old"):
        await bot.answer_callback_query(query.id)

    edited = await bot.edit_message_text("Confirmed", chat_id=USER, message_id=sent.message_id)
    assert isinstance(edited, Message) and edited.text == "Confirmed" and edited.edit_date
    with pytest.raises(TelegramBadRequest, match="message is not modified"):
        await bot.edit_message_text("Confirmed", chat_id=USER, message_id=sent.message_id)
    assert [s.method for s in emulator.sent] == ["sendMessage", "editMessageText"]


async def test_aiogram_second_poller_gets_conflict(emulator: TelegramAPIEmulator) -> None:
    async with aiogram_bot(emulator) as first, aiogram_bot(emulator) as second:
        older = asyncio.create_task(first.get_updates(timeout=5))
        older_call = await emulator.wait_for_poller()
        newer = asyncio.create_task(second.get_updates(timeout=5))
        with pytest.raises(TelegramConflictError, match="terminated by other getUpdates"):
            await older
        newer_call = await emulator.wait_for_poller()
        emulator.customer_text(USER, "for the newest poller")
        (update,) = await newer
    assert update.message is not None and update.message.text == "for the newest poller"
    (conflict,) = emulator.conflicts
    assert conflict.description == CONFLICT_OTHER_POLL and conflict.call is older_call
    assert (older_call.status, newer_call.status) == (409, 200)
    assert older_call.peer != newer_call.peer


async def test_dead_poller_is_not_a_conflict(emulator: TelegramAPIEmulator, bot: Bot) -> None:
    """A poller whose process died hangs up; the next poller starts without any 409."""
    with pytest.raises(TimeoutError):
        await _call(
            emulator,
            "getUpdates",
            json={"timeout": 5},
            timeout=aiohttp.ClientTimeout(total=0.2),
        )
    await emulator.wait_until(lambda: emulator.abandoned_polls == 1, what="an abandoned poll")
    polling = asyncio.create_task(bot.get_updates(timeout=5))
    assert await emulator.wait_for_poller() is emulator.get_updates_calls[1]
    emulator.customer_text(USER, "after failover")
    (update,) = await polling
    assert update.message is not None and update.message.text == "after failover"
    assert emulator.conflicts == []
    assert [c.status for c in emulator.get_updates_calls] == [None, 200]


async def test_aiogram_errors(emulator: TelegramAPIEmulator, bot: Bot) -> None:
    emulator.throttle("sendMessage", times=1, retry_after=1)
    with pytest.raises(TelegramRetryAfter) as retry:
        await bot.send_message(USER, "hello")
    assert retry.value.retry_after == 1
    assert "Too Many Requests: retry after 1" in retry.value.message
    await bot.send_message(USER, "hello")

    with pytest.raises(TelegramBadRequest, match="message text is empty"):
        await bot.send_message(USER, "")
    with pytest.raises(TelegramBadRequest, match="message is too long"):
        await bot.send_message(USER, "x" * 4097)
    long_data = InlineKeyboardMarkup(
        inline_keyboard=[[InlineKeyboardButton(text="x", callback_data="d" * 65)]]
    )
    with pytest.raises(TelegramBadRequest, match="BUTTON_DATA_INVALID"):
        await bot.send_message(USER, "pick", reply_markup=long_data)
    with pytest.raises(TelegramBadRequest, match="can't parse entities"):
        await bot.send_message(USER, "a <b> c", parse_mode="HTML")
    with pytest.raises(TelegramBadRequest, match="message to be replied not found"):
        await bot.send_message(USER, "re", reply_to_message_id=999)
    async with aiogram_bot(emulator, token=fake_token(42)) as stranger:
        with pytest.raises(TelegramUnauthorizedError, match="Unauthorized"):
            await stranger.get_me()
    assert len(emulator.sent) == 1
    statuses = [r.status for r in emulator.requests][-8:]
    assert statuses == [429, 200, 400, 400, 400, 400, 400, 401]


async def test_wire_errors_and_body_encodings(emulator: TelegramAPIEmulator) -> None:
    status, body = await _call(emulator, "getMe")
    assert status == 200 and body["ok"] is True
    status, body = await _call(emulator, "noSuchMethod")
    assert (status, body) == (404, {"ok": False, "error_code": 404, "description": "Not Found"})
    async with (
        aiohttp.ClientSession() as http,
        http.get(f"{emulator.base_url}/botnot-a-token/getMe") as resp,
    ):
        assert resp.status == 404
    status, body = await _call(emulator, "sendMessage", json={"text": "hi"})
    assert (status, body["description"]) == (400, "Bad Request: chat_id is empty")

    markup = {"inline_keyboard": [[{"text": "A", "callback_data": "a"}]]}
    form = aiohttp.FormData({"chat_id": str(USER), "text": "multipart"})
    form.add_field("reply_markup", json.dumps(markup))
    form.add_field("unused", b"bytes", filename="f.bin")
    for kwargs in (
        {"json": {"chat_id": USER, "text": "json", "reply_markup": markup}},
        {"data": {"chat_id": str(USER), "text": "urlencoded"}},
        {"data": form},
        {"params": {"chat_id": str(USER), "text": "query"}, "http_method": "GET"},
    ):
        status, body = await _call(emulator, "sendmessage", **kwargs)
        assert status == 200 and body["result"]["chat"]["id"] == USER
    assert [s.text for s in emulator.messages_to(USER)] == [
        "json",
        "urlencoded",
        "multipart",
        "query",
    ]
    assert emulator.sent[2].callback_data == ["a"]


# -- webhook mode ----------------------------------------------------------------------------


async def test_aiogram_webhook_delivery(emulator: TelegramAPIEmulator, bot: Bot) -> None:
    """aiogram's own webhook handler checks the secret, parses the update and replies."""
    dispatcher = Dispatcher()

    @dispatcher.message(F.text)
    async def echo(message: Message) -> None:
        await message.answer(f"echo: {message.text}")

    app = web.Application()
    SimpleRequestHandler(
        dispatcher, bot, handle_in_background=False, secret_token="s3cret"
    ).register(app, path="/webhooks/telegram")
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    try:
        url = f"http://127.0.0.1:{port}/webhooks/telegram"
        assert await bot.set_webhook(url, secret_token="s3cret")
        with pytest.raises(TelegramConflictError, match="webhook is active"):
            await bot.get_updates()
        update = emulator.customer_text(USER, "ping")
        (attempt,) = await emulator.wait_for_webhook_attempts(1)
        (reply,) = emulator.sent  # sent while aiogram handled the webhook request
        assert reply.text == "echo: ping" and reply.chat_id == USER
        assert attempt.status == 200 and attempt.update_id == update["update_id"]
        assert attempt.headers[SECRET_HEADER] == "s3cret"
        info = await bot.get_webhook_info()
        assert info.url == url and info.pending_update_count == 0

        # A wrong secret is refused by aiogram (401); the emulator retries, then gives up.
        assert await bot.set_webhook(url, secret_token="other")
        emulator.customer_text(USER, "lost")
        attempts = await emulator.wait_for_webhook_attempts(1 + emulator.webhook_max_attempts)
        assert [a.status for a in attempts[1:]] == [401] * emulator.webhook_max_attempts
        info = await bot.get_webhook_info()
        assert info.pending_update_count == 1 and info.last_error_message
        assert "401" in info.last_error_message
        assert await bot.delete_webhook()
        (kept,) = await bot.get_updates()
        assert kept.message is not None and kept.message.text == "lost"
    finally:
        await runner.cleanup()
    assert emulator.requests[-1].api_method == "getUpdates"


async def test_set_webhook_terminates_waiting_poll(emulator: TelegramAPIEmulator) -> None:
    async with aiogram_bot(emulator) as poller, aiogram_bot(emulator) as admin:
        waiting = asyncio.create_task(poller.get_updates(timeout=5))
        await emulator.wait_for_poller()
        assert await admin.set_webhook("https://bot.example/hook", drop_pending_updates=True)
        with pytest.raises(TelegramConflictError, match="terminated by setWebhook"):
            await waiting
    assert [c.description for c in emulator.conflicts] == [CONFLICT_SET_WEBHOOK]


async def test_webhook_retries_until_acknowledged(emulator: TelegramAPIEmulator) -> None:
    statuses = [500, 502, 200, 200]
    received: list[dict[str, Any]] = []

    async def receiver(request: web.Request) -> web.Response:
        received.append(await request.json())
        return web.Response(status=statuses[len(received) - 1])

    app = web.Application()
    app.router.add_post("/hook", receiver)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    try:
        url = f"http://127.0.0.1:{runner.addresses[0][1]}/hook"
        status, body = await _call(emulator, "setWebhook", json={"url": url})
        assert (status, body["description"]) == (200, "Webhook was set")
        update = emulator.customer_text(USER, "retry me")
        attempts = await emulator.wait_for_webhook_attempts(3)
        assert [a.status for a in attempts] == [500, 502, 200]
        assert SECRET_HEADER not in attempts[0].headers
        assert received == [update] * 3 and emulator.pending_updates == []
        assert await emulator.redeliver(update["update_id"]) == 200
        assert len(received) == 4 and len(emulator.webhook_attempts) == 4
    finally:
        await runner.cleanup()


# -- python-telegram-bot ----------------------------------------------------------------------


async def test_ptb_polling_keyboard_and_callback(
    emulator: TelegramAPIEmulator, ptb: telegram.Bot
) -> None:
    assert ptb.username == "switchboard_test_bot"
    asyncio.get_running_loop().call_later(0.2, emulator.command, USER, "start", "ref42")
    (update,) = await ptb.get_updates(timeout=5)
    assert update.message is not None and update.message.text == "/start ref42"
    assert update.message.entities[0].type == "bot_command"
    assert await ptb.get_updates(offset=update.update_id + 1, timeout=0) == ()

    keyboard = telegram.InlineKeyboardMarkup(
        [[telegram.InlineKeyboardButton("Yes", callback_data="confirm:yes")]]
    )
    sent = await ptb.send_message(USER, "Confirm?", reply_markup=keyboard)
    assert sent.reply_markup == keyboard
    record = emulator.messages_to(USER)[0]
    assert record.params["chat_id"] == str(USER)  # PTB also sends form fields
    emulator.callback_query(USER, "confirm:yes", sent.message_id)
    (pressed,) = await ptb.get_updates(offset=update.update_id + 1)
    assert pressed.callback_query is not None and pressed.callback_query.data == "confirm:yes"
    assert await pressed.callback_query.answer("Done")
    assert emulator.callback_answers[0].callback_query_id == pressed.callback_query.id


async def test_ptb_errors(emulator: TelegramAPIEmulator, ptb: telegram.Bot) -> None:
    async with ptb_bot(emulator) as other:
        older = asyncio.create_task(ptb.get_updates(timeout=5))
        await emulator.wait_for_poller()
        newer = asyncio.create_task(other.get_updates(timeout=1))
        with pytest.raises(telegram.error.Conflict, match="terminated by other getUpdates"):
            await older
        await emulator.wait_for_poller()
        emulator.customer_text(USER, "x")
        assert len(await newer) == 1

    emulator.throttle("sendMessage", retry_after=2)
    with pytest.raises(telegram.error.RetryAfter) as retry:
        await ptb.send_message(USER, "hi")
    assert retry.value.retry_after.total_seconds() == 2  # type: ignore[union-attr]
    with pytest.raises(telegram.error.BadRequest, match="Message text is empty"):
        await ptb.send_message(USER, "")
    with pytest.raises(telegram.error.InvalidToken, match="rejected by the server"):
        async with ptb_bot(emulator, token=fake_token(42)):
            pass

    status, body = await _call(emulator, "setWebhook", json={"url": "https://bot.example/tg"})
    assert (status, body["result"]) == (200, True)
    with pytest.raises(telegram.error.Conflict, match="webhook is active"):
        await ptb.get_updates()
    assert emulator.requests[-1].description == CONFLICT_WEBHOOK_ACTIVE


# -- update shapes and rates -----------------------------------------------------------------


async def test_update_shapes_parse_in_both_libraries(
    emulator: TelegramAPIEmulator, ptb: telegram.Bot
) -> None:
    emulator.add_group(GROUP, "Support team")
    posted = await _call(emulator, "sendMessage", json={"chat_id": GROUP, "text": "New lead"})
    bot_message_id = posted[1]["result"]["message_id"]
    first = emulator.customer_text(USER, "hello", first_name="Ann")
    updates = [
        first,
        emulator.contact_share(USER, "447700900123"),
        emulator.photo(USER, caption="receipt"),
        emulator.document(USER, "cv.pdf"),
        emulator.edited_text(USER, first["message"]["message_id"], "hello!"),
        emulator.group_text(GROUP, 777, "on it", reply_to_message_id=bot_message_id),
        emulator.command(777, "claim", mention_bot=True, chat_id=GROUP),
    ]
    ids = [u["update_id"] for u in updates]
    assert ids == sorted(ids) and len(set(ids)) == len(ids)
    parsed = [Update.model_validate(u) for u in updates]
    ptb_parsed = [telegram.Update.de_json(u, ptb) for u in updates]

    contact = parsed[1].message.contact  # type: ignore[union-attr]
    assert contact is not None and contact.user_id == USER
    photo = parsed[2].message.photo  # type: ignore[union-attr]
    assert photo is not None and len(photo) == 3 and photo[-1].width == 1280
    assert ptb_parsed[3].message.document.file_name == "cv.pdf"  # type: ignore[union-attr]
    assert parsed[4].edited_message is not None and parsed[4].edited_message.text == "hello!"
    group_message = ptb_parsed[5].effective_message
    assert group_message is not None and group_message.chat.type == "supergroup"
    assert group_message.chat.title == "Support team"
    assert group_message.reply_to_message is not None
    assert group_message.reply_to_message.from_user.id == ptb.id  # type: ignore[union-attr]
    assert updates[6]["message"]["text"] == "/claim@switchboard_test_bot"

    chat = await ptb.get_chat(GROUP)
    assert chat.title == "Support team"
    with pytest.raises(telegram.error.BadRequest, match="Chat not found"):
        await ptb.get_chat(-42)
    assert await ptb.send_chat_action(USER, "typing")
    assert emulator.chat_actions == [(USER, "typing")]


async def test_rates_are_recorded_and_optionally_enforced() -> None:
    limits = RateLimits(per_chat_per_second=1, per_group_per_minute=2, global_per_second=30)
    async with TelegramAPIEmulator(fake_token(), enforce_limits=True, limits=limits) as emulator:
        async with aiogram_bot(emulator) as bot:
            await bot.send_message(USER, "one")
            with pytest.raises(TelegramRetryAfter) as retry:
                await bot.send_message(USER, "two")
            assert retry.value.retry_after == 1
            for chat in (USER + 1, USER + 2, GROUP):
                await bot.send_message(chat, "fan")
            emulator.enforce_limits = False
            await bot.send_message(GROUP, "burst")
            await bot.send_message(GROUP, "burst")
        assert emulator.max_global_per_second() == 6
        assert emulator.max_per_chat_per_second() == 3
        assert emulator.max_per_group_per_minute() == 3
        assert emulator.max_rate(1.0, USER) == 1


def test_html_error_matches_telegram_wording() -> None:
    assert html_error("<b>bold</b> &amp; <a href='x'>link</a>") is None
    assert html_error("1 < 2") == 'Unsupported start tag "" at byte offset 2'
    assert html_error("<b>open") == 'Can\'t find end tag corresponding to start tag "b"'
    assert html_error("x</i>") == "Unexpected end tag at byte offset 1"
