"""A correctly signed WhatsApp webhook whose timestamp was "1e400", "NaN", the JSON number
1e400 or the literal NaN was answered 200, and its shard then failed on it forever
(OverflowError in the profile id code), holding back every later message of the shard.
Such input is refused with 400 at the edge, on every webhook and the API; the shard goes
on."""

from __future__ import annotations

import json
import time

from tests.conftest import AUTOMATION, PHONE_NUMBER_ID, BotFactory
from tests.emulators import meta_webhooks as meta


def with_timestamp(raw_timestamp: str, wa_id: str) -> bytes:
    """A text message whose timestamp is written into the JSON as given, unquoted."""
    payload = meta.text_message(PHONE_NUMBER_ID, wa_id, "hello", timestamp=0)
    body = json.dumps(payload)
    return body.replace('"timestamp": "0"', f'"timestamp": {raw_timestamp}').encode()


POISON = ['"1e400"', '"NaN"', '"inf"', "1e400", "NaN", "-Infinity", "Infinity", '"-1e309"']
FAR = [str(int(time.time()) + 400 * 86_400), '"1"', str(int(time.time()) - 90 * 86_400)]


async def test_non_finite_and_far_timestamps_get_400_and_the_shards_go_on(
    make_bot: BotFactory,
) -> None:
    bot = await make_bot()
    for n, raw in enumerate(POISON + FAR):
        body = with_timestamp(raw, f"4479110000{n:02d}")
        assert raw in body.decode()
        response = await bot.post_whatsapp(body)
        assert response.status == 400, (raw, await response.text())
        assert "error" in await response.json()
    assert bot.graph is not None
    customers = [f"4479220000{n:02d}" for n in range(24)]
    for wa_id in customers:
        ok = await bot.post_whatsapp(meta.text_message(PHONE_NUMBER_ID, wa_id, "hi"))
        assert ok.status == 200
    await bot.graph.wait_for_sent(len(customers))
    assert sorted(m.to for m in bot.graph.sent if m.text == AUTOMATION.welcome) == customers


async def test_the_api_refuses_non_finite_numbers_too(make_bot: BotFactory) -> None:
    bot = await make_bot()
    assert bot.graph is not None
    await bot.post_whatsapp(meta.text_message(PHONE_NUMBER_ID, "447911000999", "hi"))
    await bot.graph.wait_for_sent(1)
    token = await bot.runtime.directory.define_token("support")
    path = f"/v1/conversations/{bot.conversation('447911000999')}/claim"
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    for raw in (b'{"agent": NaN}', b'{"agent": "a", "x": 1e400}', b'{"agent": -Infinity}'):
        response = await bot.client.post(path, data=raw, headers=headers)
        assert response.status == 400, await response.text()
        assert "not JSON" in (await response.json())["error"]
    # 1e300 is a number JSON can hold: the body is read, and only the unknown field refused.
    fine = await bot.client.post(path, data=b'{"agent": "ann", "x": 1e300}', headers=headers)
    assert fine.status == 400 and "unknown field(s) x" in (await fine.json())["error"]
