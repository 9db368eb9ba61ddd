"""``admin reply`` (and every ``admin`` command that queues work) put the conversation's
work on the shard its own SWITCHBOARD_SHARDS named: from a shell without the bot's
setting (8 by default, the bot on 4), the reply was answered "Sent to ..." and queued on
a shard no process works, and it never went. The command works with the shard count of
the processes running on the store."""

from __future__ import annotations

from tests.conftest import BotFactory
from tests.emulators import meta_webhooks as meta
from tests.test_sending import QUIET, admin_send

WA_ID = "447700900100"


async def test_an_admin_reply_goes_whatever_the_shell_s_shard_count(
    make_bot: BotFactory,
) -> None:
    bot = await make_bot(automation=QUIET)  # 4 shards
    await bot.post_whatsapp(meta.text_message(bot.phone_number_id, WA_ID, "hi"))
    await bot.settle()
    cid = bot.conversation(WA_ID)
    assert int(cid[2:10], 16) % 8 >= 4  # on 8 shards, one that 4 do not have
    code, _, err = await admin_send(bot, cid, "From the desk", SWITCHBOARD_SHARDS="8")
    assert code == 0, err
    assert bot.graph is not None
    (sent,) = await bot.graph.wait_for_sent(1)
    assert sent.text == "From the desk"
