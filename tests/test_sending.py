"""Sending to customers: the WhatsApp 24-hour window, retries of 429 and 5xx, idempotent sends."""

from __future__ import annotations

import os
import time

import pytest

from bot.config.automation import AutomationSettings
from bot.core.sender import WindowClosedError
from bot.model import Identity, Outbound, new_id
from tests.botprocess import run_command
from tests.conftest import Bot, BotFactory
from tests.emulators import meta_webhooks as meta

WA_ID = "447700900123"
QUIET = AutomationSettings(welcome="")


def agent_reply(bot: Bot, text: str, template: dict[str, object] | None = None) -> Outbound:
    return Outbound(
        send_id=new_id("snd"),
        conversation_id=bot.conversation(WA_ID),
        channel="whatsapp",
        number=f"wa:{bot.phone_number_id}",
        recipient=Identity("wa", WA_ID),
        text=text,
        service="support",
        agent="ann@example.com",
        template=template,
    )


async def customer_who_wrote_25_hours_ago(make_bot: BotFactory) -> Bot:
    bot = await make_bot(automation=QUIET)
    long_ago = int(time.time()) - 25 * 3600
    await bot.post_whatsapp(meta.text_message(bot.phone_number_id, WA_ID, "hi", timestamp=long_ago))
    await bot.settle()
    return bot


async def send(bot: Bot, outbound: Outbound) -> None:
    await bot.runtime.sender.send(outbound, bot.runtime.shard_of(outbound.conversation_id))


async def test_a_free_form_send_outside_the_window_is_refused_before_any_call(
    make_bot: BotFactory,
) -> None:
    bot = await customer_who_wrote_25_hours_ago(make_bot)
    with pytest.raises(WindowClosedError, match="24-hour window"):
        await send(bot, agent_reply(bot, "Are you still there?"))
    await bot.settle()
    assert bot.graph is not None
    assert bot.graph.requests == []
    timeline = await bot.runtime.conversations.timeline(bot.conversation(WA_ID))
    assert [m["direction"] for m in timeline] == ["inbound"]


async def test_a_customer_who_never_wrote_gets_no_free_form_message(make_bot: BotFactory) -> None:
    bot = await make_bot(automation=QUIET)
    with pytest.raises(WindowClosedError, match="never wrote"):
        await send(bot, agent_reply(bot, "Hello!"))
    assert bot.graph is not None and bot.graph.requests == []


async def test_a_template_goes_out_even_when_the_window_is_closed(make_bot: BotFactory) -> None:
    bot = await make_bot(automation=QUIET)
    template = {"name": "order_update", "language": {"code": "en_GB"}}
    await send(bot, agent_reply(bot, "", template=template))
    assert bot.graph is not None
    (sent,) = await bot.graph.wait_for_sent(1)
    assert sent.type == "template"
    assert sent.body["template"]["name"] == "order_update"


async def test_a_reply_inside_the_window_is_sent_once(make_bot: BotFactory) -> None:
    bot = await make_bot(automation=QUIET)
    await bot.post_whatsapp(meta.text_message(bot.phone_number_id, WA_ID, "hi"))
    await bot.settle()
    outbound = agent_reply(bot, "Hi Ann, happy to help.")
    await send(bot, outbound)
    await send(bot, outbound)  # the same send queued twice goes out once (REL-3)
    await bot.settle()
    assert bot.graph is not None
    assert [m.text for m in bot.graph.sent] == ["Hi Ann, happy to help."]


async def test_a_send_queued_again_after_it_went_out_and_a_stop_stays_sent(
    make_bot: BotFactory,
) -> None:
    bot = await make_bot(automation=QUIET)
    await bot.post_whatsapp(meta.text_message(bot.phone_number_id, WA_ID, "hi"))
    await bot.settle()
    outbound = agent_reply(bot, "Your order is on its way.")
    await send(bot, outbound)
    await bot.sinks["support"].wait_for_count(1, type="message.outbound")
    await bot.post_whatsapp(meta.text_message(bot.phone_number_id, WA_ID, "STOP"))
    await bot.settle()
    # The same send queued once more (a write that was redone), then a later one: both go
    # through the outbox in order, so once the later one is settled the first one is too.
    cid, shard = outbound.conversation_id, bot.runtime.shard_of(outbound.conversation_id)
    later = agent_reply(bot, "One more offer!")
    async with bot.runtime.redis.pipeline(transaction=False) as pipe:
        bot.runtime.sender.queue(pipe, outbound, shard)
        bot.runtime.sender.queue(pipe, later, shard)
        await pipe.execute()
    await bot.sinks["support"].wait_for_count(1, type="message.status")
    (event,) = bot.sinks["support"].events("message.status")
    assert event["data"]["message_id"] == later.send_id and "opted out" in event["data"]["error"]
    states = await bot.runtime.conversations.send_states([(cid, outbound.send_id)])
    assert states == ["sent"]
    assert bot.graph is not None and [m.text for m in bot.graph.sent] == [outbound.text]


@pytest.mark.parametrize(("status", "code"), [(429, 130429), (400, 130429), (503, 2)])
async def test_rate_limits_and_server_errors_are_retried(
    make_bot: BotFactory, status: int, code: int
) -> None:
    bot = await make_bot()
    assert bot.graph is not None
    bot.graph.fail_next(2, status=status, code=code, retry_after=0)
    await bot.post_whatsapp(meta.text_message(bot.phone_number_id, WA_ID, "hi"))
    (sent,) = await bot.graph.wait_for_sent(1, timeout=10)
    assert sent.text == "Welcome! How can we help?"
    assert len(bot.graph.requests) == 3
    await bot.sinks["support"].wait_for_count(1, type="message.outbound")


async def test_a_refused_send_is_marked_failed_and_reported(make_bot: BotFactory) -> None:
    bot = await make_bot()
    assert bot.graph is not None
    bot.graph.fail_next(1, status=400, code=131026)  # "message undeliverable": final
    await bot.post_whatsapp(meta.text_message(bot.phone_number_id, WA_ID, "hi"))
    await bot.sinks["support"].wait_for_count(1, type="message.status")
    (event,) = bot.sinks["support"].events("message.status")
    assert event["data"]["status"] == "failed"
    assert "131026" in event["data"]["error"]
    timeline = await bot.runtime.conversations.timeline(bot.conversation(WA_ID))
    assert timeline[-1]["status"] == "failed"
    assert len(bot.graph.requests) == 1


async def admin_send(
    bot: Bot, conversation: str, text: str, **environment: str
) -> tuple[int, str, str]:
    """``python bot.py admin send`` against the running bot's store, as an operator runs it
    (``environment``: what the operator's shell has besides)."""
    wa = bot.runtime.settings.whatsapp
    assert wa is not None
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("WHATSAPP_")},
        "REDIS_URL": bot.runtime.settings.redis_url or "",
        "SWITCHBOARD_KEY_PREFIX": bot.runtime.settings.key_prefix,
        "SWITCHBOARD_SHARDS": str(bot.runtime.settings.shards),
        "WHATSAPP_PHONE_NUMBER_ID": wa.phone_number_id,
        "WHATSAPP_ACCESS_TOKEN": wa.access_token,
        "WHATSAPP_APP_SECRET": wa.app_secret,
        "WHATSAPP_VERIFY_TOKEN": wa.verify_token,
        "WHATSAPP_API_BASE": wa.api_base,
        **environment,
    }
    return await run_command(env, "admin", "send", conversation, text, "--agent", "ann@example.com")


async def test_an_operator_reply_outside_the_window_is_refused_with_a_clear_error(
    make_bot: BotFactory,
) -> None:
    bot = await customer_who_wrote_25_hours_ago(make_bot)
    code, _, err = await admin_send(bot, bot.conversation(WA_ID), "Still there?")
    assert code == 1
    assert "outside the 24-hour window WhatsApp accepts only template messages" in err
    assert "Traceback" not in err
    await bot.settle()
    assert bot.graph is not None and bot.graph.requests == []


async def test_an_operator_reply_inside_the_window_goes_out(make_bot: BotFactory) -> None:
    bot = await make_bot(automation=QUIET)
    await bot.post_whatsapp(meta.text_message(bot.phone_number_id, WA_ID, "hi"))
    await bot.settle()
    code, out, _ = await admin_send(bot, bot.conversation(WA_ID), "Hello from the desk")
    assert code == 0 and out.startswith(f"Sent to Ann (wa:{WA_ID}) (c_") and ": snd_" in out
    assert bot.graph is not None
    (sent,) = await bot.graph.wait_for_sent(1)
    assert sent.text == "Hello from the desk"
    code, _, err = await admin_send(bot, "c_doesnotexist", "hello")
    assert code == 1 and "no conversation c_doesnotexist" in err


async def test_a_reply_queued_before_a_stop_is_not_sent_after_it(make_bot: BotFactory) -> None:
    bot = await make_bot(automation=QUIET)
    await bot.post_whatsapp(meta.text_message(bot.phone_number_id, WA_ID, "hi"))
    await bot.settle()
    outbound = agent_reply(bot, "One more offer!")
    cid, shard = outbound.conversation_id, bot.runtime.shard_of(outbound.conversation_id)
    # The STOP lands between the queueing of the reply and its send.
    async with bot.runtime.redis.pipeline(transaction=False) as pipe:
        bot.runtime.conversations.queue_opt_out(pipe, cid, True)
        bot.runtime.sender.queue(pipe, outbound, shard)
        await pipe.execute()
    await bot.sinks["support"].wait_for_count(1, type="message.status")
    (event,) = bot.sinks["support"].events("message.status")
    assert event["data"]["status"] == "failed"
    assert "opted out" in event["data"]["error"]
    assert bot.graph is not None and bot.graph.requests == []
