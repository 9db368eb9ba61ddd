"""A live view's event stream opened before its service was detached went on: it carried
the number's next customer message whole, then the profile's events for as long as its
token lasted (an hour by default), while every other live route answered 401 and the
service's webhooks had stopped. A detach ends what the stream shows at once, and a
service detached from every number sees its stream end."""

from __future__ import annotations

import asyncio

from tests.conftest import BotFactory
from tests.test_api import say, shared_number
from tests.test_api_live import live_token, read_events


async def test_the_stream_ends_when_its_service_is_detached(make_bot: BotFactory) -> None:
    shared = await shared_number(make_bot)
    token = await live_token(shared, "sales")
    async with shared.bot.client.get("/live/api/stream", params={"token": token}) as stream:
        assert await read_events(stream, 1) == [("ready", "{}")]
        actions = shared.bot.runtime.actions
        for number in await actions.numbers_of("sales"):  # the web chat's too
            await actions.detach(number, "sales")
        await say(shared.bot, "my card number is 4242 4242 4242 4242")
        rest = (await asyncio.wait_for(stream.content.read(), 10)).decode()
    assert "4242" not in rest, rest
