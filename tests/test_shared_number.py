"""One number, several services: attach order, the parent's automation, failover, detach."""

from __future__ import annotations

import asyncio
import os
import secrets
import time

from bot.config.settings import ProfileSettings
from bot.core.directory import Directory
from bot.core.records import encode_item
from bot.model import Identity, Inbound, MergePolicy, Service
from stores.services import ServiceStore
from stores.streams import Entry
from tests.botprocess import run_command
from tests.conftest import Bot, BotFactory
from tests.emulators import meta_webhooks as meta
from tests.emulators.sink import SubscriberSink

WA_ID = "447911123456"
SUPPORT = {"welcome": "Support here, how can we help?", "rules": []}
SALES = {"welcome": "Sales here!", "rules": [{"keywords": ["price"], "reply": "It is 9."}]}
THREE = ("support", "sales", "marketing")


async def shared_bot(make_bot: BotFactory) -> Bot:
    """support (attached first, so parent), sales and marketing, without the runtime's own."""
    return await make_bot(
        services=THREE, automations={"support": SUPPORT, "sales": SALES}, runtime_service=False
    )


async def say(bot: Bot, text: str, wa_id: str = WA_ID) -> None:
    response = await bot.post_whatsapp(meta.text_message(bot.phone_number_id, wa_id, text))
    assert response.status == 200
    await bot.settle()


async def test_the_first_attached_is_parent_and_only_it_automates(make_bot: BotFactory) -> None:
    bot = await shared_bot(make_bot)
    number = f"wa:{bot.phone_number_id}"
    assert await bot.runtime.services.order(number) == list(THREE)
    await say(bot, "what is the price?")
    assert bot.graph is not None
    (sent,) = await bot.graph.wait_for_sent(1)
    assert sent.text == "Support here, how can we help?"  # sales' price rule stays silent
    for name in THREE:  # every service hears the customer in full (SN-2)
        await bot.sinks[name].wait_for_count(1, type="message.inbound")
        (event,) = bot.sinks[name].events("message.inbound")
        assert event["data"]["message"]["text"] == "what is the price?"


async def test_the_parents_replies_are_masked_for_the_others(make_bot: BotFactory) -> None:
    bot = await shared_bot(make_bot)
    await say(bot, "hello")
    for name in THREE:
        await bot.sinks[name].wait_for_count(1, type="message.outbound")
    (own,) = bot.sinks["support"].events("message.outbound")
    assert own["data"]["text"] == "Support here, how can we help?"
    for name in ("sales", "marketing"):
        (masked,) = bot.sinks[name].events("message.outbound")
        assert masked["data"]["masked"] is True
        assert masked["data"]["service"] == "support"
        raw = b"".join(d.raw_body for d in bot.sinks[name].deliveries)
        assert b"Support here" not in raw


async def test_detaching_the_parent_hands_automation_to_the_next(make_bot: BotFactory) -> None:
    bot = await shared_bot(make_bot)
    number = f"wa:{bot.phone_number_id}"
    await say(bot, "hello")
    await bot.runtime.fanout.publish(await bot.runtime.directory.detach(number, "support"))
    assert await bot.runtime.services.order(number) == ["sales", "marketing"]
    for name in ("sales", "marketing"):
        await bot.sinks[name].wait_for_count(1, type="number.parent_changed")
        (event,) = bot.sinks[name].events("number.parent_changed")
        assert (event["data"]["previous_parent"], event["data"]["parent"]) == ("support", "sales")
    await say(bot, "and the price?")  # the very next message gets sales' automation
    assert bot.graph is not None
    sent = await bot.graph.wait_for_sent(2)
    assert sent[-1].text == "It is 9."
    timeline = await bot.runtime.conversations.timeline(bot.conversation(WA_ID))
    assert [m["direction"] for m in timeline] == ["inbound", "outbound", "inbound", "outbound"]
    await bot.sinks["support"].wait_for_count(2)  # what it heard before it left
    assert not bot.sinks["support"].events("number.parent_changed")
    assert len(bot.sinks["support"].events("message.inbound")) == 1


async def test_detaching_a_subscriber_changes_nothing_for_the_others(
    make_bot: BotFactory,
) -> None:
    bot = await shared_bot(make_bot)
    number = f"wa:{bot.phone_number_id}"
    assert await bot.runtime.directory.detach(number, "marketing") == []  # parent unchanged
    await say(bot, "hello")
    for name in ("support", "sales"):
        await bot.sinks[name].wait_for_count(2)
    await asyncio.sleep(0.3)
    assert bot.sinks["marketing"].deliveries == []
    assert bot.graph is not None and len(bot.graph.sent) == 1


async def test_with_no_service_left_messages_are_kept_but_not_answered(
    make_bot: BotFactory,
) -> None:
    bot = await shared_bot(make_bot)
    number = f"wa:{bot.phone_number_id}"
    for name in THREE:
        await bot.runtime.directory.detach(number, name)
    await say(bot, "anyone there?")
    timeline = await bot.runtime.conversations.timeline(bot.conversation(WA_ID))
    assert [m["text"] for m in timeline] == ["anyone there?"]
    assert bot.graph is not None and bot.graph.sent == []
    ready = await (await bot.client.get("/readyz")).json()
    assert ready["numbers"][number] == "idle"
    assert ready["numbers"]["web:site"] == "active"
    await asyncio.sleep(0.3)
    assert all(sink.deliveries == [] for sink in bot.sinks.values())


async def test_the_order_is_kept_across_restarts(make_bot: BotFactory) -> None:
    bot = await shared_bot(make_bot)
    number = f"wa:{bot.phone_number_id}"
    await bot.runtime.directory.detach(number, "support")
    await bot.runtime.directory.attach(number, "support")
    await bot.stop()
    again = await make_bot(services=THREE, runtime_service=False)
    assert await again.runtime.services.order(number) == ["sales", "marketing", "support"]


async def admin(bot: Bot, *args: str, crm_secret: str = "") -> tuple[int, str, str]:
    env = {
        **os.environ,
        "REDIS_URL": bot.runtime.settings.redis_url or "",
        "SWITCHBOARD_KEY_PREFIX": bot.runtime.settings.key_prefix,
        "SWITCHBOARD_CONFIG": os.devnull,
        "CRM_SECRET": crm_secret or "secret-of-the-test",
    }
    return await run_command(env, "admin", "services", *args)


async def test_services_are_attached_and_detached_from_the_cli(make_bot: BotFactory) -> None:
    bot = await shared_bot(make_bot)
    code, out, _ = await admin(
        bot,
        "attach",
        "crm",
        "--url",
        "http://127.0.0.1:9/hook",
        "--secret-env",
        "CRM_SECRET",
        "--number",
        "web:site",
    )
    assert code == 0
    assert "web:site: support, sales, marketing, crm" in out
    token = out.split("(shown once): ")[1].strip()
    assert token.startswith("sbt_")
    service = await bot.runtime.services.by_token(token)
    assert service is not None and service.name == "crm"
    assert token not in str(
        await bot.runtime.redis.hgetall(f"{bot.runtime.settings.key_prefix}svc:crm")
    )  # only its hash is kept
    code, out, _ = await admin(bot, "list")
    assert "web:site: support (parent), sales, marketing, crm" in out
    # The parent is detached only once the confirmation code is typed, as 'admin detach' does.
    code, out, _ = await admin(bot, "detach", "support", "--number", "web:site")
    assert code == 1 and "not confirmed. Nothing detached." in out
    assert await bot.runtime.services.order("web:site") == ["support", "sales", "marketing", "crm"]
    code, out, _ = await admin(bot, "detach", "support", "--number", "web:site", "--yes")
    assert code == 0 and "web:site: sales (parent), marketing, crm" in out
    code, _, err = await admin(bot, "detach", "nobody", "--number", "web:site")
    assert code == 1 and "nobody is not attached to web:site" in err
    code, _, err = await admin(bot, "token", "nobody")
    assert code == 1 and "no service named 'nobody'" in err


async def test_a_service_attached_by_another_process_hears_the_very_next_message(
    make_bot: BotFactory,
) -> None:
    bot = await shared_bot(make_bot)
    number = f"wa:{bot.phone_number_id}"
    await say(bot, "hello")  # the bot has read this number's services
    secret = secrets.token_hex(16)
    async with SubscriberSink(secret) as crm:
        attach = ("attach", "crm", "--url", crm.url, "--secret-env", "CRM_SECRET")
        code, out, _ = await admin(bot, *attach, "--number", number, crm_secret=secret)
        assert code == 0, out
        await say(bot, "and now?")
        await crm.wait_for_count(1, type="message.inbound")
        (event,) = crm.events("message.inbound")
        assert event["data"]["message"]["text"] == "and now?"


async def test_a_message_no_profile_can_hold_still_reaches_every_service(
    make_bot: BotFactory,
) -> None:
    blocked = frozenset({f"wa:{WA_ID}", f"phone:+{WA_ID}"})
    bot = await make_bot(
        services=THREE,
        runtime_service=False,
        profiles=ProfileSettings(policy=MergePolicy(blocked=blocked)),
    )
    await say(bot, "hello from a shared phone")
    for name in THREE:
        await bot.sinks[name].wait_for_count(1, type="message.inbound")
        (event,) = bot.sinks[name].events("message.inbound")
        assert event["data"]["message"]["text"] == "hello from a shared phone"
        assert event["data"]["profile"] == ""


async def test_a_batch_reads_who_is_attached_before_it_tells_them(make_bot: BotFactory) -> None:
    """Another process attached a service: the next batch here reads the number's version
    before it queues the events, whether or not the announcement came first (SN-7)."""
    bot = await shared_bot(make_bot)
    number = f"wa:{bot.phone_number_id}"
    await say(bot, "hello")  # this process has read the number's services
    runtime = bot.runtime
    elsewhere = Directory(ServiceStore(runtime.redis, runtime.keys), runtime.settings.automation)
    secret = secrets.token_hex(16)
    async with SubscriberSink(secret) as crm:
        await elsewhere.define(Service("crm", crm.url, secret), with_token=False)
        await elsewhere.attach(number, "crm")
        message = Inbound(
            channel="whatsapp",
            number=number,
            provider_id="wamid.elsewhere",
            sender=Identity("wa", WA_ID),
            kind="text",
            timestamp=time.time(),
            text="and now?",
        )
        await runtime.pipeline.process([Entry("1-0", encode_item(message))])
        await crm.wait_for_count(1, type="message.inbound")
        (event,) = crm.events("message.inbound")
        assert event["data"]["message"]["text"] == "and now?"
