"""After ``/detach team wa:...``, ``/reply`` there was refused, but ``/enrol welcome
<customer>`` on that number's drip answered "Enrolled" and its steps reached the customer;
``/unenrol`` took them off, and ``/sequences`` still listed that number's sequences and
reported their enrolments. Each is refused there now (the listing leaves them out), as
``/notify`` is."""

from __future__ import annotations

from bot.team.chat import team_service
from tests.conftest import BotFactory
from tests.test_api import shared_number
from tests.test_notifications import NO_QUIET, until
from tests.test_sequences import AGENT, VIEWER, WA_ID, drip, sent_to


async def test_the_team_s_drips_are_refused_on_a_number_it_left(make_bot: BotFactory) -> None:
    shared = await shared_number(
        make_bot, notifications=NO_QUIET, sequences=drip({"workflow": "signup"})
    )
    runtime, number = shared.bot.runtime, shared.number
    run = runtime.commands.run
    await runtime.directory.define(team_service(), with_token=False)  # the team chat's
    await runtime.directory.store.attach(number, "team")
    assert (await run(AGENT, f"/enrol welcome wa:{WA_ID}")).startswith("Enrolled")
    await until(lambda: sent_to(shared, WA_ID, text="Welcome aboard"), what="day 0")
    assert (await run(AGENT, f"/unenrol welcome wa:{WA_ID}")).startswith("Took")

    await runtime.directory.store.detach(number, "team")
    refused = f"the team is not attached to {number}"
    assert refused in await run(AGENT, f"/reply {shared.conversation} hello")
    for line, start in (
        (f"/enrol welcome wa:{WA_ID} again", "Not enrolled: "),
        (f"/unenrol welcome wa:{WA_ID}", "Not taken off: "),
        ("/sequences welcome", "Not shown: "),
    ):
        answer = await run(AGENT, line)
        assert answer.startswith(start) and refused in answer, (line, answer)
    assert number not in await run(VIEWER, "/sequences")
    await shared.bot.settle()
    assert len(sent_to(shared, WA_ID, text="Welcome aboard")) == 1
    report = await shared.call("support", "GET", "/v1/sequences/welcome")
    assert report.json["sequence"]["enrolments"]["active"] == 0, report.raw

    await runtime.directory.store.attach(number, "team")
    assert (await run(AGENT, f"/enrol welcome wa:{WA_ID} again")).startswith("Enrolled")
    assert number in await run(VIEWER, "/sequences")
