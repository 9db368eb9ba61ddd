"""Meta's error code 4 ("API Too Many Calls", the app's rate limit, answered with a 400)
failed the send for good, where Meta's error reference says to wait and try again, as the
other throttling codes (130429, 131056, 80007) were already."""

from __future__ import annotations

from tests.conftest import BotFactory
from tests.emulators import meta_webhooks as meta

WA_ID = "447700900123"


async def test_code_4_is_tried_again_and_the_message_goes(make_bot: BotFactory) -> None:
    bot = await make_bot()
    assert bot.graph is not None
    bot.graph.fail_next(1, status=400, code=4, retry_after=0)
    await bot.post_whatsapp(meta.text_message(bot.phone_number_id, WA_ID, "hi"))
    (sent,) = await bot.graph.wait_for_sent(1, timeout=10)
    assert sent.text == "Welcome! How can we help?"
    assert len(bot.graph.requests) == 2
    await bot.sinks["support"].wait_for_count(1, type="message.outbound")
    assert not bot.sinks["support"].events("message.status")
