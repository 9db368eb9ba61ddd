"""``POST /v1/profiles/{ref}/topics`` took any number of topics, and a profile kept every
topic it was ever unsubscribed from: twenty calls of a service attached to the number
(any of them, not only the parent) grew one customer's ``topics_off`` to 1.1 MB, which
every lookup of the profile then answered in full and every campaign read. A call names
at most 100 topics, and a customer leaves at most 100; past that the call is a 400, and
nothing of it is kept."""

from __future__ import annotations

from tests.conftest import BotFactory
from tests.test_api import WA_ID
from tests.test_notifications import setup

PATH = f"/v1/profiles/wa:{WA_ID}/topics"


async def test_a_customer_leaves_at_most_a_hundred_topics(make_bot: BotFactory) -> None:
    shared = await setup(make_bot)
    too_many = {"unsubscribe": [f"topic{n}" for n in range(101)]}
    answer = await shared.call("sales", "POST", PATH, too_many)
    assert answer.status == 400 and "100" in answer.error, answer.raw

    first = {"unsubscribe": [f"topic{n}" for n in range(60)]}
    answer = await shared.call("sales", "POST", PATH, first)
    assert answer.status == 200 and len(answer.json["topics_off"]) == 60, answer.raw
    more = {"unsubscribe": [f"more{n}" for n in range(41)]}
    answer = await shared.call("sales", "POST", PATH, more)
    assert answer.status == 400 and "100" in answer.error, answer.raw
    shown = await shared.call("sales", "GET", f"/v1/profiles/wa:{WA_ID}")
    assert shown.status == 200 and "more0" not in shown.raw.decode()

    # Those already left, and those joined again, still go through.
    again = {"unsubscribe": ["topic1", "more0"], "subscribe": ["topic2", "topic3"]}
    answer = await shared.call("sales", "POST", PATH, again)
    assert answer.status == 200 and len(answer.json["topics_off"]) == 59, answer.raw
