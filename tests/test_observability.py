"""Logs and metrics as an operator reads them from ``python bot.py``: JSON lines (or text)
at the level asked for, an access log line per request under its request id, no secret in
any; ``/metrics`` typed and documented (tests/test_issues/ has the one scrape that counts
every worker's work)."""

from __future__ import annotations

import asyncio
import io
import json
import logging
import os
import secrets
import sys
from pathlib import Path

import aiohttp
import pytest
from prometheus_client.parser import text_string_to_metric_families

from bot.logs import JSONFormatter, Redactor, TextFormatter, log_settings, secrets_in
from tests.botprocess import BotProcess, run_command
from tests.conftest import PHONE_NUMBER_ID
from tests.emulators import meta_webhooks as meta
from tests.scrape import total
from tests.test_crash import wait_until
from tests.whatsapp_process import (
    WhatsAppSetup,
    json_lines,
    post_messages,
    scrape_text,
    serving,
)


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


async def test_metrics_are_typed_histograms_after_a_webhook_is_fanned_out(
    whatsapp: WhatsAppSetup,
) -> None:
    bot = BotProcess(whatsapp.env, whatsapp.config)
    await asyncio.to_thread(bot.start)
    try:
        await post_messages(bot, whatsapp, 2)
        await whatsapp.sink.wait_for_count(2, "message.inbound")
        await whatsapp.graph.wait_for_sent(2)  # the welcome of each
        await whatsapp.sink.wait_for_count(2, "message.outbound")
        text = ""

        async def settled() -> str:
            # A finished delivery leaves the queue with the fan-out's next read, or
            # within 50 ms when none comes.
            nonlocal text
            text = await scrape_text(bot)
            queued = total(text, "fanout_queue", service="support")
            return f"{queued:g} deliveries still queued" if queued else ""

        await wait_until(settled, timeout=5)
    finally:
        assert await asyncio.to_thread(bot.stop) == 0
        bot.close()
    families = {family.name: family for family in text_string_to_metric_families(text)}
    for family in families.values():
        assert f"# HELP {family.name}" in text or f"# HELP {family.name}_total" in text
        assert family.documentation, family.name
    for name in (
        "switchboard_webhook_seconds",
        "switchboard_pipeline_batch_seconds",
        "switchboard_fanout_attempt_seconds",
        "switchboard_fanout_lag_seconds",
        "switchboard_send_call_seconds",
    ):
        assert families[name].type == "histogram", name
    assert total(text, "webhook_seconds_count", channel="whatsapp", status="200") == 2
    assert total(text, "pipeline_batch_seconds_count") >= 1
    assert total(text, "fanout_attempt_seconds_count", service="support") >= 4
    assert total(text, "fanout_delivered_total", service="support") >= 4
    assert total(text, "send_call_seconds_count", channel="whatsapp", outcome="sent") == 2
    assert total(text, "sends_total", channel="whatsapp", outcome="sent") == 2
    assert total(text, "inbound_accepted_total") == 2
    assert total(text, "fanout_queue", service="support") == 0
    assert total(text, "fanout_dead_letters", service="support") == 0
    assert total(text, "inbound_dead_letters") == 0
    assert families["switchboard_fanout_queue"].type == "gauge"


async def test_several_workers_keep_their_metrics_in_a_directory_of_their_own(
    whatsapp: WhatsAppSetup,
) -> None:
    bot = BotProcess({**whatsapp.env, "LOG_FORMAT": "json"}, args=("serve", "--workers", "2"))
    await asyncio.to_thread(bot.start)
    try:
        await serving(bot, 2)
        assert total(await scrape_text(bot), "inbound_accepted_total") == 0
    finally:
        assert await asyncio.to_thread(bot.stop) == 0
    lines = json_lines(bot.output())
    bot.close()
    [kept] = [line for line in lines if line["event"].startswith("the workers keep their metrics")]
    made = kept["event"].rsplit(" ", 1)[1]
    assert not await asyncio.to_thread(os.path.exists, made)  # removed once they stopped


def test_secrets_of_the_environment_never_show_in_a_line() -> None:
    secret, password = secrets.token_hex(16), secrets.token_hex(12)
    environ = {
        "SINK_SECRET": secret,
        "REDIS_URL": f"redis://bot:{password}@127.0.0.1:6379/0",
        "SWITCHBOARD_KEY_PREFIX": "sb:shop:",
        "PUBLIC_URL": "https://[bad",
    }
    redact = Redactor(secrets_in(environ))
    try:
        raise ConnectionError(f"could not reach redis://bot:{password}@127.0.0.1")
    except ConnectionError:
        record = logging.LogRecord(
            "switchboard", logging.ERROR, __file__, 1, "POST %s", ("/hook?key=" + secret,), None
        )
        record.exc_info = sys.exc_info()
    for formatter in (JSONFormatter(redact), TextFormatter(redact)):
        line = formatter.format(record)
        assert secret not in line
        assert password not in line
        assert "/hook?key=[redacted]" in line
    assert "sb:shop:" not in redact.secrets


def test_a_json_line_carries_any_value_it_is_given() -> None:
    """Values orjson refuses or does not know are written all the same, one line each."""
    record = logging.LogRecord("switchboard", logging.INFO, __file__, 1, "odd %s", ("é",), None)
    record.big = 2**70
    record.keys = {1: "one"}
    record.lone = "\ud800"
    record.path = Path("/tmp/x")
    line = JSONFormatter().format(record)
    assert "\n" not in line
    parsed = json.loads(line)
    assert parsed["event"] == "odd é" and parsed["big"] == 2**70
    assert parsed["keys"] == {"1": "one"} and parsed["path"] == "/tmp/x"
    assert parsed["timestamp"].endswith("Z") and parsed["pid"] == os.getpid()
    plain = logging.LogRecord("switchboard", logging.INFO, __file__, 1, "at %d", (1,), None)
    plain.created = 1796331777.5
    assert json.loads(JSONFormatter().format(plain))["timestamp"] == "2026-12-03T21:02:57.500Z"


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_the_format_is_text_on_a_terminal_and_json_elsewhere_unless_chosen() -> None:
    assert log_settings({}, _Terminal()) == (logging.INFO, "text")
    assert log_settings({}, io.StringIO()) == (logging.INFO, "json")
    assert log_settings({"LOG_FORMAT": "JSON"}, _Terminal()) == (logging.INFO, "json")
    assert log_settings({"LOG_LEVEL": "warning"}, io.StringIO()) == (logging.WARNING, "json")


def test_a_new_request_id_is_new_in_every_process_forked_from_this_one() -> None:
    """A made-up request id names one request's lines: 32 hex digits, never one that
    another request got, here or in a worker forked from this process (``serve
    --workers``)."""
    from aiohttp.test_utils import make_mocked_request

    from bot.http.access import request_id

    def ids(count: int) -> list[str]:
        return [request_id(make_mocked_request("GET", "/healthz")) for _ in range(count)]

    reader, writer = os.pipe()
    child = os.fork()
    if child == 0:  # the forked worker: its ids, to the parent
        os.close(reader)
        os.write(writer, "\n".join(ids(100)).encode())
        os._exit(0)
    os.close(writer)
    mine = ids(100)
    with os.fdopen(reader) as pipe:
        theirs = pipe.read().split("\n")
    os.waitpid(child, 0)
    assert len(theirs) == 100
    assert all(len(made) == 32 and int(made, 16) >= 0 for made in mine + theirs)
    assert len(set(mine) | set(theirs)) == 200
