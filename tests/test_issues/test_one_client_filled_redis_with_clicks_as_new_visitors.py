"""Each click on a tracked link without a visitor cookie made a new visitor, whose click
was kept a year under keys of its own: 500 clicks of ``curl`` on one link left 500
visitors in Redis, and nothing bounded how many a client could make (a link is in a
message anyone it is forwarded to can follow). The events that pages post were bounded
for the same reason; what clicks keep now counts against the same hourly bound
(``tracking.events_mb_per_hour``). Past it a click still goes where its link points,
and nothing of it is kept."""

from __future__ import annotations

from tests.conftest import BotFactory
from tests.test_tracking import click, customer, signer, visitor_keys

TARGET = "https://shop.example.com/offer"


async def test_fresh_visitors_cannot_click_past_the_hourly_bound(make_bot: BotFactory) -> None:
    bot = await make_bot(whatsapp=False, web_event_bytes_per_hour=4096)
    ann = await customer(bot, "+447700900123")
    link = (await signer(bot)).sign(ann, "snd_1", TARGET)
    for _ in range(40):
        response = await click(bot, "/l/" + link)  # no cookie: a new visitor each time
        assert response.status == 302
        assert response.headers["Location"] == TARGET
    clicked = [key for key in await visitor_keys(bot) if key.endswith(":clicks")]
    assert 0 < len(clicked) < 20, len(clicked)
