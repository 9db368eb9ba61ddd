"""Every URL of an outbound text became a tracked link, those a customer's own answer put
in it too: a visitor who gave ``https://evil.example/phish`` as their name in a guided
conversation got back the bot's own signed link redirecting there, a link on the
business's domain to any site (PS-3: never an open redirect). Only the URLs the business
wrote (its automation's texts, a campaign's) are tracked now."""

from __future__ import annotations

import asyncio
import time
from typing import Any

from bot.config.automation import automation_settings
from tests.botprocess import free_port
from tests.conftest import BotFactory
from tests.test_flows_runtime import SHIPPED
from tests.test_notifications import Person, campaign, finished, seed, setup
from tests.test_webchat import next_message, open_chat

AUTOMATION = automation_settings(
    {
        "welcome": "Welcome!",
        "rules": [{"keywords": ["shop"], "reply": "See https://shop.example.com/sale today"}],
        "flows": SHIPPED,
    }
)


async def test_only_the_business_s_links_are_tracked(make_bot: BotFactory) -> None:
    port = free_port()
    bot = await make_bot(
        whatsapp=False,
        automation=AUTOMATION,
        links=True,
        port=port,
        public_url=f"http://127.0.0.1:{port}",
    )
    socket, _ = await open_chat(bot)

    async def say(n: int, text: str) -> dict[str, Any]:
        await socket.send_json({"type": "message", "id": f"m{n}", "text": text})
        return await next_message(socket)

    assert (await say(1, "hello"))["text"] == "Welcome!"
    # The web chat shows a link as written, and opens its tracked link.
    links = (await say(2, "shop")).get("links", {})
    assert [link.split("/l/")[0] for link in links.values()] == [f"http://127.0.0.1:{port}"]
    await say(3, "callback")
    asked = await say(4, "https://evil.example/phish")
    assert "https://evil.example/phish" in asked["text"] and "links" not in asked
    await socket.close()


async def test_a_campaign_tracks_its_own_links_not_a_name_s(make_bot: BotFactory) -> None:
    shared = await setup(make_bot, links=True)
    person = Person("447911400001", wrote_at=time.time() - 60, name="https://evil.example/x")
    ids = await seed(shared.bot.runtime, shared.number, [person])
    body = {"number": shared.number, "text": "Hi {profile.name}, see https://shop.example.com/deal"}
    nid = await campaign(shared, body | {"audience": {"profiles": ids}})
    assert (await finished(shared, nid))["counts"]["sent"] == 1
    (sent,) = [s for s in shared.graph.sent if s.to == "447911400001"]
    assert sent.text is not None and "https://evil.example/x" in sent.text
    assert "shop.example.com" not in sent.text and sent.text.count("/l/") == 1


async def test_a_campaign_s_test_send_tracks_its_own_links_only(make_bot: BotFactory) -> None:
    shared = await setup(make_bot, links=True)
    person = Person("447911400002", wrote_at=time.time() - 60, name="https://evil.example/y")
    ids = await seed(shared.bot.runtime, shared.number, [person])
    body = {"number": shared.number, "text": "Hi {profile.name}, see https://shop.example.com/deal"}
    body |= {"audience": {"profiles": ids}, "draft": True}
    answer = await shared.call("support", "POST", "/v1/notifications", body)
    assert answer.status == 202, answer.raw
    nid = answer.json["notification"]["id"]
    tested = await shared.call(
        "support", "POST", f"/v1/notifications/{nid}/test", {"to": ["+447911400002"]}
    )
    assert tested.status == 202, tested.raw
    (sent,) = await until_sent(shared, "447911400002")
    assert sent.text is not None and "https://evil.example/y" in sent.text
    assert sent.text.count("/l/") == 1


async def until_sent(shared: Any, to: str) -> list[Any]:
    async with asyncio.timeout(10):
        while True:
            found = [s for s in shared.graph.sent if s.to == to]
            if found:
                return found
            await asyncio.sleep(0.05)
