"""A request refused with 503 while Redis was out of reach said "retry later" and nothing
of when: no ``Retry-After`` (RFC 9110), which HTTP clients and the services' retry
libraries read. It says 5 seconds now."""

from __future__ import annotations

from bench.procs import Child
from tests.conftest import PHONE_NUMBER_ID, BotFactory
from tests.emulators import meta_webhooks as meta


async def test_an_outage_s_503_says_when_to_retry(
    make_bot: BotFactory, private_redis_server: Child
) -> None:
    server = private_redis_server
    bot = await make_bot(redis_url=server.url)
    server.stop()
    hook = meta.text_message(PHONE_NUMBER_ID, "447911007799", "hi")
    answer = await bot.post_whatsapp(hook)
    assert answer.status == 503
    assert answer.headers["Retry-After"] == "5"
    assert "retry later" in (await answer.json())["error"]
