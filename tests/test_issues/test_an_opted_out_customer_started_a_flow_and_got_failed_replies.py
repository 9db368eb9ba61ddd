"""A customer who had opted out and wrote a flow's start word started the flow (its
question was not sent, but its state was kept), and their START was then answered with
"Please pick one of the options" for a question they never saw; any automated answer
to an opted-out customer was queued, failed at its send, and told every service of a
failed message none of them had heard of. START also counted as an answer to a flow
under way."""

from __future__ import annotations

from tests.conftest import BotFactory
from tests.test_flows_runtime import FLOWS, WA_ID, say


async def test_an_opted_out_customer_starts_no_flow_and_start_is_no_answer(
    make_bot: BotFactory,
) -> None:
    bot = await make_bot(automation=FLOWS)
    await say(bot, "hi")
    assert len(bot.graph.sent) == 1  # type: ignore[union-attr]  # the welcome
    await say(bot, "STOP")
    await say(bot, "plan")
    await say(bot, "START")
    assert len(bot.graph.sent) == 1  # type: ignore[union-attr]
    timeline = await bot.runtime.conversations.timeline(bot.conversation(WA_ID))
    assert [m["direction"] for m in timeline] == ["inbound", "outbound"] + ["inbound"] * 3
    statuses = bot.sinks["support"].events("message.status")
    assert all(e["data"]["status"] != "failed" for e in statuses)

    # Opted in again, the start word starts the flow; START within it is no answer: the
    # question is asked again.
    await say(bot, "plan")
    asked = (await bot.graph.wait_for_sent(2))[-1]  # type: ignore[union-attr]
    await say(bot, "START")
    again = (await bot.graph.wait_for_sent(3))[-1]  # type: ignore[union-attr]
    assert again.body["interactive"] == asked.body["interactive"]
    assert len(bot.graph.sent) == 3  # type: ignore[union-attr]
