"""A bot process with WhatsApp and one service on emulators, and what tests do with it:
post signed webhooks, scrape ``/metrics``, read its JSON log lines."""

from __future__ import annotations

import asyncio
import json
import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import aiohttp
import pytest

from tests.botprocess import START_TIMEOUT, BotProcess
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


@asynccontextmanager
async def whatsapp_setup(prefix: str) -> AsyncIterator[WhatsAppSetup]:
    """Emulators of the Graph API and of a service, and a bot's settings pointing at them."""
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
    try:
        yield WhatsAppSetup(
            env,
            config,
            app_secret,
            [app_secret, access_token, verify_token, sink_secret],
            sink,
            graph,
        )
    finally:
        await sink.stop()
        await graph.stop()


def json_lines(output: str) -> list[dict[str, Any]]:
    """Every line of a bot's output, each a JSON object with the fields every line has."""
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


async def post_messages(bot: BotProcess, whatsapp: WhatsAppSetup, count: int) -> None:
    """``count`` customers write once each; a connection per webhook, as Meta's are, so
    that the workers of the port share them."""
    for n in range(count):
        payload = meta.text_message(PHONE_NUMBER_ID, f"4477009{n:05d}", f"hello {n}")
        raw, headers = whatsapp.signed(payload)
        async with (
            aiohttp.ClientSession() as client,
            client.post(f"{bot.url}/webhooks/whatsapp", data=raw, headers=headers) as response,
        ):
            assert response.status == 200


async def scrape_text(bot: BotProcess) -> str:
    """``/metrics`` on a connection of its own, so that any worker of the port may answer."""
    async with aiohttp.ClientSession() as client, client.get(f"{bot.url}/metrics") as response:
        assert response.status == 200
        assert response.headers["Content-Type"].startswith("text/plain")
        return await response.text()


async def serving(bot: BotProcess, workers: int) -> None:
    async with asyncio.timeout(START_TIMEOUT):  # each worker a process to start
        while True:  # the second process may still be starting
            if bot.output().count("Switchboard is serving") == workers:
                break
            await asyncio.sleep(0.1)
