"""Checks that the offline emulators speak the wire formats they claim to."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import os
import secrets
import signal
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import pytest_asyncio

from tests.emulators import meta_webhooks as mw
from tests.emulators.graph_api import GraphAPIEmulator
from tests.emulators.sink import SubscriberSink, signature_header

PHONE_ID = "106540352242922"
USER = "16505551234"
REPO_ROOT = Path(__file__).resolve().parent.parent


@pytest_asyncio.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


@pytest_asyncio.fixture
async def graph() -> AsyncIterator[GraphAPIEmulator]:
    async with GraphAPIEmulator(secrets.token_hex(16)) as emulator:
        yield emulator


@pytest_asyncio.fixture
async def sink() -> AsyncIterator[SubscriberSink]:
    async with SubscriberSink(secrets.token_hex(16)) as server:
        yield server


def _value(payload: mw.Payload) -> dict[str, Any]:
    value: dict[str, Any] = payload["entry"][0]["changes"][0]["value"]
    return value


async def _send(
    http: aiohttp.ClientSession, graph: GraphAPIEmulator, body: Any, token: str | None = None
) -> tuple[int, dict[str, Any], dict[str, str]]:
    headers = {"Authorization": f"Bearer {graph.access_token if token is None else token}"}
    url = f"{graph.base_url}/{PHONE_ID}/messages"
    async with http.post(url, json=body, headers=headers) as resp:
        return resp.status, await resp.json(), dict(resp.headers)


def test_sign_matches_hand_computed_hmac() -> None:
    secret = secrets.token_hex(16)
    raw = mw.encode(mw.text_message(PHONE_ID, USER, "olá ☕"))
    expected = "sha256=" + hmac.new(secret.encode(), raw, hashlib.sha256).hexdigest()
    assert mw.sign(secret, raw) == expected
    assert b"\\u00e1" in raw  # non-ASCII is escaped, as in Meta's bytes


def test_inbound_payload_shapes() -> None:
    payload = mw.text_message(PHONE_ID, USER, "hi", msg_id="wamid.X", timestamp=1700000000)
    assert payload["object"] == "whatsapp_business_account"
    change = payload["entry"][0]["changes"][0]
    assert change["field"] == "messages"
    value = change["value"]
    assert value["metadata"]["phone_number_id"] == PHONE_ID
    assert value["contacts"] == [{"profile": {"name": "Ann"}, "wa_id": USER}]
    assert value["messages"] == [
        {
            "from": USER,
            "id": "wamid.X",
            "timestamp": "1700000000",
            "type": "text",
            "text": {"body": "hi"},
        }
    ]

    button = _value(mw.button_reply(PHONE_ID, USER, "yes", "Yes"))["messages"]
    assert button[0]["interactive"] == {
        "type": "button_reply",
        "button_reply": {"id": "yes", "title": "Yes"},
    }
    assert button[0]["context"]["id"].startswith("wamid.")

    unsupported = _value(mw.unsupported_message(PHONE_ID, USER))["messages"]
    assert unsupported[0]["type"] == "unsupported"
    assert unsupported[0]["errors"][0]["code"] == 131051


def test_status_and_batch_shapes() -> None:
    sent = _value(mw.status_update(PHONE_ID, "wamid.A", USER, "sent"))
    assert "messages" not in sent and "contacts" not in sent
    assert sent["statuses"][0]["pricing"]["pricing_model"] == "PMP"
    failed = _value(mw.status_update(PHONE_ID, "wamid.A", USER, "failed"))["statuses"]
    assert failed[0]["errors"][0]["code"] == 131047

    merged = _value(
        mw.batch(
            mw.text_message(PHONE_ID, USER, "one"),
            mw.text_message(PHONE_ID, USER, "two"),
            mw.status_update(PHONE_ID, "wamid.A", USER, "read"),
        )
    )
    assert [m["text"]["body"] for m in merged["messages"]] == ["one", "two"]
    assert len(merged["contacts"]) == 1
    assert len(merged["statuses"]) == 1
    with pytest.raises(ValueError):
        mw.batch(mw.text_message(PHONE_ID, USER, "a"), mw.text_message("other", USER, "b"))


TEXT = {"messaging_product": "whatsapp", "to": USER, "type": "text", "text": {"body": "x"}}


async def test_graph_accepts_valid_send(
    graph: GraphAPIEmulator, http: aiohttp.ClientSession
) -> None:
    status, answer, _ = await _send(http, graph, {**TEXT, "to": "+1 650-555-1234"})
    assert status == 200
    assert answer["messaging_product"] == "whatsapp"
    assert answer["contacts"] == [{"input": "+1 650-555-1234", "wa_id": USER}]
    assert answer["messages"][0]["id"].startswith("wamid.")
    (sent,) = await graph.wait_for_sent(1)
    assert sent.phone_number_id == PHONE_ID
    assert sent.message_id == answer["messages"][0]["id"]
    assert sent.text == "x"

    status, answer, _ = await _send(
        http, graph, {"messaging_product": "whatsapp", "status": "read", "message_id": "wamid.Q"}
    )
    assert (status, answer) == (200, {"success": True})
    assert graph.marked_read == ["wamid.Q"] and len(graph.sent) == 1


async def test_graph_rejects_bad_token_and_bad_body(
    graph: GraphAPIEmulator, http: aiohttp.ClientSession
) -> None:
    for token in ("wrong", ""):
        status, answer, _ = await _send(http, graph, TEXT, token=token)
        assert status == 401
        assert answer["error"]["code"] == 190 and answer["error"]["type"] == "OAuthException"
        assert answer["error"]["fbtrace_id"]

    status, answer, _ = await _send(http, graph, {"to": USER, "text": {"body": "x"}})
    assert (status, answer["error"]["code"]) == (400, 100)
    status, _, _ = await _send(http, graph, {**TEXT, "text": {"body": "x" * 4097}})
    assert status == 400
    buttons = [{"type": "reply", "reply": {"id": "a", "title": "t" * 21}}]
    interactive = {"type": "button", "body": {"text": "pick"}, "action": {"buttons": buttons}}
    status, answer, _ = await _send(
        http, graph, {**TEXT, "type": "interactive", "interactive": interactive}
    )
    assert (status, answer["error"]["code"]) == (400, 131009)
    assert graph.sent == []
    assert [r.status for r in graph.requests] == [401, 401, 400, 400, 400]


async def test_graph_takes_media_and_templates_in_metas_shapes(
    graph: GraphAPIEmulator, http: aiohttp.ClientSession
) -> None:
    base = {"messaging_product": "whatsapp", "to": USER}
    parameters = [{"type": "text", "text": "A-1"}]
    template = {
        "name": "order_update",
        "language": {"code": "en"},
        "components": [{"type": "body", "parameters": parameters}],
    }
    good = [
        {"type": "image", "image": {"link": "https://e.com/a.png", "caption": "c"}},
        {"type": "document", "document": {"id": "1037", "filename": "a.pdf"}},
        {"type": "audio", "audio": {"link": "https://e.com/a.ogg"}},
        {"type": "template", "template": template},
    ]
    for body in good:
        status, answer, _ = await _send(http, graph, {**base, **body})
        assert status == 200, answer
    bad = [
        {"type": "image", "image": {"link": "https://e.com/a.png", "id": "1"}},
        {"type": "audio", "audio": {"link": "https://e.com/a.ogg", "caption": "c"}},
        {"type": "image", "image": {"link": "https://e.com/a.png", "filename": "a.png"}},
        {"type": "image", "image": {"link": "https://e.com/a.png", "caption": "c" * 1025}},
        {"type": "template", "template": {**template, "components": {"type": "body"}}},
        {
            "type": "template",
            "template": {
                **template,
                "components": [{"type": "body", "parameters": [{"type": "text", "text": ""}]}],
            },
        },
    ]
    for body in bad:
        status, answer, _ = await _send(http, graph, {**base, **body})
        assert status == 400, body
    await graph.wait_for_sent(len(good))
    assert [sent.type for sent in graph.sent] == ["image", "document", "audio", "template"]
    assert graph.sent[3].body["template"] == template


async def test_graph_fail_next_then_success(
    graph: GraphAPIEmulator, http: aiohttp.ClientSession
) -> None:
    graph.fail_next(1, retry_after=2)
    graph.fail_next(1, status=500, code=131000)
    status, answer, headers = await _send(http, graph, TEXT)
    assert (status, headers["Retry-After"]) == (429, "2")
    assert answer["error"]["code"] == 130429
    assert answer["error"]["message"] == "(#130429) Rate limit hit"
    status, answer, _ = await _send(http, graph, TEXT)
    assert (status, answer["error"]["code"]) == (500, 131000)
    assert graph.sent == []
    status, _, _ = await _send(http, graph, TEXT)
    assert status == 200
    assert len(graph.sent) == 1 and len(graph.requests) == 3


async def _deliver(
    http: aiohttp.ClientSession,
    sink: SubscriberSink,
    *,
    secret: str | None = None,
    timestamp: int | None = None,
    event_id: str | None = None,
    client_timeout: float | None = None,
) -> int:
    event_id = event_id or f"evt_{secrets.token_hex(8)}"
    raw = json.dumps({"id": event_id, "type": "message.inbound", "timestamp": time.time()}).encode()
    headers = {
        "Content-Type": "application/json",
        "Switchboard-Signature": signature_header(secret or sink.secret, raw, timestamp=timestamp),
        "Switchboard-Event-Id": event_id,
    }
    limit = aiohttp.ClientTimeout(total=client_timeout)
    async with http.post(sink.url, data=raw, headers=headers, timeout=limit) as resp:
        return resp.status


async def test_sink_accepts_signed_and_rejects_forged(
    sink: SubscriberSink, http: aiohttp.ClientSession
) -> None:
    assert await _deliver(http, sink, event_id="evt_1") == 200
    assert await _deliver(http, sink, secret=secrets.token_hex(16)) == 401
    assert await _deliver(http, sink, timestamp=int(time.time()) - 3600) == 401
    await sink.wait_for_count(1, type="message.inbound")
    assert sink.event_ids() == {"evt_1"}
    assert sink.deliveries[0].headers["Switchboard-Event-Id"] == "evt_1"
    assert [r.reason for r in sink.rejected] == [
        "signature mismatch",
        "timestamp outside tolerance",
    ]


async def test_sink_fail_and_heal(sink: SubscriberSink, http: aiohttp.ClientSession) -> None:
    sink.fail(503, count=2)
    assert [await _deliver(http, sink) for _ in range(3)] == [503, 503, 200]
    sink.fail()
    assert await _deliver(http, sink) == 500
    sink.heal()
    assert await _deliver(http, sink) == 200
    assert sink.failed_attempts == 3
    assert len(sink.deliveries) == 2


async def test_sink_stall_outlasts_sender_timeout(
    sink: SubscriberSink, http: aiohttp.ClientSession
) -> None:
    sink.stall(0.5)
    with pytest.raises(asyncio.TimeoutError):
        await _deliver(http, sink, client_timeout=0.1)
    await asyncio.sleep(0.6)
    assert sink.deliveries == [] and sink.abandoned == 1
    started = time.monotonic()
    assert await _deliver(http, sink) == 200
    assert time.monotonic() - started >= 0.4
    sink.heal()
    with pytest.raises(TimeoutError, match="wanted 5"):
        await sink.wait_for_count(5, timeout=0.05)


async def test_sink_standalone_process(http: aiohttp.ClientSession) -> None:
    secret = secrets.token_hex(16)
    env = {**os.environ, "SINK_SECRET": secret}
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "tests.emulators.sink",
        "--port",
        "0",
        "--secret-env",
        "SINK_SECRET",
        cwd=REPO_ROOT,
        env=env,
        stdout=asyncio.subprocess.PIPE,
    )
    try:
        assert proc.stdout is not None
        line = (await asyncio.wait_for(proc.stdout.readline(), 10)).decode().split()
        assert line[0] == "READY"
        standalone = SubscriberSink(secret)
        standalone.url = line[1]
        assert await _deliver(http, standalone, event_id="evt_a") == 200
        assert await _deliver(http, standalone, event_id="evt_a") == 200
        stats_url = line[1].replace("/hook", "/stats")
        async with http.get(stats_url, params={"detail": "1"}) as resp:
            stats = await resp.json()
        assert stats["deliveries"] == 2 and stats["unique"] == 1 and stats["rejected"] == 0
        assert set(stats["received"]) == {"evt_a"}
    finally:
        proc.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(proc.wait(), 10) == 0
