"""A claim's ``agent`` took a newline, and ``/inbox`` printed what followed it as a
conversation line of its own; a customer's WhatsApp profile name with a newline did the
same in ``/profile``. An agent is now one line (400 otherwise, as for live-view tokens),
and what others wrote shows on one line in both."""

from __future__ import annotations

from bot.model import Identity
from handlers.commands import Caller
from tests.conftest import BotFactory
from tests.emulators import meta_webhooks as meta
from tests.test_api import call, shared_number

VIEWER = Caller("vic@example.com", "viewer")
FORGED = "x\nc_0000000000000000000 FAKE (wa:447700900099) - whatsapp"


async def test_an_agent_is_one_line(make_bot: BotFactory) -> None:
    shared = await shared_number(make_bot)
    token, path = shared.tokens["sales"], shared.path("claim")
    for agent in (FORGED, "ann\tlee", "ann\rlee"):
        answer = await call(shared.bot, token, "POST", path, {"agent": agent})
        assert answer.status == 400, answer.raw
    reply = await call(
        shared.bot, token, "POST", shared.path("messages"), {"text": "hi", "agent": FORGED}
    )
    assert reply.status == 400, reply.raw
    assert await shared.bot.runtime.claims.holder(shared.conversation) is None


async def test_the_inbox_and_a_profile_show_others_text_on_one_line(
    make_bot: BotFactory,
) -> None:
    shared = await shared_number(make_bot)
    runtime = shared.bot.runtime
    # A claim stored before agents were one line.
    await runtime.claims.claim(shared.conversation, "sales", FORGED, 3600)
    inbox = await runtime.commands.run(VIEWER, "/inbox")
    assert not any(line.startswith("c_0000000000000000000") for line in inbox.splitlines())

    payload = meta.text_message(
        shared.bot.phone_number_id, "447911000777", "hello", name="Eve\nc_fakeline Mallory"
    )
    assert (await shared.bot.post_whatsapp(payload)).status == 200
    await shared.bot.settle()
    profile = await runtime.profiles.lookup(Identity("wa", "447911000777"))
    shown = await runtime.commands.run(VIEWER, f"/profile {profile}")
    assert shown.splitlines()[0] == f"Eve c_fakeline Mallory - {profile}"
