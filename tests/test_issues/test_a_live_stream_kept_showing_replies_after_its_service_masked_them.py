"""A live view's event stream showed other services' replies after its service masked them.

As a service saw it: support had masking off when an agent opened a customer's live view;
the operator turned support's masking on (as its webhooks and ``GET /v1/events`` then
did at once); the open page's stream went on carrying sales's replies whole, for as
long as its token lasted (an hour by default).

What must hold: the stream masks each event for the service as it is now.
"""

from __future__ import annotations

import json

from tests.conftest import BotFactory
from tests.test_api import shared_number
from tests.test_api_live import SECRET, live_token, read_events


async def test_the_stream_masks_as_the_service_masks_now(make_bot: BotFactory) -> None:
    shared = await shared_number(make_bot)
    actions = shared.bot.runtime.actions
    support = await shared.bot.runtime.services.get("support")
    assert support is not None
    await actions.define("support", support.url, support.secret, mask=False)
    token = await live_token(shared)
    async with shared.bot.client.get("/live/api/stream", params={"token": token}) as stream:
        assert await read_events(stream, 1) == [("ready", "{}")]
        await actions.define("support", support.url, support.secret, mask=True)
        assert (await shared.reply("sales", SECRET, "bob")).status == 201
        while True:  # the first event of the reply
            ((_, data),) = await read_events(stream, 1)
            if json.loads(data)["type"] == "message.outbound":
                break
    assert SECRET not in data and json.loads(data)["data"]["masked"] is True
