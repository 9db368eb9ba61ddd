"""A reply the API took (4,024 characters, within 4,096) grew past 4,096 when its links
were rewritten as tracked links (to 4,150), and Telegram and WhatsApp refused it: the
customer got nothing. A reply whose tracked links would not fit goes with its links as
written; one that fits still gets them tracked."""

from __future__ import annotations

from tests.conftest import BotFactory
from tests.emulators import meta_webhooks as meta

URL = "https://shop.example.com/help"
ANN = "447700900601"


async def test_a_reply_too_long_for_tracked_links_keeps_them_as_written(
    make_bot: BotFactory,
) -> None:
    bot = await make_bot(links=True)
    graph = bot.graph
    assert graph is not None
    await bot.post_whatsapp(meta.text_message(bot.phone_number_id, ANN, "hi"))
    await graph.wait_for_sent(1)
    cid = bot.conversation(ANN)
    long = "x" * (4090 - len(URL)) + " " + URL
    await bot.runtime.actions.send(cid, long, service="support")
    short = f"See {URL}"
    await bot.runtime.actions.send(cid, short, service="support")
    sent = await graph.wait_for_sent(3)
    assert sent[1].text == long  # as written, within 4,096
    assert URL not in sent[2].text and bot.runtime.settings.public_url in sent[2].text
