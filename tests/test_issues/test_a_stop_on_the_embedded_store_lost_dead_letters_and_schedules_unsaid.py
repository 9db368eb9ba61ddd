"""A stop on the embedded store (no ``REDIS_URL``) lost a service's dead letters and the
campaigns scheduled for later with no word in the log, which said what the stop loses
only of the queued messages, sends and events (README: the log says how many messages,
sends and events the stop loses); with nothing queued it said nothing at all. The line
counts the dead letters and the notification runs still to come too."""

from __future__ import annotations

import asyncio
import secrets
import time

import aiohttp

from tests.botprocess import BotProcess, free_port
from tests.test_notifications import until

ADMIN = secrets.token_urlsafe(24)


async def say(session: aiohttp.ClientSession, url: str, text: str) -> None:
    """Say ``text`` in the web chat, once the bot took it (no automation answers here)."""
    async with session.get(url + "/") as page:
        assert page.status == 200
    async with session.ws_connect(url + "/webchat/socket") as socket:
        await socket.receive_json(timeout=5)  # the history
        await socket.send_json({"type": "message", "id": "m1", "text": text})
        while (await socket.receive_json(timeout=10))["type"] != "ack":
            pass


async def test_the_stop_says_it_loses_dead_letters_and_scheduled_runs() -> None:
    down = {
        "name": "crm",
        "url": f"http://127.0.0.1:{free_port()}/hook",  # nobody listens
        "secret": secrets.token_hex(16),
    }
    config = {
        "runtime_service": False,
        "services": [down],
        "delivery": {"retry_base": 0.05, "retry_cap": 0.1, "retry_horizon": 0.5},
    }
    bot = BotProcess(config=config, env={"SWITCHBOARD_ADMIN_TOKEN": ADMIN})
    await asyncio.to_thread(bot.start)
    try:
        async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as session:
            admin = {"Authorization": f"Bearer {ADMIN}"}
            body = {"name": "crm", "url": down["url"], "secret": down["secret"]}
            async with session.post(f"{bot.url}/v1/services", json=body, headers=admin) as made:
                assert made.status in (200, 201), await made.text()
                token = (await made.json())["token"]
            await say(session, bot.url, "hi")
            later = {
                "number": "web:site",
                "text": "Our sale starts tomorrow",
                "audience": {"topic": "offers"},
                "at": time.time() + 3600,
            }
            crm = {"Authorization": f"Bearer {token}"}
            async with session.post(f"{bot.url}/v1/notifications", json=later, headers=crm) as made:
                assert made.status == 202, await made.text()

            async def dead() -> bool:
                async with session.get(f"{bot.url}/metrics") as scraped:
                    text = await scraped.text()
                return 'switchboard_fanout_dead_letters{service="crm"} 0.0' not in text and (
                    'switchboard_fanout_dead_letters{service="crm"}' in text
                )

            await until(dead, 20, "the events to the service that is down dead-lettered")
    finally:
        assert await asyncio.to_thread(bot.stop) == 0
        output = bot.output()
        bot.close()
    assert "the embedded store keeps nothing past this process" in output, output
    assert "dead letters" in output and "1 notification run" in output, output
