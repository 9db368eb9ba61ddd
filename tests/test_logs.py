"""Logs as an operator reads them from ``python bot.py``: JSON lines (or text), at the level
asked for, an access log line per request under its request id, and no secret in any."""

from __future__ import annotations

import asyncio
import json
import secrets
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import aiohttp
import pytest
from redis.asyncio import Redis

from tests.botprocess import BotProcess, run_command
from tests.conftest import PHONE_NUMBER_ID, REDIS_URL
from tests.emulators import meta_webhooks as meta
from tests.emulators.graph_api import GraphAPIEmulator
from tests.emulators.sink import SubscriberSink


@dataclass
class WhatsAppSetup:
    """The environment and YAML of a bot on the real Redis with WhatsApp and one service."""

    env: dict[str, str]
    config: dict[str, Any]
    app_secret: str
    secrets: list[str]
    """Every secret the bot was given: none may show in its output."""
    sink: SubscriberSink
    graph: GraphAPIEmulator

    def signed(self, payload: dict[str, Any]) -> tuple[bytes, dict[str, str]]:
        raw = meta.encode(payload)
        signature = meta.sign(self.app_secret, raw)
        self.secrets.append(signature.removeprefix("sha256="))
        return raw, {"Content-Type": "application/json", "X-Hub-Signature-256": signature}


@pytest.fixture
async def whatsapp(prefix: str, real_redis: Redis) -> AsyncIterator[WhatsAppSetup]:
    app_secret, access_token = secrets.token_hex(16), secrets.token_hex(16)
    verify_token, sink_secret = secrets.token_hex(8), secrets.token_hex(16)
    graph = GraphAPIEmulator(access_token)
    sink = SubscriberSink(sink_secret)
    env = {
        "REDIS_URL": REDIS_URL,
        "SWITCHBOARD_KEY_PREFIX": prefix,
        "WHATSAPP_PHONE_NUMBER_ID": PHONE_NUMBER_ID,
        "WHATSAPP_ACCESS_TOKEN": access_token,
        "WHATSAPP_APP_SECRET": app_secret,
        "WHATSAPP_VERIFY_TOKEN": verify_token,
        "WHATSAPP_API_BASE": await graph.start(),
        "SINK_SECRET": sink_secret,
    }
    config = {
        "services": [{"name": "support", "url": await sink.start(), "secret": "${SINK_SECRET}"}],
        "delivery": {"retry_base": 0.05, "retry_cap": 0.2, "timeout": 5},
        "automation": {"welcome": "Welcome!"},
    }
    yield WhatsAppSetup(
        env,
        config,
        app_secret,
        [app_secret, access_token, verify_token, sink_secret],
        sink,
        graph,
    )
    await sink.stop()
    await graph.stop()


def json_lines(output: str) -> list[dict[str, Any]]:
    lines = []
    for line in output.splitlines():
        try:
            parsed = json.loads(line)
        except ValueError:
            pytest.fail(f"not a JSON line: {line!r}")
        assert isinstance(parsed, dict), line
        for key in ("timestamp", "level", "logger", "event"):
            assert key in parsed, f"{key} missing in {line}"
        lines.append(parsed)
    return lines


async def test_json_lines_an_access_log_under_the_request_id_and_no_secrets(
    whatsapp: WhatsAppSetup,
) -> None:
    bot = BotProcess({**whatsapp.env, "LOG_FORMAT": "json"}, whatsapp.config)
    await asyncio.to_thread(bot.start)
    try:
        async with aiohttp.ClientSession() as client:
            # The first delivery fails: the courier's line names the service and the event.
            whatsapp.sink.fail(500, count=1)
            raw, headers = whatsapp.signed(meta.text_message(PHONE_NUMBER_ID, "447700900123", "hi"))
            headers["X-Request-Id"] = "webhook-7f3a"
            async with client.post(
                f"{bot.url}/webhooks/whatsapp", data=raw, headers=headers
            ) as response:
                assert response.status == 200
                assert response.headers["X-Request-Id"] == "webhook-7f3a"
            await whatsapp.sink.wait_for_count(1, "message.inbound")
            # For an id too long, or one that could pass for other fields, the bot makes one.
            async with client.get(
                f"{bot.url}/healthz", headers={"X-Request-Id": 'bad" status=200'}
            ) as response:
                made = response.headers["X-Request-Id"]
                assert len(made) == 32
            async with client.get(f"{bot.url}/healthz", headers={"X-Request-Id": "x" * 129}):
                pass
            handshake = {
                "hub.mode": "subscribe",
                "hub.verify_token": whatsapp.env["WHATSAPP_VERIFY_TOKEN"],
                "hub.challenge": "12345",
            }
            async with client.get(f"{bot.url}/webhooks/whatsapp", params=handshake) as response:
                assert response.status == 200
            wrong = {**headers, "X-Hub-Signature-256": "sha256=" + "0" * 64}
            async with client.post(
                f"{bot.url}/webhooks/whatsapp", data=raw, headers=wrong
            ) as response:
                assert response.status == 401
    finally:
        assert await asyncio.to_thread(bot.stop) == 0
    output = bot.output()
    bot.close()
    lines = json_lines(output)
    access = [line for line in lines if line["logger"] == "switchboard.access"]
    webhook = [line for line in access if line.get("request_id") == "webhook-7f3a"]
    assert webhook[0]["route"] == "/webhooks/whatsapp"
    assert webhook[0]["status"] == 200
    assert webhook[0]["method"] == "POST"
    assert any(line.get("request_id") == made for line in access)
    retried = [line for line in lines if "failed" in line["event"] and "support" in line["event"]]
    assert retried, "the failed delivery was not logged"
    assert retried[0]["service"] == "support"
    assert retried[0]["event_id"].startswith("evt_")
    for secret in whatsapp.secrets:
        assert secret not in output


async def test_log_level_warning_hides_the_info_lines() -> None:
    bot = BotProcess({"LOG_LEVEL": "WARNING", "LOG_FORMAT": "json"})
    await asyncio.to_thread(bot.start)
    try:
        async with aiohttp.ClientSession() as client, client.get(f"{bot.url}/healthz") as answer:
            assert answer.status == 200
    finally:
        assert await asyncio.to_thread(bot.stop) == 0
    lines = json_lines(bot.output())
    bot.close()
    assert [line["event"] for line in lines if line["level"] == "warning"] == [
        "REDIS_URL is not set: using the embedded store; data lives in memory only"
    ]
    assert {line["level"] for line in lines} == {"warning"}


async def test_text_logs_carry_the_context_on_the_events_line() -> None:
    bot = BotProcess({"LOG_FORMAT": "text"})
    await asyncio.to_thread(bot.start)
    try:
        async with aiohttp.ClientSession() as client:
            await client.get(f"{bot.url}/healthz", headers={"X-Request-Id": "r-1"})
    finally:
        assert await asyncio.to_thread(bot.stop) == 0
    output = bot.output()
    bot.close()
    assert any(
        "INFO switchboard.access: GET /healthz 200 [request_id=r-1 " in line
        for line in output.splitlines()
    ), output


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("LOG_LEVEL", "LOUD", "LOG_LEVEL must be one of DEBUG, INFO, WARNING, ERROR, CRITICAL"),
        ("LOG_FORMAT", "xml", "LOG_FORMAT must be json or text, not 'xml'"),
    ],
)
async def test_a_bad_log_setting_is_a_clear_error(variable: str, value: str, message: str) -> None:
    bot = BotProcess({variable: value})
    try:
        code, _, err = await run_command(bot.env, "serve")
    finally:
        bot.close()
    assert code == 2
    assert message in err
    assert "Traceback" not in err
