"""A drip sequence's report showed its steps' words to the services that mask them.

As a masking service saw it: the parent's drip steps went out masked for it (webhooks,
timeline, each step's notification report), but ``GET /v1/sequences/{name}`` gave each
step's ``text`` and ``template``, the words of those very sends (SN-3). The report
leaves them out for such a service, with ``"masked": true``, as a campaign's does.
"""

from __future__ import annotations

from tests.conftest import BotFactory
from tests.test_api import WA_ID, shared_number
from tests.test_notifications import NO_QUIET, until
from tests.test_sequences import drip, sent_to


async def test_a_masking_service_reads_no_step_words(make_bot: BotFactory) -> None:
    shared = await shared_number(
        make_bot, notifications=NO_QUIET, sequences=drip({"first_contact": True})
    )
    await until(lambda: sent_to(shared, WA_ID, text="Welcome aboard"), what="day 0")
    theirs = (await shared.call("sales", "GET", "/v1/sequences/welcome")).json["sequence"]
    first = theirs["steps"][0]
    assert first["masked"] is True and first["service"] == "support"
    assert "Welcome aboard" not in str(theirs) and "drip_offer" not in str(theirs)
    own = (await shared.call("support", "GET", "/v1/sequences/welcome")).json["sequence"]
    assert own["steps"][0]["text"].startswith("Welcome aboard") and "masked" not in own["steps"][0]
