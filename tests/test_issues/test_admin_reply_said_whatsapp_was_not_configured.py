"""``python bot.py admin reply CONVERSATION TEXT`` with only ``REDIS_URL`` (the store of
the running bot, as ``--help`` says) answered "Not sent: channel whatsapp is not
configured", though the running bot has it: the command checked the channels of its own
environment. It queues the reply, and the running bot sends it, whatever channels the
command's own environment names."""

from __future__ import annotations

import os

from tests.botprocess import run_command
from tests.conftest import BotFactory
from tests.test_admin_profiles import environment
from tests.test_api import WELCOME, wait_for_event
from tests.test_team_commands import by, team


async def test_the_running_bot_sends_an_admin_reply(make_bot: BotFactory, prefix: str) -> None:
    t = await team(make_bot)
    env = {k: v for k, v in environment(prefix).items() if not k.startswith("WHATSAPP_")}
    assert "WHATSAPP_ACCESS_TOKEN" not in env and os.environ is not env
    code, out, err = await run_command(env, "admin", "reply", t.cid, "Your order left today.")
    assert code == 0, (out, err)
    assert "not configured" not in out + err
    await t.shared.graph.wait_for_sent(2)
    assert t.sent() == [WELCOME, "Your order left today."]
    await wait_for_event(t.shared.bot.sinks["sales"], "message.outbound", by("team", "operator"))
