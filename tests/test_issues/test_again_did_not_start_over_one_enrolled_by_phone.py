"""``"again": true`` never started over a customer enrolled by phone before they had a
profile: the enrolment under the phone counted as "enrolled already under another name",
whatever ``again`` said, and the answer was ``"enrolled": false`` (by profile id with no
enrolment at all). The ended enrolment under the other name gives way to the new one
now."""

from __future__ import annotations

from tests.conftest import BotFactory
from tests.emulators import meta_webhooks as meta
from tests.test_api import shared_number
from tests.test_notifications import NO_QUIET
from tests.test_sequences import drip

PHONE = "+447911200005"
ENROLMENTS = "/v1/sequences/welcome/enrolments"


async def test_again_starts_over_one_enrolled_by_phone(make_bot: BotFactory) -> None:
    shared = await shared_number(
        make_bot, notifications=NO_QUIET, sequences=drip({"workflow": "signup"})
    )
    first = await shared.call("support", "POST", ENROLMENTS, {"phone": PHONE})
    assert first.status == 202 and first.json["enrolled"], first.raw
    said = meta.text_message(shared.bot.phone_number_id, PHONE[1:], "hi")
    assert (await shared.bot.post_whatsapp(said)).status == 200
    await shared.bot.settle()
    stopped = await shared.call("support", "DELETE", f"{ENROLMENTS}/{PHONE}")
    assert stopped.status == 200, stopped.raw
    again = await shared.call("support", "POST", ENROLMENTS, {"phone": PHONE, "again": True})
    assert again.status == 202 and again.json["enrolled"], again.raw
    assert again.json["enrolment"]["status"] == "active"
    twice = await shared.call("support", "POST", ENROLMENTS, {"phone": PHONE})
    assert twice.status == 202 and not twice.json["enrolled"], twice.raw
