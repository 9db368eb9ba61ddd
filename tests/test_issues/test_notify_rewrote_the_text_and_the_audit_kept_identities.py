"""``/notify`` split its whole line like a shell: "Hi Dora, we're open today" was refused
for an unbalanced quote, and a text reached customers with its line breaks, spacing,
quotes and backslashes gone. Its text goes as typed now (one quoted whole still loses its
quotes). And the audit trail, which keeps no identity so that an erasure leaves nothing
of a person there, kept those ``/notify`` named (``profiles=tg:…``, ``/notify profile
+44…``) and the words after the first of a phone typed with spaces (``/profile +44 7700
900777``)."""

from __future__ import annotations

import re
import time

from handlers.commands import OPERATOR, Caller
from tests.conftest import BotFactory
from tests.test_notifications import Person, finished, seed, setup

AGENT = Caller("ann@example.com", "agent")
TEXT = 'Hi Dora, we\'re open today!\nLine two   spaced "quoted" C:\\temp'


async def test_the_text_goes_as_typed(make_bot: BotFactory) -> None:
    shared = await setup(make_bot)
    commands = shared.bot.runtime.commands
    (pid,) = await seed(
        shared.bot.runtime, shared.number, [Person("447911950001", wrote_at=time.time() - 60)]
    )
    answer = await commands.run(AGENT, f"/notify wa profiles={pid} {TEXT}")
    match = re.fullmatch(r"Sending (ntf_\w+) now\. /notify report \1 for its counts\.", answer)
    assert match, answer
    await finished(shared, match.group(1))
    assert [m.text for m in shared.graph.sent if m.to == "447911950001"] == [TEXT]
    quoted = await commands.run(AGENT, f'/notify wa profiles={pid} draft "As one"')
    assert quoted.startswith("Drafted ntf_"), quoted
    stop = await commands.run(AGENT, '/notify stop ntf_nope the price is "wrong"')
    assert "ntf_nope" in stop


async def test_the_audit_trail_keeps_no_identity(make_bot: BotFactory) -> None:
    shared = await setup(make_bot)
    runtime = shared.bot.runtime
    commands = runtime.commands
    await commands.run(AGENT, "/notify wa profiles=tg:5551001 draft Hello Cara")
    await commands.run(AGENT, "/notify profile +447700900888")
    await commands.run(OPERATOR, "/profile +44 7700 900777")
    await commands.run(AGENT, "/notify wa filter=email=ann@example.com draft Hi")
    trail = " | ".join(e["command"] + " " + e["outcome"] for e in await runtime.desk.audit_trail())
    for personal in ("5551001", "900888", "7700", "900777", "ann@example.com"):
        assert personal not in trail, trail
    assert "/notify profile <identity>" in trail
