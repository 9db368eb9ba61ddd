"""The /v1 service API as a calling service sees it: tokens, scope, and secrets kept.

Also the helpers of the other ``test_api_*`` files: one WhatsApp number shared by support
(the parent), sales and marketing, each with a sink and an API token.
"""

from __future__ import annotations

import json
import logging
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from aiohttp.web_exceptions import NotAppKeyWarning
from aiohttp.web_request import BaseRequest

from tests.conftest import Bot, BotFactory
from tests.emulators import meta_webhooks as meta
from tests.emulators.graph_api import GraphAPIEmulator
from tests.emulators.sink import SubscriberSink

WA_ID = "447911123456"
THREE = ("support", "sales", "marketing")
WELCOME = "Support here, how can we help?"
SUPPORT_AUTOMATION: dict[str, Any] = {"welcome": WELCOME, "rules": []}


@dataclass(frozen=True)
class Answer:
    """An API response as the caller received it, bytes included."""

    status: int
    content_type: str
    raw: bytes

    @property
    def json(self) -> dict[str, Any]:
        document: dict[str, Any] = json.loads(self.raw)
        return document

    @property
    def error(self) -> str:
        """The refusal's ``error``; it must be a JSON object, whatever the status."""
        assert self.content_type.startswith("application/json"), self.raw[:200]
        message = self.json["error"]
        assert isinstance(message, str) and message
        return message


async def call(
    bot: Bot,
    token: str | None,
    method: str,
    path: str,
    body: Any = None,
    *,
    data: Any = None,
    headers: dict[str, str] | None = None,
) -> Answer:
    """One API call with ``Authorization: Bearer <token>`` (no header when token is None)."""
    sent = dict(headers or {})
    if token is not None:
        sent["Authorization"] = f"Bearer {token}"
    if body is not None:
        data = json.dumps(body).encode()
        sent.setdefault("Content-Type", "application/json")
    async with bot.client.request(method, path, data=data, headers=sent) as response:
        raw = await response.read()
        return Answer(response.status, response.headers.get("Content-Type", ""), raw)


@dataclass
class Shared:
    """The WhatsApp number shared by support (parent), sales and marketing, one customer in."""

    bot: Bot
    tokens: dict[str, str]
    conversation: str

    @property
    def number(self) -> str:
        return f"wa:{self.bot.phone_number_id}"

    @property
    def graph(self) -> GraphAPIEmulator:
        assert self.bot.graph is not None
        return self.bot.graph

    def path(self, action: str = "", conversation: str = "") -> str:
        base = f"/v1/conversations/{conversation or self.conversation}"
        return f"{base}/{action}" if action else base

    async def call(self, caller: str, method: str, path: str, body: Any = None) -> Answer:
        return await call(self.bot, self.tokens[caller], method, path, body)

    async def reply(
        self, caller: str, text: str, agent: str = "", conversation: str = ""
    ) -> Answer:
        body = {"text": text, "agent": agent}
        return await self.call(caller, "POST", self.path("messages", conversation), body)

    def texts_sent(self) -> list[str | None]:
        return [sent.text for sent in self.graph.sent]


async def say(bot: Bot, text: str, wa_id: str = WA_ID, *, timestamp: int | None = None) -> None:
    """The customer writes on WhatsApp; returns once the bot has processed it."""
    payload = meta.text_message(bot.phone_number_id, wa_id, text, timestamp=timestamp)
    response = await bot.post_whatsapp(payload)
    assert response.status == 200
    await bot.settle()


async def shared_number(make_bot: BotFactory, **overrides: Any) -> Shared:
    """Three services on the number, each with a token; the customer has said hello."""
    bot = await make_bot(
        services=THREE,
        automations={"support": SUPPORT_AUTOMATION},
        runtime_service=False,
        **overrides,
    )
    tokens = {name: await bot.runtime.directory.define_token(name) for name in THREE}
    await say(bot, "hello")
    assert bot.graph is not None
    await bot.graph.wait_for_sent(1)  # the parent's welcome; replies come after it
    return Shared(bot, tokens, bot.conversation(WA_ID))


async def wait_for_event(
    sink: SubscriberSink, type: str, match: Callable[[dict[str, Any]], bool] = lambda _: True
) -> dict[str, Any]:
    """The first event of ``type`` whose data satisfies ``match``, once it has arrived."""

    def found() -> list[dict[str, Any]]:
        return [event for event in sink.events(type) if match(event["data"])]

    await sink.wait_for(lambda _: bool(found()), timeout=5)
    return found()[0]


def all_bytes(sink: SubscriberSink) -> bytes:
    """Everything a service was sent, body by body, the deliveries it refused included."""
    bodies = [delivery.raw_body for delivery in sink.deliveries]
    return b"\n".join(bodies + [rejection.raw_body for rejection in sink.rejected])


# --- Authentication ----------------------------------------------------------------


def routes(shared: Shared) -> list[tuple[str, str, Any]]:
    """One call of each route; the writes among them would change something if let through."""
    return [
        ("GET", "/v1/numbers", None),
        ("GET", "/v1/conversations", None),
        ("GET", shared.path(), None),
        ("POST", shared.path("messages"), {"text": "let me in", "agent": "eve"}),
        ("POST", shared.path("claim"), {"agent": "eve"}),
        ("POST", shared.path("release"), {"agent": "eve"}),
        ("POST", "/v1/notifications", {"conversation_id": shared.conversation, "text": "hi"}),
        ("POST", "/v1/events", {"type": "ticket.created", "number": shared.number}),
        ("POST", "/v1/services", {"name": "eve", "url": "http://127.0.0.1:9/", "secret": "s"}),
        ("DELETE", "/v1/services/sales", None),
    ]


BAD_AUTHORIZATION: dict[str, Callable[[str], str | None]] = {
    "missing": lambda _: None,
    "wrong token": lambda _: "Bearer sbt_" + "x" * 43,
    "empty bearer": lambda _: "Bearer ",
    "no scheme": lambda valid: valid,
    "basic scheme": lambda valid: f"Basic {valid}",
    "token twice": lambda valid: f"Bearer {valid} {valid}",
}


@pytest.mark.parametrize("kind", list(BAD_AUTHORIZATION))
async def test_calls_without_a_valid_bearer_token_get_401(make_bot: BotFactory, kind: str) -> None:
    shared = await shared_number(make_bot, admin_token="admin-" + "a" * 32)
    # The real token in the wrong shape must fail too: the header is parsed, not grepped.
    header = BAD_AUTHORIZATION[kind](shared.tokens["sales"])
    for method, path, body in routes(shared):
        headers = {} if header is None else {"Authorization": header}
        answer = await call(shared.bot, None, method, path, body, headers=headers)
        assert answer.status == 401, (method, path, answer.raw)
        assert answer.error
    await shared.bot.settle()
    assert shared.texts_sent() == [WELCOME]
    assert await shared.bot.runtime.claims.holder(shared.conversation) is None
    assert await shared.bot.runtime.services.order(shared.number) == list(THREE)
    assert await shared.bot.runtime.services.get("eve") is None


async def test_a_new_token_stops_the_one_before(make_bot: BotFactory) -> None:
    shared = await shared_number(make_bot)
    old = shared.tokens["sales"]
    assert (await call(shared.bot, old, "GET", "/v1/numbers")).status == 200
    new = await shared.bot.runtime.directory.define_token("sales")
    refused = await call(shared.bot, old, "POST", shared.path("messages"), {"text": "hi"})
    assert refused.status == 401 and refused.error
    assert (await call(shared.bot, old, "GET", shared.path())).status == 401
    assert (await call(shared.bot, new, "GET", shared.path())).status == 200
    # The other services' tokens are theirs alone and are untouched by sales' rotation.
    assert (await shared.call("support", "GET", "/v1/numbers")).status == 200


async def test_the_first_call_of_a_fresh_process_is_not_refused(
    make_bot: BotFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    shared = await shared_number(make_bot)
    # aiohttp warns of a plain str request key once per process, and remembers that here:
    # forgetting it makes this call the first, whatever ran before in this process.
    monkeypatch.setattr(BaseRequest, "_seen_str_keys", set())
    with warnings.catch_warnings():
        warnings.simplefilter("error", NotAppKeyWarning)  # as under python -W error
        answer = await shared.call("sales", "GET", "/v1/numbers")
    assert answer.status == 200, answer.raw


# --- Scope: a service sees only the numbers it is attached to ------------------------


async def test_numbers_lists_the_callers_numbers_with_their_parent(make_bot: BotFactory) -> None:
    shared = await shared_number(make_bot)
    detached = await shared.call(
        "marketing", "DELETE", f"/v1/services/marketing?number={shared.number}"
    )
    assert detached.status == 200
    everything = {"web:site", shared.number}
    sales = (await shared.call("sales", "GET", "/v1/numbers")).json["numbers"]
    assert {item["number"] for item in sales} == everything
    for item in sales:
        assert item["parent"] == "support"
    wa = next(item for item in sales if item["number"] == shared.number)
    assert wa["services"] == ["support", "sales"]
    marketing = (await shared.call("marketing", "GET", "/v1/numbers")).json["numbers"]
    assert [(item["number"], item["parent"]) for item in marketing] == [("web:site", "support")]


async def test_another_numbers_conversation_is_as_unknown_as_a_made_up_one(
    make_bot: BotFactory,
) -> None:
    shared = await shared_number(make_bot)
    await shared.bot.runtime.fanout.publish(
        await shared.bot.runtime.directory.detach(shared.number, "marketing")
    )
    made_up = "c_" + "0" * 20
    for conversation in (made_up, shared.conversation):
        for method, path, body in [
            ("GET", shared.path(conversation=conversation), None),
            ("POST", shared.path("messages", conversation), {"text": "psst", "agent": "mo"}),
            ("POST", shared.path("claim", conversation), {"agent": "mo"}),
            ("POST", shared.path("release", conversation), {"agent": "mo"}),
            ("POST", "/v1/notifications", {"conversation_id": conversation, "text": "psst"}),
        ]:
            answer = await shared.call("marketing", method, path, body)
            assert answer.status == 404, (conversation, method, path, answer.raw)
            assert answer.error
            assert WA_ID not in answer.raw.decode()  # not even the customer's number leaks
    # Nor is the number: asking for its workflows is a 404, which does not name its parent.
    trigger = {"type": "ticket.created", "number": shared.number}
    unknown = await shared.call("marketing", "POST", "/v1/events", trigger)
    assert unknown.status == 404 and "support" not in unknown.error
    listed = (await shared.call("marketing", "GET", "/v1/conversations")).json
    assert listed["conversations"] == []
    own = (await shared.call("sales", "GET", "/v1/conversations")).json["conversations"]
    assert [item["id"] for item in own] == [shared.conversation]
    await shared.bot.settle()
    assert shared.texts_sent() == [WELCOME]
    assert await shared.bot.runtime.claims.holder(shared.conversation) is None


# --- Secrets: a token is shown once, and never again, nor in logs -------------------


async def _values(shared: Shared) -> bytes:
    """Every value stored under this test's prefix, as one blob to search."""
    redis = shared.bot.runtime.redis
    blob: list[str] = []
    async for key in redis.scan_iter(match=f"{shared.bot.runtime.settings.key_prefix}*"):
        kind = await redis.type(key)
        if kind == "string":
            blob.append(str(await redis.get(key)))
        elif kind == "hash":
            blob.append(json.dumps(await redis.hgetall(key)))
        elif kind == "list":
            blob.append(json.dumps(await redis.lrange(key, 0, -1)))
        elif kind == "set":
            blob.append(json.dumps(sorted(await redis.smembers(key))))
        elif kind == "zset":
            blob.append(json.dumps(await redis.zrange(key, 0, -1)))
        elif kind == "stream":
            blob.append(json.dumps(await redis.xrange(key)))
        blob.append(str(key))
    return "\n".join(blob).encode()


async def test_a_token_is_shown_once_and_never_again(
    make_bot: BotFactory, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    admin = "admin-" + "b" * 32
    shared = await shared_number(make_bot, admin_token=admin)
    async with SubscriberSink("crm-signing-secret-" + "c" * 16) as crm:
        attach = {"name": "crm", "url": crm.url, "secret": crm.secret, "numbers": [shared.number]}
        created = await call(shared.bot, admin, "POST", "/v1/services", attach)
        assert created.status == 201
        token = created.json["token"]
        assert isinstance(token, str) and len(token) >= 32
        answers: list[Answer] = [
            await call(shared.bot, token, "GET", "/v1/numbers"),
            await call(shared.bot, token, "GET", "/v1/conversations"),
            await call(shared.bot, token, "GET", shared.path()),
            await call(shared.bot, token, "POST", shared.path("claim"), {"agent": "cy"}),
            await call(shared.bot, token, "POST", shared.path("messages"), {"text": "hi"}),
            await call(shared.bot, token, "POST", shared.path("release"), {"agent": "cy"}),
        ]
        assert [answer.status for answer in answers] == [200, 200, 200, 200, 201, 200]
        again = await call(shared.bot, admin, "POST", "/v1/services", attach)
        assert again.status == 201 and "token" not in again.json
        answers += [
            again,
            await call(shared.bot, token, "GET", shared.path()),
            await call(shared.bot, token, "POST", "/v1/notifications", {"conversation_id": "x"}),
            await call(shared.bot, token, "GET", "/v1/services"),
            await call(shared.bot, admin, "GET", "/v1/numbers"),
            await call(shared.bot, admin, "GET", "/v1/conversations"),
        ]
        # crm hears of its own claim before it leaves, so its webhooks are searched too.
        await crm.wait_for_count(1, type="conversation.released")
        answers += [
            await call(shared.bot, token, "DELETE", "/v1/services/crm"),
            await call(shared.bot, token, "GET", "/v1/numbers"),
        ]
        for answer in answers:
            for secret in (token, crm.secret, admin):
                assert secret.encode() not in answer.raw, answer.raw[:200]
        assert token.encode() not in await _values(shared)  # kept as its hash only
        await shared.bot.stop()  # everything it would log, it has logged
        for secret in (token, admin):
            assert secret not in caplog.text
            assert secret.encode() not in all_bytes(crm)
