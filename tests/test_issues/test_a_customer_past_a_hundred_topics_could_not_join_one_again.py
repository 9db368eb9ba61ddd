"""A customer who had left more than 100 topics (two profiles merged, each with its own
topics left, keep them all; or a profile grown before the cap) could not be changed at
all by ``POST /v1/profiles/{ref}/topics``: each call answered 400, "a customer leaves at
most 100 topics", even one that subscribed them back to a topic and so made the list
shorter, and even an unsubscribe from a topic they had left already. The cap now refuses
only a call that would leave them more topics than they had, past 100."""

from __future__ import annotations

from bot.model import Identity
from tests.conftest import BotFactory
from tests.test_api import WA_ID
from tests.test_notifications import Person, seed, setup

PATH = f"/v1/profiles/wa:{WA_ID}/topics"
OTHER = "email:sam@example.com"


async def test_a_merged_customer_past_the_cap_may_join_a_topic_again(
    make_bot: BotFactory,
) -> None:
    shared = await setup(make_bot)
    await seed(
        shared.bot.runtime,
        shared.number,
        [Person(identities=(Identity("email", "sam@example.com"),))],
    )
    first = {"unsubscribe": [f"first{n}" for n in range(60)]}
    answer = await shared.call("sales", "POST", PATH, first)
    assert answer.status == 200, answer.raw
    second = {"unsubscribe": [f"second{n}" for n in range(60)]}
    answer = await shared.call("sales", "POST", f"/v1/profiles/{OTHER}/topics", second)
    assert answer.status == 200, answer.raw
    answer = await shared.call("sales", "POST", f"/v1/profiles/wa:{WA_ID}/merge", {"other": OTHER})
    assert answer.status == 200, answer.raw

    back = {"subscribe": ["first0"]}
    answer = await shared.call("sales", "POST", PATH, back)
    assert answer.status == 200 and len(answer.json["topics_off"]) == 119, answer.raw
    again = {"unsubscribe": ["second0"]}
    answer = await shared.call("sales", "POST", PATH, again)
    assert answer.status == 200 and len(answer.json["topics_off"]) == 119, answer.raw
    # One more than they had, past the cap, is still refused, and nothing of it kept.
    more = {"unsubscribe": ["third0"]}
    answer = await shared.call("sales", "POST", PATH, more)
    assert answer.status == 400 and "100" in answer.error, answer.raw
    shown = await shared.call("sales", "GET", f"/v1/profiles/wa:{WA_ID}")
    assert shown.status == 200 and "third0" not in shown.raw.decode()
