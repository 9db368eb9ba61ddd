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
    # They wrote a day ago, less 5 s: the window is open 4 to 5 s more; the welcome goes first.
    wrote_at = int(time.time()) - DAY + 5
    closes = wrote_at + DAY
    wrote = meta.text_message(PHONE_NUMBER_ID, WA_ID, "hi", timestamp=wrote_at)
    assert (await bot.post_whatsapp(wrote)).status == 200
    await bot.settle()
    assert bot.graph is not None
    before = len(bot.graph.sent)
    cid = bot.conversation(WA_ID)
    token = await bot.runtime.directory.define_token("support")
    replies = [f"r{n}" for n in range(4)]  # their turns at 2, 4, 6 and 8 s at the soonest
    for text in replies:
        answer = await call(bot, token, "POST", f"/v1/conversations/{cid}/messages", {"text": text})
        assert answer.status == 201, answer.raw
    await bot.settle(timeout=20)
    went = bot.graph.sent[before:]
    # What went, went inside the window (a second for the claim's look and the call);
    # the rest failed without a call, the last of them surely past the window.
    assert all(m.received_at < closes + 1 for m in went), [(m.text, m.received_at) for m in went]
    timeline = await bot.runtime.conversations.timeline(cid)
    outcome = {m["text"]: m["status"] for m in timeline if m.get("text") in replies}
    sent_texts = [m.text for m in went]
    assert sent_texts == replies[: len(sent_texts)]
    assert all(outcome[text] == "failed" for text in replies[len(sent_texts) :]), outcome
    assert outcome["r3"] == "failed", outcome
