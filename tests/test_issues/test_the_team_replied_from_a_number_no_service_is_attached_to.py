"""The team replied, and claimed, from a number no service was attached to any more.

As an operator saw it: every service was detached from a number (``/readyz`` said
``idle``, and README says nobody answers then); ``admin reply c_… "…"`` and the team
chat's ``/reply`` still sent the customer an SMS, and ``/claim`` told a claim to
nobody. The team's ``/notify`` on that number was set aside ("no service is attached"),
as SN-8 says: the runtime stops serving a number when its last service detaches.

What must hold: a reply or a claim on such a number is refused with the reason, nothing
is sent; once a service is attached again, the team's reply goes.
"""

from __future__ import annotations

from tests.conftest import BotFactory
from tests.test_team_commands import AGENT, team


async def test_a_number_with_no_service_is_not_served(make_bot: BotFactory) -> None:
    t = await team(make_bot)
    actions = t.shared.bot.runtime.actions
    number = t.shared.number
    attached = await actions.services.order(number)
    for service in attached:
        await actions.detach(number, service)
    sent = len(t.sent())

    answer = await t.run(AGENT, f"/reply {t.cid} Are you still there?")
    assert f"no service is attached to {number}" in answer
    answer = await t.run(AGENT, f"/claim {t.cid}")
    assert "Not claimed" in answer and "no service is attached" in answer
    await t.shared.bot.settle()
    assert len(t.sent()) == sent

    await actions.attach(number, attached[0])
    answer = await t.run(AGENT, f"/reply {t.cid} Are you still there?")
    assert "no service" not in answer
    await t.shared.graph.wait_for_sent(sent + 1)
    assert t.sent()[-1] == "Are you still there?"
