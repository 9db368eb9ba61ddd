"""A WhatsApp send whose answer never came back (the connection closed after Meta took
it, or the answer came past the sender's 20 s) was retried as if it had never gone: the
customer got the message twice, and nothing said so. Meta's /messages has no idempotency
key, so such a send is now failed with the reason, as a send cut short by a crash is,
and never made again (REL-3). A call that never reached the provider (no connection) is
still retried."""

from __future__ import annotations

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from adapters.telegram_common import TelegramError
from tests.botprocess import free_port
from tests.conftest import BotFactory
from tests.emulators.telegram_api import fake_token
from tests.test_api import WELCOME, call, shared_number
from tests.test_telegram_channel import CLIENTS


async def test_a_reply_whose_answer_was_lost_goes_once_and_fails_with_the_reason(
    make_bot: BotFactory,
) -> None:
    shared = await shared_number(make_bot)
    await shared.bot.settle()
    shared.graph.drop_answer_next(1)
    token, path = shared.tokens["sales"], shared.path("messages")
    answer = await call(shared.bot, token, "POST", path, {"text": "Your order ships today"})
    assert answer.status == 201, answer.raw
    sink = shared.bot.sinks["support"]

    def failures() -> list[str]:
        return [
            str(event["data"]["error"])
            for event in sink.events("message.status")
            if event["data"]["status"] == "failed"
        ]

    await sink.wait_for(lambda _: bool(failures()))
    await shared.bot.settle()
    assert shared.texts_sent() == [WELCOME, "Your order ships today"]  # once
    [reason] = failures()
    assert "whether the message went out is unknown" in reason


async def telegram_send_failure(framework: str, api_base: str) -> TelegramError:
    """How a send to ``api_base`` through ``framework`` fails."""
    client = CLIENTS[framework](fake_token(), api_base)
    await client.start()
    try:
        with pytest.raises(TelegramError) as failed:
            await client.send_text("4242", "hello")
    finally:
        await client.close()
    return failed.value


@pytest.mark.parametrize("framework", sorted(CLIENTS))
async def test_a_telegram_send_that_may_have_gone_is_not_retried(framework: str) -> None:
    """The Bot API has no idempotency key either: a send whose connection closed before
    its answer is failed for good; one that found no server to connect to is retried."""

    async def take_and_hang_up(request: web.Request) -> web.StreamResponse:
        await request.read()
        assert request.transport is not None
        request.transport.close()  # Telegram took it; the answer is lost
        return web.Response()

    app = web.Application()
    app.router.add_post("/{path:.*}", take_and_hang_up)
    async with TestServer(app) as server:
        taken = await telegram_send_failure(framework, str(server.make_url("")).rstrip("/"))
    assert not taken.retryable
    assert "not sent again" in str(taken)
    unreachable = await telegram_send_failure(framework, f"http://127.0.0.1:{free_port()}")
    assert unreachable.retryable
