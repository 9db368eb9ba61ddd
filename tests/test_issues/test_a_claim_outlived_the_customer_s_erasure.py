"""An erasure left the conversation's claim in place: ``/inbox`` showed the erased
conversation held, and a new ``/claim`` (or the API's) answered "You hold it now" and
told every service, while a reply there was refused as erased. The erasure drops the
claim, and a claim on an erased conversation is refused (410 on the API)."""

from __future__ import annotations

import re

from tests.conftest import BotFactory
from tests.test_api import WA_ID, call
from tests.test_team_commands import ADMIN, AGENT, VIEWER, team


async def test_an_erasure_drops_the_claim_and_an_erased_conversation_is_not_claimed(
    make_bot: BotFactory,
) -> None:
    t = await team(make_bot)
    runtime = t.shared.bot.runtime
    assert (await t.run(AGENT, f"/claim {t.cid}")).startswith("You hold")
    question = await t.run(ADMIN, f"/forget wa:{WA_ID}")
    code = re.search(r"^/forget .+$", question, re.MULTILINE)
    assert code is not None
    await t.run(ADMIN, code.group(0))

    assert await runtime.claims.holder(t.cid) is None
    assert "held by" not in await t.run(VIEWER, "/inbox")
    assert await t.run(AGENT, f"/claim {t.cid}") == "Not claimed: the customer was erased."
    token = await runtime.directory.define_token("support")
    path = f"/v1/conversations/{t.cid}/claim"
    answer = await call(t.shared.bot, token, "POST", path, {"agent": "alice"})
    assert answer.status == 410
    assert await runtime.claims.holder(t.cid) is None
