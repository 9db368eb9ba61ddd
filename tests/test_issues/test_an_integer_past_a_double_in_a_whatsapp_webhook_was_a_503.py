"""A correctly signed WhatsApp webhook whose timestamp, latitude or longitude was an
integer no float can hold (``10**400``, which JSON allows and the body parser reads as
an int) was answered 503, "retry later" (OverflowError), which Meta retries for days.
The body is refused with 400, as one holding ``1e400`` is (the parser takes no number
that overflows a double); read from a document all the same, the timestamp is refused
as any timestamp that is not a time and the place is read as no place (``unsupported``,
as for a latitude of 91); the next message goes through."""

from __future__ import annotations

import json

from adapters.whatsapp import parse_webhook
from bot.model import Inbound
from tests.conftest import AUTOMATION, PHONE_NUMBER_ID, BotFactory
from tests.emulators import meta_webhooks as meta

HUGE = "1" + "0" * 400


async def test_a_timestamp_past_a_double_gets_400_and_the_next_message_goes_on(
    make_bot: BotFactory,
) -> None:
    bot = await make_bot()
    assert bot.graph is not None
    for n, raw in enumerate((HUGE, f"-{HUGE}")):
        body = json.dumps(meta.text_message(PHONE_NUMBER_ID, f"44791400000{n}", "hi", timestamp=0))
        response = await bot.post_whatsapp(
            body.replace('"timestamp": "0"', f'"timestamp": {raw}').encode()
        )
        assert response.status == 400, await response.text()
        assert "overflows" in (await response.json())["error"]
        document = json.loads(body.replace('"timestamp": "0"', f'"timestamp": {raw}'))
        items, unread = parse_webhook(document, PHONE_NUMBER_ID)
        assert not items and "timestamp must be unix seconds" in unread[0]
    ok = await bot.post_whatsapp(meta.text_message(PHONE_NUMBER_ID, "447914000009", "hi"))
    assert ok.status == 200
    await bot.graph.wait_for_sent(1)
    assert [m.to for m in bot.graph.sent if m.text == AUTOMATION.welcome] == ["447914000009"]


async def test_a_place_past_a_double_is_no_place(make_bot: BotFactory) -> None:
    body = json.dumps(meta.location_message(PHONE_NUMBER_ID, "447914000100", 51.5, -0.1))
    for field in ("latitude", "longitude"):
        value = "51.5" if field == "latitude" else "-0.1"
        raw = body.replace(f'"{field}": {value}', f'"{field}": {HUGE}')
        assert HUGE in raw
        [parsed], _ = parse_webhook(json.loads(raw), PHONE_NUMBER_ID)
        assert isinstance(parsed, Inbound)
        assert (parsed.kind, parsed.location) == ("unsupported", None)
    bot = await make_bot()
    response = await bot.post_whatsapp(
        body.replace('"latitude": 51.5', f'"latitude": {HUGE}').encode()
    )
    assert response.status == 400, await response.text()
    assert "overflows" in (await response.json())["error"]
