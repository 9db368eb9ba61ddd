"""Two profiles of one person merged: the survivor kept its own lawful basis and its own
unsubscribed topics, and the other's were dropped. A customer who withdrew consent and
left a topic on one channel was counted eligible for that topic's marketing again. A
merge never widens what may be sent: the topics either left, all of them; of the two
lawful bases, the one recorded later."""

from __future__ import annotations

from tests.conftest import BotFactory
from tests.test_api import WA_ID, Shared, say, shared_number

OTHER = "447911300002"


async def _record(shared: Shared, who: str, basis: str, leaves: str) -> None:
    consent = await shared.call("support", "PUT", f"/v1/profiles/{who}/consent", {"basis": basis})
    assert consent.status == 200, consent.raw
    topics = {"unsubscribe": [leaves]}
    left = await shared.call("support", "POST", f"/v1/profiles/{who}/topics", topics)
    assert left.status == 200, left.raw


async def test_a_merge_keeps_the_later_withdrawal_and_every_topic_left(
    make_bot: BotFactory,
) -> None:
    shared = await shared_number(make_bot)
    await say(shared.bot, "hi, me again from my other phone", OTHER)
    await _record(shared, f"wa:{WA_ID}", "consent", "news")
    await _record(shared, f"wa:{OTHER}", "none", "offers")  # the later record

    merged = await shared.call(
        "support", "POST", f"/v1/profiles/wa:{WA_ID}/merge", {"other": f"wa:{OTHER}"}
    )
    assert merged.status == 200, merged.raw

    for who in (WA_ID, OTHER):
        found = await shared.call("support", "GET", f"/v1/profiles/wa:{who}")
        profile = found.json["profile"]
        assert profile["consent"]["basis"] == "none", profile
        assert profile["fields"]["topics_off"] == "news,offers", profile


async def test_a_merge_keeps_a_consent_given_after_the_other_withdrew(
    make_bot: BotFactory,
) -> None:
    shared = await shared_number(make_bot)
    await say(shared.bot, "hi, me again from my other phone", OTHER)
    await _record(shared, f"wa:{OTHER}", "none", "offers")
    await _record(shared, f"wa:{WA_ID}", "consent", "offers")  # the later record

    merged = await shared.call(
        "support", "POST", f"/v1/profiles/wa:{OTHER}/merge", {"other": f"wa:{WA_ID}"}
    )
    assert merged.status == 200, merged.raw

    profile = (await shared.call("support", "GET", f"/v1/profiles/wa:{OTHER}")).json["profile"]
    assert profile["consent"]["basis"] == "consent", profile
    assert profile["fields"]["topics_off"] == "offers", profile
