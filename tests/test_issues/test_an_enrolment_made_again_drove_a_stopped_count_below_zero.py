"""An enrolment made again drove a sequence's stopped count below zero.

As a service saw it: a phone enrolled in a drip (before it had a profile), the
enrolment stopped by hand (``manual`` 1); the customer wrote on WhatsApp, so their
profile held their WhatsApp id and their phone; enrolled again with ``"again": true``,
the report said ``manual -1``: the two identities were one name, and the ended
enrolment was taken off its count twice.
"""

from __future__ import annotations

from tests.conftest import BotFactory
from tests.emulators import meta_webhooks as meta
from tests.test_api import shared_number
from tests.test_notifications import NO_QUIET
from tests.test_sequences import drip

PHONE = "447911123080"


async def test_the_counts_add_up(make_bot: BotFactory) -> None:
    shared = await shared_number(
        make_bot, notifications=NO_QUIET, sequences=drip({"workflow": "signup"})
    )
    enrolments = "/v1/sequences/welcome/enrolments"
    answer = await shared.call("support", "POST", enrolments, {"phone": f"+{PHONE}"})
    assert answer.status == 202, answer.raw
    answer = await shared.call("support", "DELETE", f"{enrolments}/phone:+{PHONE}")
    assert answer.status == 200, answer.raw
    await shared.bot.post_whatsapp(meta.text_message(shared.bot.phone_number_id, PHONE, "hi"))
    await shared.bot.settle()
    body = {"phone": f"+{PHONE}", "again": True}
    answer = await shared.call("support", "POST", enrolments, body)
    assert answer.status == 202 and answer.json["enrolled"] is True, answer.raw
    counts = (await shared.call("sales", "GET", "/v1/sequences/welcome")).json["sequence"][
        "enrolments"
    ]
    # Made again, the ended enrolment is no longer counted as stopped: once.
    assert counts["stopped"]["manual"] == 0 and counts["active"] == 1, counts
