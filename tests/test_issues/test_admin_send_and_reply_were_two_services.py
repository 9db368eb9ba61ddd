"""``admin send`` replied as the service ``cli`` and ``admin reply`` as ``team``: the same
action under two names. ``send`` is now ``reply`` under its old name: one service, the
same checks, the same answer."""

from __future__ import annotations

from tests.conftest import BotFactory
from tests.emulators import meta_webhooks as meta
from tests.test_sending import QUIET, WA_ID, admin_send


async def test_send_and_reply_are_one_action(make_bot: BotFactory) -> None:
    bot = await make_bot(automation=QUIET)
    await bot.post_whatsapp(meta.text_message(bot.phone_number_id, WA_ID, "hi"))
    await bot.settle()
    cid = bot.conversation(WA_ID)
    code, by_send, err = await admin_send(bot, cid, "From send")
    assert code == 0, err
    assert bot.graph is not None
    await bot.graph.wait_for_sent(1)
    timeline = await bot.runtime.conversations.timeline(cid)
    outbound = [m for m in timeline if m["direction"] == "outbound"]
    assert [(m["text"], m["service"], m["agent"]) for m in outbound] == [
        ("From send", "team", "ann@example.com")
    ]
    assert by_send.startswith(f"Sent to Ann (wa:{WA_ID}) ({cid}): snd_")
