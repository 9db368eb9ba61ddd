"""One client, with no credential but the visitor cookie anyone gets, could take the bot
down through its web chat: sockets held open until the process had no file left to open
(its webhooks then failed on every channel), 250 messages a second from one socket (each
kept and posted to every service), and files of 10 MB as fast as it could send them (20
grew Redis by 240 MiB). A visitor's messages and files now have a pace (20 and 10 at
once, then one a second and one every 10 s), a visitor holds 16 sockets at most, and the
sockets of a process take three quarters of its open files at most."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterator
from typing import Any

import aiohttp
import pytest

from adapters import webchat
from tests.botprocess import BotProcess
from tests.conftest import BotFactory
from tests.test_webchat import open_chat


async def test_a_visitor_sending_too_fast_is_told_and_nothing_more_is_kept(
    make_bot: BotFactory,
) -> None:
    bot = await make_bot(whatsapp=False)
    socket, _ = await open_chat(bot)
    for n in range(30):
        await socket.send_json({"type": "message", "id": f"m{n}", "text": f"flood {n}"})
    acked, refused = set(), set()
    while len(acked) + len(refused) < 30:
        frame = await socket.receive_json(timeout=10)
        if frame["type"] == "ack":
            acked.add(frame["id"])
        elif frame["type"] == "error":
            assert frame["error"] == webchat.TOO_FAST
            refused.add(frame["id"])
    assert len(acked) == webchat.MESSAGE_BURST and refused == {f"m{n}" for n in range(20, 30)}
    await socket.close()
    await bot.sinks["support"].wait_for_count(webchat.MESSAGE_BURST, "message.inbound")
    await bot.settle()  # the refused were never taken: only the 20 are told
    told = bot.sinks["support"].events("message.inbound")
    assert sorted(e["data"]["message"]["text"] for e in told) == sorted(
        f"flood {n}" for n in range(20)
    )


async def test_a_visitor_sending_files_too_fast_is_refused(make_bot: BotFactory) -> None:
    bot = await make_bot(whatsapp=False)
    socket, _ = await open_chat(bot)
    answers = []
    for n in range(webchat.FILE_BURST + 2):
        answer = await bot.client.post(
            f"/webchat/files?id=f{n}&filename=note.txt",
            data=b"hello",
            headers={"Content-Type": "text/plain"},
        )
        answers.append(answer.status)
    await socket.close()
    assert answers[: webchat.FILE_BURST] == [201] * webchat.FILE_BURST
    assert answers[webchat.FILE_BURST :] == [429, 429]


async def test_a_visitor_holds_sixteen_sockets_at_most(make_bot: BotFactory) -> None:
    bot = await make_bot(whatsapp=False)
    sockets = [(await open_chat(bot))[0] for _ in range(webchat.TABS_PER_VISITOR)]
    with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
        await bot.client.ws_connect("/webchat/socket")
    assert refused.value.status == 429
    await sockets.pop().close()
    again = await bot.client.ws_connect("/webchat/socket")  # one closed: room for one
    for socket in [*sockets, again]:
        await socket.close()


@pytest.fixture
def few_files() -> Iterator[BotProcess]:
    with BotProcess(open_files=256) as process:
        yield process


async def test_sockets_leave_the_process_files_for_its_webhooks(few_files: BotProcess) -> None:
    held: list[Any] = []
    statuses: list[int] = []
    async with contextlib.AsyncExitStack() as stack:
        for _ in range(20):  # visitors, 16 tabs each: past 192 sockets (3/4 of 256)
            session = await stack.enter_async_context(
                aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))
            )
            async with session.get(few_files.url + "/") as page:
                assert page.status == 200
            for _ in range(webchat.TABS_PER_VISITOR):
                try:
                    held.append(await session.ws_connect(few_files.url + "/webchat/socket"))
                    statuses.append(101)
                except aiohttp.WSServerHandshakeError as refused:
                    statuses.append(refused.status)
        assert 503 in statuses and statuses.count(101) <= 192
        async with aiohttp.ClientSession() as other:  # the process still answers the rest
            async with other.get(few_files.url + "/healthz") as health:
                assert health.status == 200
        await asyncio.gather(*(socket.close() for socket in held))
