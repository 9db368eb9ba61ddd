"""A free-form WhatsApp send taken while the customer's 24-hour window was open (a reply,
a campaign's text) still went when its turn came after the window had closed (waiting
for the number's rate): WhatsApp refuses it (131047), and the customer gets nothing.
The window is looked at again as the send is claimed: past it, the send fails before any
call, saying why (``outside_window`` in a campaign's report)."""

from __future__ import annotations

import time

from tests.conftest import PHONE_NUMBER_ID, BotFactory
from tests.emulators import meta_webhooks as meta
from tests.test_api import call

WA_ID = "447911000226"
DAY = 24 * 3600


async def test_a_send_whose_window_closed_in_the_queue_fails_before_the_call(
    make_bot: BotFactory,
) -> None:
    bot = await make_bot(whatsapp_rate=0.5)  # one send every 2 s
    # They wrote a day ago, less 5 s: the window is open 5 s more; the welcome goes first.
    wrote = meta.text_message(PHONE_NUMBER_ID, WA_ID, "hi", timestamp=int(time.time()) - DAY + 5)
    assert (await bot.post_whatsapp(wrote)).status == 200
    await bot.settle()
    assert bot.graph is not None
    before = len(bot.graph.sent)
    cid = bot.conversation(WA_ID)
    token = await bot.runtime.directory.define_token("support")
    for n in range(3):  # sent at 2, 4 and 6 s: the third after the window closed
        answer = await call(
            bot, token, "POST", f"/v1/conversations/{cid}/messages", {"text": f"r{n}"}
        )
        assert answer.status == 201, answer.raw
    await bot.settle(timeout=15)
    timeline = await bot.runtime.conversations.timeline(cid)
    last = timeline[-1]
    assert last["text"] == "r2" and last["status"] == "failed", last
    assert [m.text for m in bot.graph.sent[before:]] == ["r0", "r1"]
