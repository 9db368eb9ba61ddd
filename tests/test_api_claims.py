"""Claims over /v1 (SN-5): a collision warning, never a lock; every service hears of them."""

from __future__ import annotations

import asyncio
import time
from types import SimpleNamespace
from typing import Any

import pytest

import stores.claims
from tests.conftest import BotFactory
from tests.test_api import (
    THREE,
    WELCOME,
    Answer,
    Shared,
    say,
    shared_number,
    wait_for_event,
)

OTHER_WA_ID = "447911222333"


async def claim(shared: Shared, service: str, agent: str) -> Answer:
    return await shared.call(service, "POST", shared.path("claim"), {"agent": agent})


async def release(shared: Shared, service: str, agent: str) -> Answer:
    return await shared.call(service, "POST", shared.path("release"), {"agent": agent})


def by(service: str, agent: str) -> Any:
    """Matches an event's data naming this service's agent."""
    return lambda data: (data.get("service"), data.get("agent")) == (service, agent)


def assert_warns_of(answer: Answer, service: str, agent: str, between: tuple[float, float]) -> None:
    """The call went through, and says who holds the conversation, for whom, since when."""
    warning = answer.json["warning"]
    holder = warning["holder"]
    assert (holder["service"], holder["agent"]) == (service, agent)
    assert between[0] <= holder["since"] <= between[1]
    assert agent in warning["message"] and service in warning["message"]
    # People read the message: it gives the time of day the claim was taken, in UTC.
    assert time.strftime("%H:%M", time.gmtime(holder["since"])) in warning["message"]


async def test_a_second_claim_succeeds_with_a_warning_and_everyone_hears(
    make_bot: BotFactory,
) -> None:
    shared = await shared_number(make_bot)
    before_alice = time.time()
    first = await claim(shared, "support", "alice")
    after_alice = time.time()
    assert first.status == 200, first.raw
    assert "warning" not in first.json
    assert (first.json["claim"]["service"], first.json["claim"]["agent"]) == ("support", "alice")

    second = await claim(shared, "sales", "bob")
    assert second.status == 200, second.raw
    assert_warns_of(second, "support", "alice", (before_alice, time.time()))

    for name in THREE:
        sink = shared.bot.sinks[name]
        alice = await wait_for_event(sink, "conversation.claimed", by("support", "alice"))
        bob = await wait_for_event(sink, "conversation.claimed", by("sales", "bob"))
        assert alice["data"]["conversation_id"] == bob["data"]["conversation_id"]
        assert bob["data"]["conversation_id"] == shared.conversation
        previous = bob["data"]["previous"]
        assert (previous["service"], previous["agent"]) == ("support", "alice")
        assert before_alice <= previous["since"] <= after_alice


async def test_the_warning_says_since_when_in_words_too(
    make_bot: BotFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    shared = await shared_number(make_bot)
    an_hour_ago = time.time() - 3600
    # The claim store's clock alone is set back, as if alice had claimed an hour ago.
    monkeypatch.setattr(stores.claims, "time", SimpleNamespace(time=lambda: an_hour_ago))
    assert (await claim(shared, "support", "alice")).status == 200
    monkeypatch.undo()
    second = await claim(shared, "sales", "bob")
    assert_warns_of(second, "support", "alice", (an_hour_ago, an_hour_ago))
    assert time.strftime("%H:%M", time.gmtime()) not in second.json["warning"]["message"]


async def test_claiming_again_neither_warns_nor_moves_since(make_bot: BotFactory) -> None:
    shared = await shared_number(make_bot)
    before = time.time()
    assert (await claim(shared, "support", "alice")).status == 200
    held = (before, time.time())
    again = await claim(shared, "support", "alice")
    assert again.status == 200 and "warning" not in again.json
    second = await claim(shared, "sales", "bob")
    # alice has held it since her first claim; her second one changed nothing.
    assert_warns_of(second, "support", "alice", held)


async def test_a_reply_to_a_held_conversation_goes_out_with_a_warning(
    make_bot: BotFactory,
) -> None:
    shared = await shared_number(make_bot)
    before = time.time()
    assert (await claim(shared, "support", "alice")).status == 200
    held = (before, time.time())

    own = await shared.reply("support", "on it", "alice")
    assert own.status == 201 and "warning" not in own.json
    for service, agent in (("marketing", "carol"), ("support", "dave")):
        answer = await shared.reply(service, f"{agent} here", agent)
        assert answer.status == 201, answer.raw  # a warning, not a lock
        assert_warns_of(answer, "support", "alice", held)

    await shared.graph.wait_for_sent(4)
    await shared.bot.settle()
    assert shared.texts_sent() == [WELCOME, "on it", "carol here", "dave here"]


async def test_only_the_holder_releases_and_everyone_hears(make_bot: BotFactory) -> None:
    shared = await shared_number(make_bot)
    before = time.time()
    assert (await claim(shared, "support", "alice")).status == 200
    held = (before, time.time())
    # Another service's agent, and another agent of the same service, are not the holder.
    for service, agent in (("sales", "bob"), ("support", "dave"), ("sales", "alice")):
        refused = await release(shared, service, agent)
        assert refused.status == 409, refused.raw
        assert "alice" in refused.error and "support" in refused.error
        holder = refused.json["holder"]
        assert (holder["service"], holder["agent"]) == ("support", "alice")
        assert held[0] <= holder["since"] <= held[1]
    view = (await shared.call("sales", "GET", shared.path())).json["conversation"]["claim"]
    assert (view["service"], view["agent"]) == ("support", "alice")

    released = await release(shared, "support", "alice")
    assert released.status == 200, released.raw
    for name in THREE:
        event = await wait_for_event(
            shared.bot.sinks[name], "conversation.released", by("support", "alice")
        )
        assert event["data"]["conversation_id"] == shared.conversation
        assert event["data"]["reason"] == "released"
        assert len(shared.bot.sinks[name].events("conversation.released")) == 1
    assert (await shared.call("marketing", "GET", shared.path())).json["conversation"][
        "claim"
    ] is None
    nobody = await release(shared, "support", "alice")  # released once, not twice
    assert nobody.status == 409 and nobody.error
    fresh = await claim(shared, "sales", "bob")
    assert fresh.status == 200 and "warning" not in fresh.json


async def test_an_idle_claim_lapses_and_everyone_hears(make_bot: BotFactory) -> None:
    shared = await shared_number(make_bot, claim_idle=0.5)
    claimed_at = time.monotonic()
    assert (await claim(shared, "support", "alice")).status == 200
    for name in THREE:
        event = await wait_for_event(
            shared.bot.sinks[name],
            "conversation.released",
            lambda data: data.get("reason") == "lapsed",
        )
        assert event["data"]["conversation_id"] == shared.conversation
    assert time.monotonic() - claimed_at >= 0.5  # not before the idle time is up
    view = await shared.call("sales", "GET", shared.path())
    assert view.json["conversation"]["claim"] is None
    after = await claim(shared, "sales", "bob")
    assert after.status == 200 and "warning" not in after.json
    for name in THREE:
        assert len(shared.bot.sinks[name].events("conversation.released")) == 1


async def test_only_the_holders_own_replies_keep_a_claim_from_lapsing(
    make_bot: BotFactory,
) -> None:
    # Idle times of seconds, not tenths: the second claim must still be held when it is
    # looked at, after two replies and a call that take a while on a loaded machine.
    shared = await shared_number(make_bot, claim_idle=2.0)
    await say(shared.bot, "hello too", OTHER_WA_ID)
    other = shared.bot.conversation(OTHER_WA_ID)
    for conversation in (shared.conversation, other):
        path = shared.path("claim", conversation)
        assert (await shared.call("support", "POST", path, {"agent": "alice"})).status == 200
    claimed = time.monotonic()
    await asyncio.sleep(1.0)  # idle for half the time
    assert (await shared.reply("sales", "bob here", "bob")).status == 201
    assert (await shared.reply("support", "alice here", "alice", other)).status == 201
    # Past the first idle time (the claims were made before ``claimed``), and within the
    # second one that alice's reply started at least a second later; the claim kept is
    # looked at first, the lapsed one only lapses further meanwhile.
    await asyncio.sleep(max(0.0, claimed + 2.2 - time.monotonic()))
    kept = await shared.call("marketing", "GET", shared.path(conversation=other))
    ignored = await shared.call("marketing", "GET", shared.path())
    assert ignored.json["conversation"]["claim"] is None
    assert kept.json["conversation"]["claim"]["agent"] == "alice"
