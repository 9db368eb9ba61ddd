"""``GET /v1/events?after=%00`` (or any text that no event id can be: spaces, quotes, a
NUL) answered 410 "no event … within the retention window", echoing the text back, as if
an event had been there and gone. It is a 400 saying what an event id is; an id of the
right shape that is not kept is still the 410 to read again from the oldest."""

from __future__ import annotations

from urllib.parse import quote

import pytest

from tests.conftest import BotFactory
from tests.test_api import call, shared_number


@pytest.mark.parametrize("after", ["\x00", "evt 1", "evt_1'--", "<evt>", "evt_\u00e9"])
async def test_an_after_of_no_event_ids_shape_is_a_400(make_bot: BotFactory, after: str) -> None:
    shared = await shared_number(make_bot)
    token = shared.tokens["support"]
    answer = await call(shared.bot, token, "GET", f"/v1/events?after={quote(after)}")
    assert answer.status == 400, answer.raw
    assert b"event id" in answer.raw
    gone = await call(shared.bot, token, "GET", "/v1/events?after=evt_00000000000000000000")
    assert gone.status == 410, gone.raw
