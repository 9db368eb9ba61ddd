"""One contract suite for both Telegram clients (aiogram 3 and python-telegram-bot), each test
against a fresh Bot API emulator, so both frameworks are held to the same wire behaviour."""

from __future__ import annotations

import asyncio
import logging
import secrets
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import replace
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from adapters.telegram import AiogramClient
from adapters.telegram_common import (
    TelegramClient,
    TelegramConflictError,
    TelegramError,
    inbound_from_update,
    message_ref,
)
from adapters.telegram_ptb import PTBClient
from bot.model import ContactCard, ContactPhone, Identity, Inbound, Location, Media
from tests.botprocess import free_port
from tests.emulators.telegram_api import SECRET_HEADER, TelegramAPIEmulator, fake_token

CLIENTS: dict[str, Callable[[str, str], TelegramClient]] = {
    "aiogram": AiogramClient,
    "ptb": PTBClient,
}
MakeClient = Callable[..., Awaitable[TelegramClient]]
CUSTOMER = 4242
TEAM_CHAT = -1001234567890


@pytest.fixture
async def emulator() -> AsyncIterator[TelegramAPIEmulator]:
    emulator = TelegramAPIEmulator(fake_token())
    await emulator.start()
    yield emulator
    await emulator.stop()


@pytest.fixture(params=sorted(CLIENTS))
def framework(request: pytest.FixtureRequest) -> str:
    """Every test that uses a client runs once per framework."""
    return str(request.param)


@pytest.fixture
async def make_client(framework: str, emulator: TelegramAPIEmulator) -> AsyncIterator[MakeClient]:
    """Started clients of the test's framework; all are closed after the test."""
    clients: list[TelegramClient] = []

    async def make(token: str = "", api_base: str = "") -> TelegramClient:
        client = CLIENTS[framework](token or emulator.token, api_base or emulator.base_url)
        clients.append(client)
        await client.start()
        return client

    yield make
    for client in clients:
        await client.close()


@pytest.fixture
async def client(make_client: MakeClient) -> TelegramClient:
    return await make_client()


async def receive(client: TelegramClient, emulator: TelegramAPIEmulator) -> list[Inbound]:
    """Poll what the emulator queued; the JSON must be the Bot API's own, key for key."""
    updates = await client.get_updates(offset=0, timeout=2)
    assert updates == emulator.injected[-len(updates) :]
    inbound = [item for update in updates for item in inbound_from_update(update, client.bot_id)]
    # The same values as the raw wire JSON gives, so the same for both frameworks.
    raw = emulator.injected[-len(updates) :]
    assert undated(inbound) == undated(
        [item for update in raw for item in inbound_from_update(update, client.bot_id)]
    )
    return inbound


def undated(items: list[Inbound]) -> list[Inbound]:
    """``items``, their button presses without the time they were read (a press carries no
    date of its own)."""
    return [replace(item, timestamp=0.0) if item.kind == "button" else item for item in items]


def requests_of(emulator: TelegramAPIEmulator, method: str) -> int:
    return sum(request.api_method == method for request in emulator.requests)


def connections_to(base_url: str) -> int:
    """This machine's established TCP connections to the emulator, as Linux lists them."""
    port = f"{int(base_url.rsplit(':', 1)[1]):04X}"
    with open("/proc/net/tcp") as table:
        rows = [line.split() for line in table.readlines()[1:]]
    return sum(row[2].endswith(f":{port}") and row[3] == "01" for row in rows)


# -- lifecycle ---------------------------------------------------------------------------------


@pytest.mark.skipif(sys.platform != "linux", reason="reads /proc/net/tcp")
async def test_one_session_from_start_to_close_and_no_get_me(
    client: TelegramClient, emulator: TelegramAPIEmulator
) -> None:
    for n in range(3):
        assert await client.get_updates(offset=0, timeout=0) == []
        await client.send_text(str(CUSTOMER), f"message {n}")
    # Every call went over one kept-alive connection of one pool, and none asked getMe.
    assert len({call.peer for call in emulator.get_updates_calls}) == 1
    assert connections_to(emulator.base_url) == 1
    assert requests_of(emulator, "getMe") == 0
    assert client.bot_id == emulator.token.split(":")[0]
    await client.close()
    # httpx, unlike aiohttp, does not warn about a client left open: check the socket closed.
    assert connections_to(emulator.base_url) == 0
    await client.close()  # closing twice is harmless
    with pytest.raises(TelegramError, match="not started"):
        await client.send_text(str(CUSTOMER), "after close")
    await client.start()  # and a closed client starts again (the fixture closes it)
    await client.send_text(str(CUSTOMER), "after restart")
    assert len(emulator.sent) == 4


async def test_the_username_is_asked_once_and_only_when_wanted(
    client: TelegramClient, emulator: TelegramAPIEmulator
) -> None:
    assert requests_of(emulator, "getMe") == 0
    assert await client.username() == emulator.bot_user["username"]
    assert await client.username() == emulator.bot_user["username"]
    assert requests_of(emulator, "getMe") == 1


async def test_long_poll_returns_an_injected_update_and_the_offset_confirms_it(
    client: TelegramClient, emulator: TelegramAPIEmulator
) -> None:
    poll = asyncio.create_task(client.get_updates(offset=0, timeout=5))
    call = await emulator.wait_for_poller()
    assert call.timeout == 5
    assert call.allowed_updates == ["message", "edited_message", "callback_query", "my_chat_member"]
    update = emulator.customer_text(CUSTOMER, "hello")
    assert await poll == [update]
    assert emulator.pending_updates == [update]  # not confirmed until the next offset
    assert await client.get_updates(offset=update["update_id"] + 1, timeout=0) == []
    assert emulator.pending_updates == []


async def test_a_send_is_not_held_up_by_a_parked_long_poll(
    client: TelegramClient, emulator: TelegramAPIEmulator
) -> None:
    poll = asyncio.create_task(client.get_updates(offset=0, timeout=5))
    await emulator.wait_for_poller()
    await asyncio.wait_for(client.send_text(str(CUSTOMER), "while polling"), timeout=2)
    update = emulator.customer_text(CUSTOMER, "and the poll still answers")
    assert await poll == [update]


# -- updates to Inbound values ------------------------------------------------------------------


async def test_text_message(client: TelegramClient, emulator: TelegramAPIEmulator) -> None:
    update = emulator.customer_text(CUSTOMER, "Hi, *what* are <b>your</b> hours?", first_name="Ann")
    message = update["message"]
    customer = Identity("tg", str(CUSTOMER))
    assert await receive(client, emulator) == [
        Inbound(
            channel="telegram",
            number=f"tg:{client.bot_id}",
            provider_id=message_ref(CUSTOMER, message["message_id"]),
            sender=customer,
            kind="text",
            timestamp=float(message["date"]),
            text="Hi, *what* are <b>your</b> hours?",
            name="Ann",
            identities=(customer,),
            chat=str(CUSTOMER),
        )
    ]


async def test_command(client: TelegramClient, emulator: TelegramAPIEmulator) -> None:
    emulator.command(CUSTOMER, "start", "ref-42")
    [inbound] = await receive(client, emulator)
    assert (inbound.kind, inbound.text) == ("text", "/start ref-42")


async def test_own_contact_gives_a_phone_identity(
    client: TelegramClient, emulator: TelegramAPIEmulator
) -> None:
    emulator.contact_share(CUSTOMER, "447700900123")
    [inbound] = await receive(client, emulator)
    assert inbound.kind == "contact"
    assert inbound.identities == (
        Identity("tg", str(CUSTOMER)),
        Identity("phone", "+447700900123"),
    )


async def test_someone_elses_contact_gives_no_phone_identity(
    client: TelegramClient, emulator: TelegramAPIEmulator
) -> None:
    emulator.contact_share(CUSTOMER, "+447700900999", first_name="Bob", contact_user_id=9999)
    [inbound] = await receive(client, emulator)
    assert inbound.kind == "contact"
    assert inbound.identities == (Identity("tg", str(CUSTOMER)),)


async def test_a_shared_contact_is_a_card(
    client: TelegramClient, emulator: TelegramAPIEmulator
) -> None:
    emulator.contact_share(
        CUSTOMER, "+447700900999", first_name="Bob", last_name="Ray", contact_user_id=9999
    )
    [inbound] = await receive(client, emulator)
    assert inbound.contacts == (ContactCard("Bob Ray", (ContactPhone("+447700900999"),)),)


async def test_a_location_and_a_venue_carry_their_place(
    client: TelegramClient, emulator: TelegramAPIEmulator
) -> None:
    emulator.location_share(CUSTOMER, 51.5014, -0.1419)
    emulator.location_share(CUSTOMER, 51.5, -0.12, title="The Palace", address="London")
    pin, venue = await receive(client, emulator)
    assert (pin.kind, pin.location) == ("location", Location(51.5014, -0.1419))
    assert venue.location == Location(51.5, -0.12, "The Palace", "London")


async def test_photo_is_its_largest_size(
    client: TelegramClient, emulator: TelegramAPIEmulator
) -> None:
    update = emulator.photo(CUSTOMER, caption="my receipt")
    [inbound] = await receive(client, emulator)
    largest = update["message"]["photo"][-1]["file_id"]
    assert inbound.kind == "image"
    assert inbound.media == Media(id=largest, caption="my receipt", ref=f"tg_{largest}")
    assert inbound.text == "my receipt"


async def test_document(client: TelegramClient, emulator: TelegramAPIEmulator) -> None:
    update = emulator.document(CUSTOMER, "invoice.pdf", "application/pdf")
    [inbound] = await receive(client, emulator)
    assert inbound.kind == "document"
    file_id = update["message"]["document"]["file_id"]
    assert inbound.media == Media(
        id=file_id, mime_type="application/pdf", filename="invoice.pdf", ref=f"tg_{file_id}"
    )


async def test_button_press_reads_its_label_from_the_keyboard_and_is_answered(
    client: TelegramClient, emulator: TelegramAPIEmulator
) -> None:
    sent = await client.send_text(str(CUSTOMER), "Which plan?", buttons=["Basic", "Pro"])
    emulator.callback_query(CUSTOMER, "b:1")
    [inbound] = await receive(client, emulator)
    assert (inbound.kind, inbound.text, inbound.payload) == ("button", "Pro", "b:1")
    assert inbound.reply_to == sent
    assert inbound.provider_id == f"cb:{inbound.callback}"
    await client.answer_callback(inbound.callback)
    [answer] = await emulator.wait_for_callback_answers(1)
    assert answer.callback_query_id == inbound.callback


async def test_edited_message_names_the_original(
    client: TelegramClient, emulator: TelegramAPIEmulator
) -> None:
    original = emulator.customer_text(CUSTOMER, "helo")
    message_id = original["message"]["message_id"]
    edit = emulator.edited_text(CUSTOMER, message_id, "hello")
    first, edited = await receive(client, emulator)
    assert edited.text == "hello"
    assert edited.edit_of == first.provider_id == message_ref(CUSTOMER, message_id)
    assert edited.provider_id == f"{message_ref(CUSTOMER, message_id)}:edit:{edit['update_id']}"
    assert edited.timestamp == float(edit["edited_message"]["edit_date"])


async def test_group_reply_to_a_bot_post(
    client: TelegramClient, emulator: TelegramAPIEmulator
) -> None:
    emulator.add_group(TEAM_CHAT, "Support team")
    post = await client.send_text(str(TEAM_CHAT), "New message from Ann: hello")
    post_id = int(post.split(":")[1])
    emulator.group_text(TEAM_CHAT, 77, "/reply Thanks, Ann!", reply_to_message_id=post_id)
    [inbound] = await receive(client, emulator)
    assert inbound.chat == str(TEAM_CHAT)
    assert inbound.sender == Identity("tg", "77")
    assert inbound.reply_to == post == f"{TEAM_CHAT}:{post_id}"


async def test_messages_from_bots_are_ignored(
    client: TelegramClient, emulator: TelegramAPIEmulator
) -> None:
    emulator.add_group(TEAM_CHAT)
    # add_user hands back the emulator's own record of the user: this one is another bot.
    emulator.add_user(5005, "Relay bot")["is_bot"] = True
    emulator.group_text(TEAM_CHAT, 5005, "beep")
    assert await receive(client, emulator) == []


async def test_both_frameworks_read_every_kind_of_update_alike(
    emulator: TelegramAPIEmulator,
) -> None:
    clients = [factory(emulator.token, emulator.base_url) for factory in CLIENTS.values()]
    for client in clients:
        await client.start()
    try:
        await clients[0].send_text(str(CUSTOMER), "Which plan?", buttons=["Basic", "Pro"])
        emulator.add_group(TEAM_CHAT)
        first = emulator.customer_text(CUSTOMER, "helo")
        emulator.command(CUSTOMER, "help")
        emulator.contact_share(CUSTOMER, "447700900123")
        emulator.contact_share(CUSTOMER, "447700900999", contact_user_id=9999)
        emulator.photo(CUSTOMER, caption="receipt")
        emulator.document(CUSTOMER)
        emulator.callback_query(CUSTOMER, "b:0")
        emulator.edited_text(CUSTOMER, first["message"]["message_id"], "hello")
        emulator.group_text(TEAM_CHAT, 77, "ok", reply_to_message_id=None)
        # No update is confirmed (offset 0), so both clients read the same nine.
        aiogram, ptb = [await client.get_updates(offset=0, timeout=0) for client in clients]
        assert aiogram == ptb == emulator.injected
        bot_id = clients[0].bot_id
        assert [undated(inbound_from_update(update, bot_id)) for update in aiogram] == [
            undated(inbound_from_update(update, bot_id)) for update in ptb
        ]
    finally:
        for client in clients:
            await client.close()


# -- sending -----------------------------------------------------------------------------------


async def test_text_is_sent_verbatim_without_parse_mode(
    client: TelegramClient, emulator: TelegramAPIEmulator
) -> None:
    text = "*bold* _it_ `code` [link](http://x.test) <b>tag</b> </i> & &amp; \\ 🙂"
    provider_id = await client.send_text(str(CUSTOMER), text)
    [sent] = emulator.sent
    assert sent.text == text
    assert sent.parse_mode is None and "parse_mode" not in sent.params
    assert sent.reply_markup is None
    assert provider_id == message_ref(CUSTOMER, sent.message_id)


async def test_buttons_are_an_inline_keyboard_one_per_row(
    client: TelegramClient, emulator: TelegramAPIEmulator
) -> None:
    await client.send_text(str(CUSTOMER), "Pick one", buttons=["Yes", "No", "Talk to <a> human"])
    [sent] = emulator.sent
    assert sent.reply_markup == {
        "inline_keyboard": [
            [{"text": "Yes", "callback_data": "b:0"}],
            [{"text": "No", "callback_data": "b:1"}],
            [{"text": "Talk to <a> human", "callback_data": "b:2"}],
        ]
    }


async def test_reply_to_answers_the_named_message(
    client: TelegramClient, emulator: TelegramAPIEmulator
) -> None:
    emulator.customer_text(CUSTOMER, "Is my order shipped?")
    [inbound] = await receive(client, emulator)
    await client.send_text(str(CUSTOMER), "Yes, today.", reply_to=inbound.provider_id)
    [sent] = emulator.sent
    assert message_ref(sent.chat_id, sent.reply_to_message_id) == inbound.provider_id


# -- errors ------------------------------------------------------------------------------------


async def test_a_second_poller_gets_the_first_a_conflict(
    client: TelegramClient, emulator: TelegramAPIEmulator, make_client: MakeClient
) -> None:
    first = asyncio.create_task(client.get_updates(offset=0, timeout=5))
    await emulator.wait_for_poller()
    rival = await make_client()
    second = asyncio.create_task(rival.get_updates(offset=0, timeout=5))
    with pytest.raises(TelegramConflictError, match="terminated by other getUpdates"):
        await first
    update = emulator.customer_text(CUSTOMER, "still served, by the newest poller")
    assert await second == [update]


async def test_429_is_retryable_with_retry_after(
    client: TelegramClient, emulator: TelegramAPIEmulator
) -> None:
    emulator.throttle("sendMessage", retry_after=7)
    with pytest.raises(TelegramError) as caught:
        await client.send_text(str(CUSTOMER), "too fast")
    assert caught.value.retryable
    assert caught.value.retry_after == 7.0
    assert not isinstance(caught.value, TelegramConflictError)
    await client.send_text(str(CUSTOMER), "later")  # the throttle was for one call
    assert [sent.text for sent in emulator.sent] == ["later"]


async def test_400_is_not_retryable(client: TelegramClient, emulator: TelegramAPIEmulator) -> None:
    with pytest.raises(TelegramError, match=r"(?i)message text is empty") as caught:
        await client.send_text(str(CUSTOMER), "")
    assert not caught.value.retryable
    assert caught.value.retry_after is None


async def test_401_is_not_retryable_and_never_shows_the_token(
    emulator: TelegramAPIEmulator, make_client: MakeClient
) -> None:
    wrong = fake_token()
    client = await make_client(token=wrong)
    with pytest.raises(TelegramError, match="Unauthorized") as caught:
        await client.send_text(str(CUSTOMER), "hello")
    assert not caught.value.retryable
    assert_token_absent(caught.value, wrong)


async def test_an_unreachable_api_is_retryable_and_never_shows_the_token(
    emulator: TelegramAPIEmulator, make_client: MakeClient
) -> None:
    client = await make_client(api_base=f"http://127.0.0.1:{free_port()}")
    with pytest.raises(TelegramError) as caught:
        await client.send_text(str(CUSTOMER), "hello")
    assert caught.value.retryable
    assert_token_absent(caught.value, emulator.token)


async def test_logs_never_show_the_token(
    emulator: TelegramAPIEmulator, make_client: MakeClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    client = await make_client()
    emulator.customer_text(CUSTOMER, "hi")
    await client.get_updates(offset=0, timeout=1)
    await client.send_text(str(CUSTOMER), "hello")
    wrong = fake_token()
    with pytest.raises(TelegramError):
        await (await make_client(token=wrong)).send_text(str(CUSTOMER), "hello")
    await client.close()
    logged = "\n".join(record.getMessage() for record in caplog.records)
    for token in (emulator.token, wrong):
        assert token.split(":")[1] not in logged


def assert_token_absent(error: BaseException, token: str) -> None:
    secret = token.split(":")[1]
    assert secret not in str(error) and secret not in repr(error)
    # Nothing chained either: a framework's exception may hold the URL, token included.
    assert error.__cause__ is None and error.__context__ is None


# -- webhook -----------------------------------------------------------------------------------


async def test_webhook_set_with_secret_delivers_and_delete_restores_polling(
    client: TelegramClient, emulator: TelegramAPIEmulator
) -> None:
    received: list[tuple[str | None, Any]] = []

    async def webhook(request: web.Request) -> web.Response:
        received.append((request.headers.get(SECRET_HEADER), await request.json()))
        return web.Response()

    app = web.Application()
    app.router.add_post("/webhooks/telegram", webhook)
    receiver = TestServer(app)
    await receiver.start_server()
    try:
        url, secret = str(receiver.make_url("/webhooks/telegram")), secrets.token_urlsafe(24)
        await client.set_webhook(url, secret)
        assert (emulator.webhook_url, emulator.webhook_secret) == (url, secret)
        with pytest.raises(TelegramConflictError, match="webhook is active"):
            await client.get_updates(offset=0, timeout=0)
        update = emulator.customer_text(CUSTOMER, "via the webhook")
        [attempt] = await emulator.wait_for_webhook_attempts(1)
        assert attempt.status == 200
        [(header, body)] = received
        assert header == secret
        assert client.validate(body) == update
        [inbound] = inbound_from_update(client.validate(body), client.bot_id)
        assert inbound.text == "via the webhook"

        await client.delete_webhook()
        assert emulator.webhook_url == ""
        assert await client.get_updates(offset=0, timeout=0) == []  # the webhook took it
    finally:
        await receiver.close()


GARBAGE: list[Any] = [
    "not an update",
    [1, 2, 3],
    {},
    {"update_id": "seven"},
    {"update_id": 1, "message": "hello"},
    {"update_id": 1, "message": {"text": "no ids, no chat, no date"}},
    {"update_id": 1, "my_chat_member": "kicked"},
    {"update_id": 1, "my_chat_member": {"chat": {"id": 5}, "from": {"id": 5}, "date": 1}},
    {
        "update_id": 1,
        "my_chat_member": {
            "chat": {"id": 5, "type": "private"},
            "from": {"id": 5},
            "date": 1,
            "new_chat_member": {"status": ["kicked"]},
        },
    },
]


@pytest.mark.parametrize("garbage", GARBAGE, ids=range(len(GARBAGE)))
async def test_validate_rejects_what_is_not_an_update(client: TelegramClient, garbage: Any) -> None:
    with pytest.raises(ValueError, match="not a Telegram update"):
        client.validate(garbage)
