"""A campaign's send waiting in the outbox when its recipient was erased was rightly not
sent, but nothing told the campaign: its report kept it ``in_flight`` for good (docs/api.md:
"`in_flight` always drains to 0"), and the cost ledger kept it pending. It counts as
failed now, with the error code ``erased``, and nothing of the person is kept."""

from __future__ import annotations

from tests.conftest import BotFactory
from tests.test_api import WA_ID
from tests.test_issues.test_a_reply_queued_before_an_erasure_was_sent_to_the_erased_person import (
    dropped,
)
from tests.test_notifications import adds_up, campaign, finished, setup, until


async def test_a_send_dropped_for_an_erasure_leaves_the_campaign_in_flight_no_more(
    make_bot: BotFactory,
) -> None:
    shared = await setup(make_bot)
    graph = shared.graph
    tried = len(graph.requests)
    graph.fail_next(1, status=429, code=130429, retry_after=2)  # the send waits a while
    body = {
        "number": shared.number,
        "text": "Sale starts now",
        "audience": {"conversations": [shared.conversation]},
    }
    nid = await campaign(shared, body)
    await until(lambda: len(graph.requests) > tried, what="a try")  # refused for now
    assert (await shared.bot.runtime.profile_book.erase(f"wa:{WA_ID}"))["erased"]
    await until(lambda: dropped(shared.bot), 15, "the send dropped")

    found = await finished(shared, nid)
    assert (found["counts"]["failed"], found["counts"]["in_flight"]) == (1, 0)
    adds_up(found)
    assert not any(m.text == "Sale starts now" for m in graph.sent)
    failed = await shared.call(
        "support", "GET", f"/v1/notifications/{nid}/recipients?status=failed"
    )
    assert failed.status == 200, failed.json
    assert WA_ID.encode() not in failed.raw
