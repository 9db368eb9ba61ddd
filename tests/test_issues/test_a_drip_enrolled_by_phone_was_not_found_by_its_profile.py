"""A customer enrolled by phone before they had a profile stayed enrolled under that
phone: once they wrote (and had a profile), their profile id and their conversation found
no enrolment, so a conversion posted for the profile did not stop the drip (they got the
next step) and ``DELETE`` by profile id was a 404. A profile finds what its identities
were enrolled as."""

from __future__ import annotations

from tests.conftest import BotFactory
from tests.test_api import say, shared_number
from tests.test_notifications import NO_QUIET
from tests.test_sequences import drip, enrolment

NEW = "447911123430"


async def test_a_profile_finds_its_phones_enrolment(make_bot: BotFactory) -> None:
    shared = await shared_number(
        make_bot,
        notifications=NO_QUIET,
        sequences=drip({"workflow": "signup"}, stop_on=["workflow:order_placed"]),
    )
    signup = {"type": "signup", "number": shared.number, "phone": f"+{NEW}"}
    assert (await shared.call("support", "POST", "/v1/events", signup)).status == 202
    assert (await enrolment(shared, f"phone:+{NEW}"))["status"] == "active"
    await say(shared.bot, "hello, I signed up", wa_id=NEW)
    await shared.bot.settle()
    found = await shared.call("support", "GET", f"/v1/profiles/wa:{NEW}")
    profile = found.json["profile"]["id"]
    assert (await enrolment(shared, profile))["status"] == "active"
    conversation = shared.bot.conversation(NEW)
    assert (await enrolment(shared, conversation))["member"] == f"p:phone:+{NEW}"

    bought = {"type": "order_placed", "number": shared.number, "profile": profile}
    assert (await shared.call("support", "POST", "/v1/events", bought)).status == 202
    stopped = await enrolment(shared, profile)
    assert (stopped["status"], stopped["reason"]) == ("stopped", "converted"), stopped
