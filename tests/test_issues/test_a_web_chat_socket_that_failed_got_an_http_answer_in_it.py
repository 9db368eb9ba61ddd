"""When taking a web chat frame failed in a way of ours (the store refusing a write, say),
the error middleware wrote its HTTP 503 answer into the socket, already upgraded: the
page read garbage ("frame with non-zero reserved bits") and the failure was logged as
the request's. The socket is now closed with 1011 (an internal error), which the page
answers by connecting again; once the store takes writes, the chat goes on."""

from __future__ import annotations

from aiohttp import WSCloseCode, WSMsgType
from redis.asyncio import Redis

from tests.conftest import AUTOMATION, BotFactory
from tests.test_webchat import next_message, open_chat


async def test_a_frame_the_store_refuses_closes_the_socket_with_1011(
    private_redis: str,  # first, so that the bot stops before its store does
    make_bot: BotFactory,
) -> None:
    bot = await make_bot(whatsapp=False, redis_url=private_redis)
    admin = Redis.from_url(private_redis, decode_responses=True)
    try:
        socket, _ = await open_chat(bot)
        await admin.config_set("maxmemory", "1")  # every write refused: OOM
        await socket.send_json({"type": "message", "id": "m1", "text": "hello?"})
        closing = await socket.receive(timeout=30)
        assert closing.type == WSMsgType.CLOSE, closing
        assert closing.data == WSCloseCode.INTERNAL_ERROR
        await admin.config_set("maxmemory", "0")
        again, _ = await open_chat(bot)
        await again.send_json({"type": "message", "id": "m2", "text": "hello again"})
        assert (await next_message(again))["text"] == AUTOMATION.welcome
        await again.close()
    finally:
        await admin.config_set("maxmemory", "0")
        await admin.aclose()
