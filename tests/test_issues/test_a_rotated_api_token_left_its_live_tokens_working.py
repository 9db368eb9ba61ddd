"""``admin services token NAME`` gives a new API token and the old one stops working, but
the live view tokens made with the old one went on sending the customer replies for up to
an hour: a leaked API token kept acting through them after its rotation."""

from __future__ import annotations

import secrets

from tests.conftest import BotFactory
from tests.test_api import say, shared_number
from tests.test_api_live import live, live_token, read_events


async def test_rotating_an_api_token_ends_the_live_tokens_made_with_it(
    make_bot: BotFactory,
) -> None:
    shared = await shared_number(make_bot)
    before = await live_token(shared, "support")
    other = await live_token(shared, "sales")
    assert (await live(shared, before, "GET", "/state")).status == 200

    new = secrets.token_urlsafe(32)
    await shared.bot.runtime.services.set_token("support", new)
    shared.tokens["support"] = new

    assert (await live(shared, before, "GET", "/state")).status == 401
    path = f"/conversations/{shared.conversation}/messages"
    assert (await live(shared, before, "POST", path, {"text": "still works"})).status == 401
    assert "still works" not in shared.texts_sent()
    # Another service's live tokens, and those made with the new API token, work.
    assert (await live(shared, other, "GET", "/state")).status == 200
    after = await live_token(shared, "support")
    assert (await live(shared, after, "GET", "/state")).status == 200


async def test_rotating_an_api_token_ends_an_open_stream_at_its_next_event(
    make_bot: BotFactory,
) -> None:
    shared = await shared_number(make_bot)
    token = await live_token(shared, "support")
    async with shared.bot.client.get("/live/api/stream", params={"token": token}) as stream:
        assert await read_events(stream, 1) == [("ready", "{}")]
        await say(shared.bot, "first, before the rotation")
        ((kind, data),) = await read_events(stream, 1)
        assert kind == "message" and "first, before the rotation" in data
        await shared.bot.runtime.services.set_token("support", secrets.token_urlsafe(32))
        await say(shared.bot, "second, after it")
        assert await read_events(stream, 1) == [("expired", "{}")]
        assert await stream.content.read() == b""  # and the stream is over
