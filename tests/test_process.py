"""``python bot.py`` as a user runs it: embedded store, real Redis across a restart, bad config."""

from __future__ import annotations

import asyncio
import collections
import os
import secrets
import signal
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest
from redis.asyncio import Redis

from tests.botprocess import BotProcess
from tests.conftest import REDIS_URL


async def chat(session: aiohttp.ClientSession, url: str, text: str) -> list[dict[str, object]]:
    """Say ``text`` in the web chat and wait for the bot's answer; the history before it."""
    async with session.get(url + "/") as page:
        assert page.status == 200
    async with session.ws_connect(url + "/webchat/socket") as socket:
        history = (await socket.receive_json(timeout=5))["messages"]
        await socket.send_json({"type": "message", "id": secrets.token_hex(4), "text": text})
        while True:
            frame = await socket.receive_json(timeout=10)
            if frame["type"] == "message" and frame["message"]["direction"] == "outbound":
                break
    messages: list[dict[str, object]] = history
    return messages


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    # Cookies of 127.0.0.1 are kept: the visitor is the same across restarts.
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as client:
        yield client


async def test_a_fresh_start_serves_the_web_chat_on_the_embedded_store(
    session: aiohttp.ClientSession,
) -> None:
    bot = BotProcess()
    await asyncio.to_thread(bot.start)
    try:
        await chat(session, bot.url, "hi")
        assert "data lives in memory only" in bot.output()
    finally:
        assert await asyncio.to_thread(bot.stop) == 0
        bot.close()


@pytest.mark.parametrize(
    ("choice", "loop"), [("", "uvloop"), ("uvloop", "uvloop"), ("asyncio", "asyncio")]
)
async def test_the_bot_serves_on_the_event_loop_chosen(
    session: aiohttp.ClientSession, choice: str, loop: str
) -> None:
    if loop == "uvloop":
        pytest.importorskip("uvloop")
    bot = BotProcess({"SWITCHBOARD_LOOP": choice})  # empty: unset, uvloop when installed
    await asyncio.to_thread(bot.start)  # ready: /readyz answered 200
    try:
        await chat(session, bot.url, "hi")
        assert f"on the embedded store and the {loop} event loop" in bot.output()
    finally:
        assert await asyncio.to_thread(bot.stop) == 0
        bot.close()


async def test_a_restart_on_redis_keeps_the_conversations(
    session: aiohttp.ClientSession, prefix: str, real_redis: object
) -> None:
    env = {"REDIS_URL": REDIS_URL, "SWITCHBOARD_KEY_PREFIX": prefix}
    config = {"automation": {"rules": [{"keywords": ["hours"], "reply": "Nine to five."}]}}
    first = BotProcess(env, config)
    await asyncio.to_thread(first.start)
    try:
        assert await chat(session, first.url, "hi") == []
    finally:
        assert await asyncio.to_thread(first.stop) == 0
        first.close()
    second = BotProcess(env, config, port=first.port)
    await asyncio.to_thread(second.start)
    try:
        history = await chat(session, second.url, "hours?")
        assert [m["text"] for m in history] == [
            "hi",
            "Hi! Thanks for getting in touch. How can we help?",
        ]
        assert "memory only" not in second.output()
    finally:
        await asyncio.to_thread(second.stop)
        second.close()


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"WHATSAPP_PHONE_NUMBER_ID": "106540352242922"}, "WhatsApp is half configured"),
        ({"PORT": "eighty"}, "PORT=eighty: must be a whole number"),
        (
            {"SWITCHBOARD_CONFIG": "/nonexistent/switchboard.yaml"},
            "/nonexistent/switchboard.yaml: cannot read the config file",
        ),
        ({"SWITCHBOARD_LOOP": "trio"}, "SWITCHBOARD_LOOP=trio"),
    ],
)
def test_a_bad_configuration_stops_the_start_with_a_clear_message(
    env: dict[str, str], message: str
) -> None:
    bot = BotProcess(env)
    with pytest.raises(RuntimeError, match="exited with 2") as failure:
        bot.start()
    assert message in str(failure.value)
    assert "Traceback" not in str(failure.value)
    bot.close()


async def two_workers(prefix: str) -> BotProcess:
    """``serve --workers 2`` on the test Redis under ``prefix``, once both serve."""
    env = {"REDIS_URL": REDIS_URL, "SWITCHBOARD_KEY_PREFIX": prefix}
    bot = BotProcess(env, args=("serve", "--workers", "2"))
    await asyncio.to_thread(bot.start)
    async with asyncio.timeout(20):
        while True:  # the second process may still be starting
            if bot.output().count("Switchboard is serving") == 2:
                break
            await asyncio.sleep(0.1)
    return bot


async def test_several_workers_share_one_port_and_the_work(
    session: aiohttp.ClientSession, prefix: str, real_redis: Redis
) -> None:
    bot = await two_workers(prefix)
    try:
        # Visitors land on either process; each gets its welcome through whichever
        # process holds its conversation's shard and whichever holds its socket.
        for _ in range(6):
            session.cookie_jar.clear()
            await chat(session, bot.url, "hi")
        # The shards are shared out: each process holds the leases of half of them.
        async with asyncio.timeout(20):
            while True:
                holders = [await real_redis.get(f"{prefix}{{lease:shard:{n}}}") for n in range(8)]
                counts = sorted(collections.Counter(holders).values())
                if None not in holders and counts == [4, 4]:
                    break
                await asyncio.sleep(0.2)
    finally:
        assert await asyncio.to_thread(bot.stop) == 0
        bot.close()


def test_several_workers_need_redis() -> None:
    bot = BotProcess(args=("serve", "--workers", "2"))
    with pytest.raises(RuntimeError, match="exited with 2") as failure:
        bot.start()
    assert "several workers need REDIS_URL" in str(failure.value)
    bot.close()


async def test_workers_stop_when_their_supervisor_is_killed(prefix: str, real_redis: Redis) -> None:
    bot = await two_workers(prefix)
    try:
        bot.kill()
        async with asyncio.timeout(20):
            while True:  # no worker is left answering on the port
                try:
                    async with aiohttp.ClientSession() as client:
                        await client.get(bot.url + "/healthz")
                except aiohttp.ClientConnectionError:
                    break
                await asyncio.sleep(0.2)
        assert bot.output().count("the supervising process is gone") == 2
    finally:
        bot.close()


def _workers_of(pid: int) -> list[int]:
    children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    return [
        int(child)
        for child in children
        if b"spawn_main" in Path(f"/proc/{child}/cmdline").read_bytes()
    ]


async def test_a_worker_that_dies_is_replaced(prefix: str, real_redis: Redis) -> None:
    bot = await two_workers(prefix)
    try:
        assert bot.process is not None
        victim = _workers_of(bot.process.pid)[0]
        os.kill(victim, signal.SIGKILL)
        async with asyncio.timeout(30):
            while True:
                if bot.output().count("Switchboard is serving") == 3:
                    break
                await asyncio.sleep(0.1)
        assert "exited with -9; starting another" in bot.output()
        assert len(_workers_of(bot.process.pid)) == 2
    finally:
        assert await asyncio.to_thread(bot.stop) == 0
        bot.close()
