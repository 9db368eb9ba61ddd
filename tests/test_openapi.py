"""The OpenAPI document: it lists every /v1 route and the public tracking routes, is served
as is, is well formed, and describes the answers and the webhook events the runtime really
produces."""

from __future__ import annotations

import asyncio
import io
import json
import re
import secrets
import time
from collections.abc import AsyncIterator, Iterator, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from bot.config.settings import Settings, SMSSettings
from bot.core.lifecycle import merged_event
from bot.core.records import inbound_event, inbound_record, status_event
from bot.core.redaction import erased, render
from bot.core.sender import outbound_event, send_status_event
from bot.http.tracking import VISITOR_COOKIE
from bot.model import (
    ContactCard,
    ContactPhone,
    Identity,
    Inbound,
    Location,
    Outbound,
    Reaction,
    Service,
    StatusUpdate,
)
from bot.runtime import Runtime
from stores.profile_records import Merge
from tests.botprocess import free_port
from tests.conftest import REDIS_URL, BotFactory
from tests.emulators import meta_webhooks as meta
from tests.emulators.twilio_api import TwilioEmulator
from tests.test_api import call as api_call
from tests.test_api import shared_number, wait_for_event

ROOT = Path(__file__).resolve().parent.parent
SERVED = ROOT / "bot" / "api" / "openapi.json"
COPY = ROOT / "docs" / "openapi.json"
OPENAPI_PATH = "/v1/openapi.json"
METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
ERROR_STATUS = re.compile(r"[45]\d\d|[45]XX")
PUBLIC = (
    "/l/",
    "/t/",
    "/media/",
    "/widget",
    "/webchat/",
    "/live",
    "/webhooks/",
    "/healthz",
    "/readyz",
    "/metrics",
)
"""The public routes, outside /v1 and without an API token: tracked links, web activity,
files by their signed URLs, the web chat's widget, its visitor token and its socket, the
live view (its page, and its calls made with a live token), the channels' webhooks and the
operator's probes."""
LIVE_API = "/live/api/"
"""The live page's calls: a live token, not a service's."""
PAGES = {"/live"}
"""Routes that answer HTML, refusals included."""
PROFILE_TAGS = {"profiles", "tracking"}
"""Routes driven by the profile test; the first test drives the routes of no such tag."""
NOTIFICATION_TAGS = {"notifications"}
"""Routes driven by the notifications test."""
SEQUENCE_TAGS = {"sequences"}
"""Routes driven by the drip sequences' test (tests/test_sequences.py)."""
WEBCHAT_TAGS = {"webchat"}
"""Routes driven by the web chat test."""
LIVE_TAGS = {"live"}
"""Routes driven by the live view test."""
MEDIA_TAGS = {"media"}
"""Routes driven by the media test."""
EDGE_TAGS = {"channels", "operations"}
"""Routes driven by the channels' and the operator's test."""
SEPARATE_TAGS = (
    PROFILE_TAGS
    | NOTIFICATION_TAGS
    | SEQUENCE_TAGS
    | WEBCHAT_TAGS
    | LIVE_TAGS
    | MEDIA_TAGS
    | EDGE_TAGS
)
PROFILE_EVENTS = {"profile.merged", "profile.erased"}


def load() -> dict[str, Any]:
    document: dict[str, Any] = json.loads(COPY.read_text(encoding="utf-8"))
    return document


def operations(document: dict[str, Any]) -> Iterator[tuple[str, str, str, dict[str, Any]]]:
    """(section, path or webhook name, method, operation) of paths and webhooks."""
    for section in ("paths", "webhooks"):
        for name, item in document.get(section, {}).items():
            for method, operation in item.items():
                if method in METHODS:
                    yield section, name, method, operation


def documented_routes(
    document: dict[str, Any], tagged: bool | None = None, tags: set[str] = PROFILE_TAGS
) -> set[tuple[str, str]]:
    """The documented (method, path); with ``tagged``, only those with one of ``tags``
    (True), or those with none of ``SEPARATE_TAGS`` (False)."""

    def chosen(operation: dict[str, Any]) -> bool:
        own = set(operation.get("tags", []))
        return tagged is None or (bool(tags & own) if tagged else not SEPARATE_TAGS & own)

    return {
        (method.upper(), path)
        for section, path, method, operation in operations(document)
        if section == "paths" and chosen(operation)
    }


def app_routes(app: web.Application) -> set[tuple[str, str]]:
    """Every (method, path template) the app answers under /v1, sub-applications included,
    and the public tracking routes. HEAD comes with every GET, so it is left out."""
    routes = set()
    for route in app.router.routes():  # the root router lists its sub-apps' routes too
        path = route.resource.canonical if route.resource is not None else ""
        if route.method == "HEAD" or path == OPENAPI_PATH:
            continue
        if path.startswith(("/v1/", *PUBLIC)) or path in PAGES:
            routes.add((route.method, path))
    return routes


@pytest.fixture
async def app() -> AsyncIterator[web.Application]:
    """The whole app, never started: building it touches no store."""
    runtime = Runtime(Settings(redis_url=REDIS_URL, key_prefix="test:openapi:"))
    try:
        yield runtime.http_app()
    finally:
        await runtime.close()


async def test_every_route_is_documented_and_every_documented_route_exists(
    app: web.Application,
) -> None:
    routes, documented = app_routes(app), documented_routes(load())
    assert routes, "no /v1 route found: the way routes are listed no longer works"
    assert {path for _, path in routes if path.startswith(PUBLIC)}, "no public route found"
    assert routes - documented == set(), "routes missing from the OpenAPI document"
    assert documented - routes == set(), "documented routes the app does not have"


def test_the_copy_in_docs_is_the_served_document() -> None:
    assert SERVED.read_bytes() == COPY.read_bytes(), "docs/openapi.json != bot/api/openapi.json"


async def test_the_document_is_served_without_a_token(app: web.Application) -> None:
    async with TestClient(TestServer(app)) as client:
        response = await client.get(OPENAPI_PATH)
        assert response.status == 200
        assert response.content_type == "application/json"
        assert await response.json() == load()


def test_the_document_is_valid_openapi_3_1() -> None:
    validator = pytest.importorskip("openapi_spec_validator")
    document = load()
    assert document["openapi"].startswith("3.1.")
    validator.validate(document)


def resolve(document: dict[str, Any], pointer: str) -> Any:
    assert pointer.startswith("#/"), f"only local references are used: {pointer}"
    node: Any = document
    for part in pointer[2:].split("/"):
        key = part.replace("~1", "/").replace("~0", "~")
        assert isinstance(node, dict) and key in node, f"{pointer} does not resolve"
        node = node[key]
    return node


def references(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str):
                yield value
            else:
                yield from references(value)
    elif isinstance(node, list):
        for value in node:
            yield from references(value)


def deref(document: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in node:
        node = resolve(document, node["$ref"])
    return node


def test_the_document_is_well_formed() -> None:
    """What holds without a validator: references, responses, parameters, ids, security."""
    document = load()
    assert document["openapi"] == "3.1.0"
    assert {"title", "version"} <= document["info"].keys()
    for pointer in references(document):
        resolve(document, pointer)
    schemes = document["components"]["securitySchemes"]
    ids = []
    for section, name, method, operation in operations(document):
        where = f"{section} {method.upper()} {name}"
        ids.append(operation["operationId"])
        assert operation.get("responses"), f"{where} has no responses"
        for requirement in operation.get("security", document.get("security", [])):
            assert requirement.keys() <= schemes.keys(), f"{where}: unknown security scheme"
        parameters = [
            deref(document, p)
            for p in document[section][name].get("parameters", []) + operation.get("parameters", [])
        ]
        for parameter in parameters:
            assert {"name", "in", "schema"} <= parameter.keys(), f"{where}: {parameter}"
        if section == "paths":
            declared = {p["name"] for p in parameters if p["in"] == "path"}
            assert declared == set(re.findall(r"{([^}]+)}", name)), f"{where}: path parameters"
            assert all(p["required"] for p in parameters if p["in"] == "path"), where
            if name.startswith(LIVE_API):
                assert operation.get("security") == [{"liveToken": []}], where
                assert "401" in operation["responses"], f"{where}: every call needs a token"
            elif name.startswith(PUBLIC):
                assert operation.get("security") == [], f"{where}: public, without a token"
            else:
                assert "401" in operation["responses"], f"{where}: every call needs a token"
        else:
            headers = {p["name"] for p in parameters if p["in"] == "header"}
            assert {"Switchboard-Signature", "Switchboard-Event-Id"} <= headers, where
        for status, response in operation["responses"].items():
            if section == "paths" and ERROR_STATUS.fullmatch(status) and name not in PAGES:
                schema = deref(document, response)["content"]["application/json"]["schema"]
                assert is_error(document, schema), f"{where} {status} is not an Error"
    assert len(ids) == len(set(ids)), "operationIds must be unique"


def is_error(document: dict[str, Any], schema: dict[str, Any]) -> bool:
    """The Error shape itself, or a schema built on it (``allOf: [Error, ...]``)."""
    schema = deref(document, schema)
    if "allOf" in schema:
        return is_error(document, schema["allOf"][0])
    return "error" in schema.get("required", [])


# --- The document against the running runtime ------------------------------------------

WA_ID = "447911123456"
LATE_WA_ID = "447911000999"
ADMIN_TOKEN = "admin-token-for-openapi-tests"


class Contract:
    """Validates answers and events against the document's own schemas."""

    URI = "urn:switchboard:openapi"

    def __init__(self, document: dict[str, Any]) -> None:
        jsonschema = pytest.importorskip("jsonschema")
        referencing = pytest.importorskip("referencing")
        drafts = pytest.importorskip("referencing.jsonschema")
        self.document = document
        resource = referencing.Resource(contents=document, specification=drafts.DRAFT202012)
        self.registry = referencing.Registry().with_resource(self.URI, resource)
        self.validator_class = jsonschema.Draft202012Validator
        self.called: set[tuple[str, str]] = set()

    def check(self, instance: Any, pointer: str) -> None:
        schema = {"$ref": f"{self.URI}#{pointer}"}
        errors = list(self.validator_class(schema, registry=self.registry).iter_errors(instance))
        assert not errors, f"{pointer}: {[e.message for e in errors]}\n{json.dumps(instance)}"

    def answer(
        self,
        method: str,
        template: str,
        status: int,
        body: Any,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        """``body`` against the documented schema of that status (None: a documented
        answer without a body), and ``headers`` against the documented required ones."""
        escaped = template.replace("~", "~0").replace("/", "~1")
        operation = self.document["paths"][template][method.lower()]
        assert str(status) in operation["responses"], (
            f"{method} {template} answered {status}, not documented: {body}"
        )
        response = operation["responses"][str(status)]
        pointer = f"/paths/{escaped}/{method.lower()}/responses/{status}"
        if "$ref" in response:
            pointer = response["$ref"][1:]
            response = resolve(self.document, response["$ref"])
        if body is None:
            assert "content" not in response, f"{method} {template} {status}: no body"
        else:
            self.check(body, f"{pointer}/content/application~1json/schema")
        for name, header in response.get("headers", {}).items():
            if header.get("required") and headers is not None:
                assert name in headers, f"{method} {template} {status}: no {name} header"
            if headers is not None and name in headers:
                self.check(headers[name], f"{pointer}/headers/{name}/schema")
        self.called.add((method, template))

    def request(self, method: str, template: str, body: Any) -> None:
        """A request body the test sends must be one the document describes."""
        escaped = template.replace("~", "~0").replace("/", "~1")
        pointer = f"/paths/{escaped}/{method.lower()}/requestBody/content/application~1json"
        self.check(body, f"{pointer}/schema")

    def event(self, event: dict[str, Any]) -> None:
        webhook = self.document["webhooks"][event["type"]]["post"]
        schema = webhook["requestBody"]["content"]["application/json"]["schema"]
        self.check(event, schema["$ref"][1:])

    async def public(
        self,
        client: TestClient[Any, Any],
        expect: int,
        method: str,
        template: str,
        body: Any = None,
        headers: Mapping[str, str] | None = None,
        query: Mapping[str, str] | None = None,
    ) -> tuple[Any, Mapping[str, str]]:
        """Call a public route with no token; its JSON answer checked against the
        document, or its bytes of a documented type (or none, where none is documented)."""
        response = await client.request(method, template, data=body, headers=headers, params=query)
        raw = await response.read()
        assert response.status == expect, f"{method} {template}: {raw[:300]!r}"
        if response.content_type == "application/json":
            answer = json.loads(raw)
            self.answer(method, template, response.status, answer, response.headers)
            return answer, response.headers
        documented = self.document["paths"][template][method.lower()]["responses"]
        content = documented[str(response.status)].get("content", {})
        assert (response.content_type in content) if raw else not content, response.content_type
        self.called.add((method, template))
        return raw, response.headers


# bot/api.py keeps the caller under a plain str request key: aiohttp warns once per process.
@pytest.mark.filterwarnings(
    "ignore:It is recommended to use web.RequestKey:aiohttp.web_exceptions.NotAppKeyWarning"
)
async def test_the_answers_and_events_are_the_documented_ones(make_bot: BotFactory) -> None:
    contract = Contract(load())
    bot = await make_bot(
        services=("support", "sales"), runtime_service=False, admin_token=ADMIN_TOKEN
    )
    number = f"wa:{bot.phone_number_id}"
    tokens = {name: await bot.runtime.directory.define_token(name) for name in bot.sinks}
    tokens["admin"] = ADMIN_TOKEN

    async def call(
        expect: int,
        method: str,
        template: str,
        who: str | None,
        body: Any = None,
        query: dict[str, str] | None = None,
        **fill: str,
    ) -> Any:
        """Call as ``who`` (a service, ``admin`` or nobody); the answer must be documented."""
        headers = {"Authorization": f"Bearer {tokens[who]}"} if who else {}
        content = {"data": body} if isinstance(body, str) else {"json": body}
        response = await bot.client.request(
            method, template.format(**fill), headers=headers, params=query, **content
        )
        answer = await response.json()
        assert response.status == expect, f"{method} {template}: {answer}"
        contract.answer(method, template, response.status, answer)
        return answer

    late = int(time.time()) - 25 * 3600
    for wa_id, text, when in ((WA_ID, "hello", None), (LATE_WA_ID, "hi", late)):
        await bot.post_whatsapp(meta.text_message(bot.phone_number_id, wa_id, text, timestamp=when))
    await bot.settle()
    cid, late_cid = bot.conversation(WA_ID), bot.conversation(LATE_WA_ID)
    one = "/v1/conversations/{id}"
    claim, release, reply = f"{one}/claim", f"{one}/release", f"{one}/messages"

    await call(200, "GET", "/v1/numbers", "sales")
    feed = await call(200, "GET", "/v1/events", "sales", query={"limit": "500"})
    assert feed["events"] and feed["next"] == feed["events"][-1]["id"]
    await call(200, "GET", "/v1/events", "admin", query={"after": feed["events"][0]["id"]})
    await call(400, "GET", "/v1/events", "sales", query={"limit": "0"})
    await call(410, "GET", "/v1/events", "sales", query={"after": "evt_00000000000000000000"})
    await call(401, "GET", "/v1/events", None)
    await call(401, "GET", "/v1/numbers", None)
    await call(200, "GET", "/v1/conversations", "sales")
    await call(404, "GET", one, "sales", id="c_unknown")

    await call(200, "POST", claim, "support", {"agent": "ann"}, id=cid)
    await call(400, "POST", claim, "support", {}, id=cid)
    answer = await call(201, "POST", reply, "sales", {"text": "hi", "agent": "bob"}, id=cid)
    assert answer["warning"]["holder"]["agent"] == "ann"
    await call(201, "POST", reply, "support", {"text": "ann here", "agent": "ann"}, id=cid)
    await call(400, "POST", reply, "sales", {"text": "x" * 4097}, id=cid)
    await call(413, "POST", reply, "sales", "x" * (65 * 1024), id=cid)
    await call(422, "POST", reply, "sales", {"text": "late"}, id=late_cid)
    template = {"template": {"name": "order_update", "language": "en", "variables": ["A-1"]}}
    buttons = {"text": "Shall we?", "interactive": {"buttons": ["Yes", "No"]}}
    media = {"media": {"type": "image", "url": "https://shop.example.com/a.png", "caption": "A"}}
    for body in (template, buttons, media):
        contract.request("POST", reply, body)
    await call(201, "POST", reply, "sales", template, id=late_cid)
    await call(201, "POST", reply, "sales", buttons, id=cid)
    await call(201, "POST", reply, "sales", media, id=cid)
    starts, new = "/v1/conversations", {"number": number, "identity": "wa:447911000123"}
    contract.request("POST", starts, {**new, "agent": "bob", **template})
    answer = await call(201, "POST", starts, "sales", {**new, "agent": "bob", **template})
    assert answer["conversation"]["customer"] == "wa:447911000123"
    answer = await call(409, "POST", starts, "sales", {**new, **template})
    assert answer["conversation_id"].startswith("c_")
    await call(422, "POST", starts, "sales", {**new, "text": "hello first"})
    await call(404, "POST", starts, "sales", {**new, **template, "number": "wa:0"})
    await call(400, "POST", starts, "sales", {**new, **template, "profile": "p_x"})
    await call(403, "POST", starts, "admin", {**new, **template})
    await call(400, "POST", reply, "sales", {"text": "hi", "colour": "red"}, id=cid)
    typing = f"{one}/typing"
    contract.request("POST", typing, {"typing": True, "agent": "bob"})
    assert (await call(200, "POST", typing, "sales", {"typing": True}, id=cid))["shown"] is True
    assert bot.graph is not None and bot.graph.typing_shown
    await call(400, "POST", typing, "sales", {"typing": "yes"}, id=cid)
    await call(403, "POST", typing, "admin", {}, id=cid)
    await call(404, "POST", typing, "sales", {}, id="c_unknown")
    await call(413, "POST", typing, "sales", "x" * (65 * 1024), id=cid)
    answer = await call(409, "POST", release, "sales", {"agent": "bob"}, id=cid)
    assert answer["holder"]["agent"] == "ann"
    await call(200, "POST", release, "support", {"agent": "ann"}, id=cid)
    await call(409, "POST", release, "support", {"agent": "ann"}, id=cid)

    notes, note = f"{one}/notes", {"text": "Called her back: *tomorrow*, 9am", "author": "bob"}
    contract.request("POST", notes, note)
    answer = await call(201, "POST", notes, "sales", note, id=cid)
    assert answer["note"]["service"] == "sales" and answer["note"]["text"] == note["text"]
    await call(201, "POST", notes, "support", {"text": "on it"}, id=cid)
    await call(400, "POST", notes, "sales", {"text": " "}, id=cid)
    await call(400, "POST", notes, "sales", {"text": "bell\u0007"}, id=cid)
    await call(403, "POST", notes, "admin", note, id=cid)
    await call(413, "POST", notes, "sales", "x" * (65 * 1024), id=cid)
    await call(404, "POST", notes, "sales", note, id="c_unknown")
    await call(401, "POST", notes, None, note, id=cid)
    answer = await call(200, "GET", notes, "admin", id=cid)
    assert [n["service"] for n in answer["notes"]] == ["sales", "support"]
    await call(404, "GET", notes, "sales", id="c_unknown")
    await call(401, "GET", notes, None, id=cid)

    notice = {"conversation_id": cid, "text": "Your order ships today."}
    await call(403, "POST", "/v1/notifications", "sales", notice)
    await call(202, "POST", "/v1/notifications", "support", notice)
    trigger = {"type": "ticket.created", "number": number, "phone": f"+{WA_ID}"}
    await call(403, "POST", "/v1/events", "sales", trigger)
    await call(202, "POST", "/v1/events", "support", trigger)
    await call(400, "POST", "/v1/events", "support", {**trigger, "phone": None})
    await call(404, "POST", "/v1/events", "support", {**trigger, "number": "wa:0"})
    await bot.settle()
    answer = await call(200, "GET", one, "sales", id=cid)
    assert any(message.get("masked") for message in answer["messages"])  # support's replies

    crm = {"name": "crm", "url": "http://127.0.0.1:9/hooks", "secret": "s3cret"}
    await call(403, "POST", "/v1/services", "sales", crm)
    await call(400, "POST", "/v1/services", "admin", {**crm, "name": "Crm"})
    answer = await call(201, "POST", "/v1/services", "admin", {**crm, "numbers": [number]})
    assert answer["token"].startswith("sbt_")
    answer = await call(201, "POST", "/v1/services", "admin", crm)
    assert "token" not in answer  # shown once
    await call(200, "DELETE", "/v1/services/{name}", "admin", name="crm")
    await call(403, "DELETE", "/v1/services/{name}", "sales", name="support")

    sent = [m for m in await bot.runtime.conversations.timeline(cid) if m.get("provider_id")]
    receipt = meta.status_update(bot.phone_number_id, sent[0]["provider_id"], WA_ID, "delivered")
    await bot.post_whatsapp(receipt)
    by_number = {"number": number}
    await call(200, "DELETE", "/v1/services/{name}", "support", None, by_number, name="support")
    await bot.post_whatsapp(meta.text_message(bot.phone_number_id, WA_ID, "STOP"))
    template = {"event": "APPROVED", "message_template_id": 7, "message_template_name": "hi"}
    change = {"field": "message_template_status_update", "value": template}
    entry = {"id": meta.DEFAULT_WABA_ID, "time": 1767225600, "changes": [change]}
    await bot.post_whatsapp({"object": "whatsapp_business_account", "entry": [entry]})
    await bot.settle()
    await call(409, "POST", reply, "sales", {"text": "still there?"}, id=cid)
    await call(409, "POST", typing, "sales", {}, id=cid)
    # Every kind of event so far, masked: the admin token sees every number.
    feed = await call(200, "GET", "/v1/events", "admin", query={"limit": "500"})
    assert {"message.outbound", "conversation.claimed"} <= {e["type"] for e in feed["events"]}
    # The profile and tracking routes are the next test's.
    assert contract.called == documented_routes(contract.document, tagged=False), "call all"

    waited = ("message.status", "conversation.released", "number.parent_changed", "template.status")
    for type_ in waited:
        await bot.sinks["sales"].wait_for_count(1, type=type_)
    seen: set[str] = set()
    for name, sink in bot.sinks.items():
        for delivery in sink.deliveries:
            event = delivery.event
            contract.event(event)
            assert delivery.headers["Switchboard-Event-Id"] == event["id"]
            signature = delivery.headers["Switchboard-Signature"]
            header = contract.document["components"]["parameters"]["SignatureHeader"]
            assert re.fullmatch(header["schema"]["pattern"], signature)
            kind = event["type"]
            if kind == "message.outbound":
                masked = event["data"].get("masked", False)
                assert masked == (event["data"]["service"] != name)
                kind += ":masked" if masked else ":full"
            seen.add(kind)
    documented = set(contract.document["webhooks"]) - {"message.outbound", "batch"} - PROFILE_EVENTS
    assert seen == documented | {"message.outbound:masked", "message.outbound:full"}


SHOP = "https://shop.example.com"


@pytest.mark.filterwarnings(
    "ignore:It is recommended to use web.RequestKey:aiohttp.web_exceptions.NotAppKeyWarning"
)
async def test_the_profile_and_tracking_answers_and_events_are_the_documented_ones(
    make_bot: BotFactory,
) -> None:
    """Profiles (lookup, merge, convert, notes, activity, erasure) and the public tracking
    routes, driven through a WhatsApp customer, a tracked link and a shop's page."""
    contract = Contract(load())
    shared = await shared_number(make_bot, tracking_origins=(SHOP,))
    bot, profiles = shared.bot, shared.bot.runtime.profiles

    async def call(
        expect: int,
        method: str,
        template: str,
        who: str | None = "sales",
        body: Any = None,
        query: str = "",
        **fill: str,
    ) -> Any:
        """Call as ``who`` (a service, or nobody); the answer must be documented."""
        path = template.format(**{k: quote(v, safe="") for k, v in fill.items()}) + query
        if expect < 400 and body is not None:  # the bodies of refusals are not valid
            contract.request(method, template, body)
        token = shared.tokens[who] if who else None
        raw = {"data": body.encode()} if isinstance(body, str) else {}
        answer = await api_call(bot, token, method, path, None if raw else body, **raw)
        assert answer.status == expect, f"{method} {path}: {answer.raw[:300]!r}"
        contract.answer(method, template, answer.status, answer.json)
        return answer.json

    async def public(
        expect: int,
        method: str,
        template: str,
        body: Any = None,
        headers: dict[str, str] | None = None,
        **fill: str,
    ) -> tuple[Any, Mapping[str, str]]:
        """A browser's call of a public route: no token, no cookie jar, no redirects."""
        bot.client.session.cookie_jar.clear()
        if expect < 400 and body is not None:
            contract.request(method, template, body)
        data = body if isinstance(body, bytes) or body is None else json.dumps(body).encode()
        sent = {"Content-Type": "application/json", **(headers or {})} if data else headers
        response = await bot.client.request(
            method, template.format(**fill), data=data, headers=sent, allow_redirects=False
        )
        raw = await response.read()
        assert response.status == expect, f"{method} {template}: {raw[:300]!r}"
        answer = json.loads(raw) if raw else None
        contract.answer(method, template, response.status, answer, response.headers)
        return answer, response.headers

    one, merge = "/v1/profiles/{ref}", "/v1/profiles/{ref}/merge"
    convert, notes = "/v1/profiles/{ref}/convert", "/v1/profiles/{ref}/notes"
    activity, reply = "/v1/profiles/{ref}/activity", "/v1/conversations/{id}/messages"

    # Lookup, by every identity and by id.
    ann = (await call(200, "GET", one, ref=f"wa:{WA_ID}"))["profile"]
    pid = ann["id"]
    assert ann["stage"] == "lead" and ann["conversations"] == [shared.conversation]
    for reference in ("phone:+447911123456", "07911 123456", pid):
        assert (await call(200, "GET", one, ref=reference))["profile"]["id"] == pid
    # The "+" of a phone survives an unencoded query string.
    answer = await call(200, "GET", "/v1/profiles", query="?identity=phone:+447911123456")
    assert answer["profile"]["id"] == pid
    await call(400, "GET", "/v1/profiles")
    await call(400, "GET", "/v1/profiles", query="?identity=email:not-an-email")
    await call(404, "GET", "/v1/profiles", query="?identity=email:nobody@example.com")
    await call(401, "GET", "/v1/profiles", None, query="?identity=phone:+447911123456")
    await call(400, "GET", one, ref="fax:123")
    await call(404, "GET", one, ref="p_000000000000deadbeef")
    await call(401, "GET", one, None, ref=pid)

    # Notes: sales' reply is masked for support; one day, or a refusal.
    offer = {"text": "Sales here: 10% off", "agent": "bob"}
    await call(201, "POST", reply, "sales", offer, id=shared.conversation)
    await bot.settle()
    masked = (await call(200, "GET", notes, "support", ref=f"wa:{WA_ID}"))["notes"]
    for note in masked:
        d = note["date"]
        assert note["title"] == f"WhatsApp Chat with Ann ({d[8:]}/{d[5:7]}/{d[:4]})"
    bodies = "\n".join(note["body"] for note in masked)
    assert "[reply sent]" in bodies and "10% off" not in bodies
    full = (await call(200, "GET", notes, ref=pid))["notes"]
    assert "10% off" in "\n".join(note["body"] for note in full)
    day = full[0]["date"]
    assert (await call(200, "GET", notes, query=f"?day={day}", ref=pid))["notes"] == full[:1]
    await call(400, "GET", notes, query="?day=yesterday", ref=pid)
    await call(404, "GET", notes, ref="email:nobody@example.com")

    # A tracked link, clicked; a bad one; the shop's page sends events with its cookie.
    target = f"{SHOP}/offer?id=7"
    token = (await bot.runtime.links.signer()).sign(pid, "snd_1", target)
    _, headers = await public(302, "GET", "/l/{token}", token=token)
    assert headers["Location"] == target
    cookie = re.search(rf"{VISITOR_COOKIE}=([A-Za-z0-9_-]+)", headers["Set-Cookie"])
    assert cookie, headers["Set-Cookie"]
    vid = cookie.group(1)
    await public(404, "GET", "/l/{token}", token="nonsense")
    _, headers = await public(204, "OPTIONS", "/t/events", headers={"Origin": SHOP})
    assert headers["Access-Control-Allow-Origin"] == SHOP
    await public(403, "OPTIONS", "/t/events", headers={"Origin": "https://evil.example"})
    from_shop = {"Origin": SHOP, "Cookie": f"{VISITOR_COOKIE}={vid}"}
    batch = [
        {"type": "page_view", "url": f"{SHOP}/offer", "title": "Offer", "referrer": None},
        {"type": "signup.started", "url": f"{SHOP}/join", "properties": {"plan": "pro", "n": 2}},
    ]
    answer, headers = await public(202, "POST", "/t/events", batch, from_shop)
    assert answer == {"visitor_id": vid, "accepted": 2, "profile": pid}
    assert headers["Access-Control-Allow-Origin"] == SHOP
    answer, headers = await public(202, "POST", "/t/events", {"type": "page_view", "url": SHOP})
    assert answer["profile"] is None and VISITOR_COOKIE in headers["Set-Cookie"]
    _, headers = await public(400, "POST", "/t/events", b"[]", from_shop)
    assert headers["Access-Control-Allow-Origin"] == SHOP
    big = {"type": "x", "title": "t" * (65 * 1024)}
    await public(413, "POST", "/t/events", json.dumps(big).encode(), from_shop)
    await public(403, "POST", "/t/events", batch, {"Origin": "https://evil.example"})
    answer = await call(200, "GET", activity, ref=f"wa:{WA_ID}")
    assert answer["visitors"] == [vid]
    assert [event["type"] for event in answer["events"]] == ["page_view", "signup.started"]
    # snd_1 is no message of the caller's: where its link led is not said (SN-3).
    assert [(c["message"], c.get("target"), c.get("masked")) for c in answer["clicks"]] == [
        ("snd_1", None, True)
    ]
    await call(404, "GET", activity, ref="phone:+447000000001")
    campaigns = "/v1/profiles/{ref}/campaigns"
    assert (await call(200, "GET", campaigns, ref=f"wa:{WA_ID}"))["campaigns"] == []
    await call(400, "GET", campaigns, query="?limit=0", ref=f"wa:{WA_ID}")
    await call(404, "GET", campaigns, ref="phone:+447000000001")
    await call(401, "GET", campaigns, None, ref=f"wa:{WA_ID}")

    # Merge: the older profile survives, whichever is named first; the policy protects.
    newer = await profiles.resolve([Identity("email", "ann@example.com")], channel="web")
    answer = await call(200, "POST", merge, "marketing", {"other": f"wa:{WA_ID}"}, ref=newer)
    assert answer["merged"] == newer and answer["profile"]["id"] == pid
    answer = await call(200, "POST", merge, body={"other": newer}, ref=pid)
    assert answer["merged"] is None and answer["profile"]["id"] == pid
    assert (await call(200, "GET", one, ref=newer))["profile"]["requested"] == newer
    assert await profiles.attach(pid, Identity("ext", "crm-1"), "import") == pid
    crm = await profiles.resolve([Identity("ext", "crm-2")], channel="import")
    answer = await call(409, "POST", merge, body={"other": crm}, ref=pid)
    assert "ext" in answer["error"]
    assert (await call(200, "GET", one, ref=pid))["profile"]["refusals"]
    await call(400, "POST", merge, body={}, ref=pid)
    await call(404, "POST", merge, body={"other": "email:nobody@example.com"}, ref=pid)
    await call(413, "POST", merge, body="x" * (65 * 1024), ref=pid)

    # Convert.
    assert (await call(200, "POST", convert, ref=pid))["profile"]["stage"] == "contact"
    await call(404, "POST", convert, ref="email:nobody@example.com")

    # Consent: the lawful basis, with its source and time.
    consent = "/v1/profiles/{ref}/consent"
    recorded = (await call(200, "PUT", consent, body={"basis": "consent"}, ref=pid))["profile"]
    assert recorded["consent"]["basis"] == "consent"
    assert recorded["consent"]["source"] == "api:sales" and recorded["consent"]["at"] > 0
    assert (await call(200, "GET", one, ref=pid))["profile"]["consent"] == recorded["consent"]
    await call(400, "PUT", consent, body={"basis": "because"}, ref=pid)
    await call(400, "PUT", consent, body={}, ref=pid)
    await call(404, "PUT", consent, body={"basis": "none"}, ref="email:nobody@example.com")

    # Erasure: the person and the profile merged into them; then 410, and 404 by identity.
    answer = await call(200, "DELETE", one, "support", ref=f"wa:{WA_ID}")
    assert answer["erased"]["profile"] == pid and set(answer["erased"]["erased"]) == {pid, newer}
    for method, template, body in (
        ("GET", one, None),
        ("DELETE", one, None),
        ("POST", merge, {"other": crm}),
        ("POST", convert, None),
        ("PUT", consent, {"basis": "none"}),
        ("GET", notes, None),
        ("GET", activity, None),
        ("GET", campaigns, None),
    ):
        await call(410, method, template, body=body, ref=pid)
    await call(404, "GET", one, ref=f"wa:{WA_ID}")
    await call(404, "DELETE", one, ref=f"wa:{WA_ID}")
    await call(410, "POST", reply, "sales", {"text": "are you there?"}, id=shared.conversation)
    notice = {"conversation_id": shared.conversation, "text": "Your order ships today."}
    await call(410, "POST", "/v1/notifications", "support", notice)
    for who in ("sales", "support"):  # erased messages, in full or masked
        answer = await call(200, "GET", "/v1/conversations/{id}", who, id=shared.conversation)
        assert answer["conversation"]["customer"] == "erased"
        assert all(m.get("erased") or m.get("masked") for m in answer["messages"])
        assert not any("text" in message for message in answer["messages"])
    await call(200, "GET", "/v1/conversations", "sales")
    tagged = documented_routes(contract.document, tagged=True)
    assert {route for route in contract.called if route in tagged} == tagged, "call all"

    for sink in bot.sinks.values():
        merged = await wait_for_event(sink, "profile.merged", lambda d: d["merged"] == newer)
        assert merged["data"] == {
            "profile": pid,
            "merged": newer,
            "identities": ["email:ann@example.com"],
        }
        erased = await wait_for_event(sink, "profile.erased")
        assert erased["data"]["profile"] == pid and set(erased["data"]["erased"]) == {pid, newer}
    seen = set()
    for sink in bot.sinks.values():
        for delivery in sink.deliveries:
            contract.event(delivery.event)
            seen.add(delivery.event["type"])
    assert seen >= PROFILE_EVENTS


@pytest.mark.filterwarnings(
    "ignore:It is recommended to use web.RequestKey:aiohttp.web_exceptions.NotAppKeyWarning"
)
async def test_the_notification_answers_are_the_documented_ones(make_bot: BotFactory) -> None:
    """Campaigns, their reports and cancelling, workflow events, the cost ledger and a
    customer's topics (AU-3, AU-4, AU-5)."""
    from bot.config.notifications import NotificationSettings, rate_card, workflow_rules

    rules = workflow_rules(
        [
            {
                "on": "ticket.created",
                "send": {
                    "template": {
                        "name": "ticket_opened",
                        "category": "utility",
                        "variables": ["{ticket.id}", "{profile.name|there}"],
                    }
                },
            }
        ]
    )
    card = rate_card({"currency": "GBP", "44": {"utility": 0.022, "marketing": 0.0529}})
    contract = Contract(load())
    shared = await shared_number(
        make_bot,
        workflows=rules,
        rate_card=card,
        notifications=NotificationSettings(quiet_hours=None),
    )
    bot = shared.bot

    async def call(
        expect: int, method: str, template: str, who: str | None = "support", body: Any = None
    ) -> Any:
        if expect < 400 and body is not None:
            contract.request(method, template, body)
        token = shared.tokens[who] if who else None
        raw: dict[str, Any] = {"data": io.BytesIO(body.encode())} if isinstance(body, str) else {}
        path = template.format(id=nid, number=shared.number, ref=f"wa:{WA_ID}")
        path = fills.pop(0) if fills else path
        answer = await api_call(bot, token, method, path, None if raw else body, **raw)
        assert answer.status == expect, f"{method} {path}: {answer.raw[:300]!r}"
        contract.answer(method, template, answer.status, answer.json)
        return answer.json

    fills: list[str] = []
    nid = ""
    notifications, one = "/v1/notifications", "/v1/notifications/{id}"
    campaign = {
        "number": shared.number,
        "template": {"name": "winter_sale", "language": "en_GB", "category": "utility"},
        "text": "Winter sale: {profile.name|friend}, 20% off",
        "topic": "offers",
        "audience": {"profiles": [f"wa:{WA_ID}", "07400 555003", "email:nobody@example.com"]},
    }
    answer = await call(202, "POST", notifications, "support", campaign)
    nid = answer["notification"]["id"]
    await bot.settle()
    for _ in range(100):
        report = await call(200, "GET", one, "sales")
        if report["notification"]["status"] == "sent":
            break
        await asyncio.sleep(0.05)
    counts = report["notification"]["counts"]
    assert (counts["recipients"], counts["queued"]) == (3, 2)
    assert report["notification"]["skipped"]["no_channel"] == 1
    weekly = {**campaign, "cron": "0 9 * * MON", "audience": {"topic": "offers"}}
    weekly.pop("template")
    scheduled = (await call(202, "POST", notifications, "support", weekly))["notification"]
    assert scheduled["status"] == "scheduled"
    await call(403, "POST", notifications, "sales", weekly)
    await call(400, "POST", notifications, "support", {**weekly, "cron": "nope"})
    await call(404, "POST", notifications, "support", {**weekly, "number": "wa:000"})
    await call(401, "POST", notifications, None, weekly)
    big = {**campaign, "audience": {"profiles": ["x" * 200] * 6000}}
    await call(413, "POST", notifications, "support", json.dumps(big))
    fills.append(f"/v1/notifications/{scheduled['id']}")
    await call(403, "DELETE", one, "sales")
    fills.append(f"/v1/notifications/{scheduled['id']}")
    assert (await call(200, "DELETE", one, "support"))["notification"]["status"] == "cancelled"
    fills.append("/v1/notifications/ntf_0")
    await call(404, "DELETE", one, "support")
    await call(401, "DELETE", one, None)
    fills.append("/v1/notifications/ntf_0")
    await call(404, "GET", one, "support")
    await call(401, "GET", one, None)

    event = {
        "type": "ticket.created",
        "number": shared.number,
        "phone": "+447911123456",
        "id": "t-1",
        "data": {"id": 77},
    }
    answer = await call(202, "POST", "/v1/events", "support", event)
    assert len(answer["sent"]) == 1 and answer["skipped"] == []
    missing = await call(202, "POST", "/v1/events", "support", {**event, "id": "t-2", "data": {}})
    assert missing["skipped"] == ["missing_variable"]
    await call(400, "POST", "/v1/events", "support", {**event, "data": []})

    await bot.settle()
    sent = [m for m in shared.graph.sent if m.type == "template"]
    receipts = [  # without Meta's pricing object: billed as the rate card predicts
        meta.status_update(
            bot.phone_number_id, m.message_id, m.to, "delivered", pricing_category=None
        )
        for m in sent
    ]
    await bot.post_whatsapp(meta.batch(*receipts))
    await bot.settle()
    costs = (await call(200, "GET", "/v1/numbers/{number}/costs", "sales"))["costs"]
    assert costs["currency"] == "GBP" and costs["by_category"]["utility"]["messages"] == 2
    assert costs["by_category"]["utility"]["free"] == 1  # the one inside its window
    fills.append("/v1/numbers/wa:000/costs")
    await call(404, "GET", "/v1/numbers/{number}/costs", "sales")
    await call(401, "GET", "/v1/numbers/{number}/costs", None)

    review, send = "/v1/notifications/{id}/review", "/v1/notifications/{id}/send"
    drafted = {**campaign, "draft": True}
    nid = (await call(202, "POST", notifications, "support", drafted))["notification"]["id"]
    await call(409, "POST", send, "support")
    await call(403, "GET", review, "sales")
    await call(401, "GET", review, None)
    reviewed = (await call(200, "GET", review, "support"))["review"]
    assert (reviewed["recipients"], reviewed["eligible"]) == (3, 2)
    assert reviewed["cost"]["by_category"]["utility"]["messages"] >= 1
    words = ("text", "template")  # sales masks support's sends: not their words (SN-3)
    shown = {key: value for key, value in reviewed.items() if key not in words}
    assert (await call(200, "GET", one, "sales"))["notification"]["review"] == shown
    await call(403, "POST", send, "sales")
    await call(401, "POST", send, None)
    assert (await call(202, "POST", send, "support"))["notification"]["status"] == "sending"
    await call(409, "POST", send, "support")
    fills.append("/v1/notifications/ntf_0/review")
    await call(404, "GET", review, "support")
    fills.append("/v1/notifications/ntf_0/send")
    await call(404, "POST", send, "support")
    fills.append(f"/v1/notifications/{scheduled['id']}/review")
    await call(409, "GET", review, "support")
    test = "/v1/notifications/{id}/test"
    tested = await call(202, "POST", test, "support", {"to": ["+447911123456"]})
    assert tested["test"]["sends"][0]["id"].startswith("tst_")
    await call(400, "POST", test, "support", {"to": []})
    await call(403, "POST", test, "sales", {"to": ["+447911123456"]})
    await call(401, "POST", test, None, {"to": ["+447911123456"]})
    fills.append("/v1/notifications/ntf_0/test")
    await call(404, "POST", test, "support", {"to": ["+447911123456"]})

    listed = "/v1/notifications/{id}/recipients"
    for outcome in ("sent", "skipped", "unsubscribed"):
        fills.append(f"/v1/notifications/{nid}/recipients?status={outcome}&limit=10")
        await call(200, "GET", listed, "sales")
    fills.append(f"/v1/notifications/{nid}/recipients?status=opened")
    await call(400, "GET", listed, "sales")
    fills.append("/v1/notifications/ntf_0/recipients")
    await call(404, "GET", listed, "sales")
    await call(401, "GET", listed, None)
    stop = "/v1/notifications/{id}/stop"
    weekly_id = (await call(202, "POST", notifications, "support", weekly))["notification"]["id"]
    for expect, who, body in (
        (403, "sales", {"reason": "not ours"}),
        (400, "support", {"reason": ""}),
        (200, "support", {"reason": "the wrong week"}),
        (409, "support", {"reason": "again"}),
        (401, None, {"reason": "x"}),
    ):
        fills.append(f"/v1/notifications/{weekly_id}/stop")
        answer = await call(expect, "POST", stop, who, body)
    fills.append("/v1/notifications/ntf_0/stop")
    await call(404, "POST", stop, "support", {"reason": "x"})
    stopped = (await call(200, "GET", one, "sales"))["notification"]
    assert stopped["status"] != "stopped"  # the drafted one; the weekly one is stopped:
    fills.append(f"/v1/notifications/{weekly_id}")
    stopped = (await call(200, "GET", one, "sales"))["notification"]
    assert stopped["status"] == "stopped" and stopped["stop"]["reason"] == "the wrong week"

    topics = "/v1/profiles/{ref}/topics"
    answer = await call(200, "POST", topics, "marketing", {"unsubscribe": ["offers"]})
    assert answer["topics_off"] == ["offers"]
    await call(400, "POST", topics, "marketing", {"unsubscribe": ["Offers!"]})
    await call(401, "POST", topics, None, {"unsubscribe": ["offers"]})
    await call(413, "POST", topics, "marketing", "x" * (65 * 1024))
    fills.append("/v1/profiles/email:nobody@example.com/topics")
    await call(404, "POST", topics, "marketing", {"subscribe": ["offers"]})
    await bot.runtime.profile_book.erase(f"wa:{WA_ID}")
    profile_id = (await bot.runtime.profiles.get(answer["profile"]))["id"]
    fills.append(f"/v1/profiles/{profile_id}/topics")
    await call(410, "POST", topics, "marketing", {"subscribe": ["offers"]})
    tagged = documented_routes(contract.document, tagged=True, tags=NOTIFICATION_TAGS)
    assert {route for route in contract.called if route in tagged} == tagged, "call all"


async def test_the_media_answers_are_the_documented_ones(make_bot: BotFactory) -> None:
    """Uploads, downloads and signed URLs: JSON answers against their schemas, files
    with their documented type."""
    contract = Contract(load())
    shared = await shared_number(make_bot)
    bot, png = shared.bot, b"\x89PNG\r\n\x1a\n" + b"\x00" * 64

    async def call(
        expect: int, method: str, template: str, who: str | None, data: Any = None, **fill: Any
    ) -> Any:
        headers = dict(fill.pop("headers", {}))
        if who:
            headers["Authorization"] = f"Bearer {shared.tokens[who]}"
        path = template.format(**fill)
        response = await bot.client.request(method, path, data=data, headers=headers)
        raw = await response.read()
        assert response.status == expect, f"{method} {template}: {raw[:300]!r}"
        if response.content_type == "application/json":
            contract.answer(method, template, response.status, json.loads(raw))
        else:
            assert expect == 200 and raw == png
            operation = contract.document["paths"][template][method.lower()]
            assert "*/*" in operation["responses"]["200"]["content"]  # the upload's type
            contract.called.add((method, template))
        return raw

    png_type = {"Content-Type": "image/png"}
    answer = json.loads(await call(201, "POST", "/v1/media", "sales", png, headers=png_type))
    media_id, url = answer["media"]["id"], answer["media"]["url"]
    await call(400, "POST", "/v1/media", "sales", b"", headers=png_type)
    await call(401, "POST", "/v1/media", None, png, headers=png_type)
    big = io.BytesIO(png + b"\x00" * (17 * 1024 * 1024))
    await call(413, "POST", "/v1/media", "sales", big, headers=png_type)
    await call(415, "POST", "/v1/media", "sales", png, headers={"Content-Type": "text/html"})
    await call(200, "GET", "/v1/media/{id}", "sales", id=media_id)
    await call(404, "GET", "/v1/media/{id}", "marketing", id=media_id)
    await call(401, "GET", "/v1/media/{id}", None, id=media_id)
    reply, body = "/v1/conversations/{id}/messages", {"media": {"type": "image", "id": media_id}}
    contract.request("POST", reply, body)
    headers = {"Authorization": f"Bearer {shared.tokens['sales']}"}
    async with bot.client.post(
        reply.format(id=shared.conversation), json=body, headers=headers
    ) as r:
        assert r.status == 201
        contract.answer("POST", reply, r.status, await r.json())
    token = url.rpartition("/")[2]
    await call(200, "GET", "/media/{token}", None, token=token)
    await call(404, "GET", "/media/{token}", None, token=token[:-3])
    tagged = documented_routes(contract.document, tagged=True, tags=MEDIA_TAGS)
    assert {route for route in contract.called if route in tagged} == tagged, "call all"


def test_events_stripped_by_an_erasure_are_documented_ones() -> None:
    """An event still queued when its customer is erased goes out stripped (PS-7), in a
    form the document describes, and masked for a masking service as any reply is."""
    contract = Contract(load())
    number, customer = "wa:106540352242922", Identity("wa", "447700900123")
    profile, other = "p_0mwpyzhm81at46unprqqjh", "p_1mwpyzhm81at46unprqqjh"
    text = Inbound("whatsapp", number, "wamid.1", customer, "text", 1.0, "hi", name="Ann")
    reply = Outbound("snd_1", text.conversation_id, "whatsapp", number, customer, "Hello", "sales")
    failed = StatusUpdate("whatsapp", number, "wamid.2", customer, "failed", 2.0, "no window")
    events = [
        inbound_event(text, inbound_record(text), profile),
        outbound_event(reply, "wamid.2"),
        status_event(failed, "snd_1"),
        send_status_event(reply, "failed", error="window closed"),
        merged_event(Merge(profile, other, ("phone:+447700900123",))),
    ]
    for event in events:
        stripped = erased(event.to_json(), frozenset({profile}), frozenset({text.conversation_id}))
        assert stripped is not None and "447700900123" not in stripped, event.type
        contract.event(json.loads(stripped))
        seen_masked = json.loads(render(Service("support", "http://x", "k"), stripped))
        contract.event(seen_masked)


def test_locations_cards_and_reactions_are_documented_and_erased_whole() -> None:
    """The new kinds' events match the document, as sent and once stripped by an erasure,
    which leaves nothing of the place, the cards or the emoji."""
    contract = Contract(load())
    number, customer = "wa:106540352242922", Identity("wa", "447700900123")
    profile = "p_0mwpyzhm81at46unprqqjh"
    card = ContactCard("Bob Ray", (ContactPhone("+1 650-555-1234", "16505551234", "CELL"),))
    messages = [
        Inbound(
            "whatsapp",
            number,
            "wamid.1",
            customer,
            "location",
            1.0,
            location=Location(51.5, -0.14, "The Palace", "London"),
        ),
        Inbound("whatsapp", number, "wamid.2", customer, "contact", 2.0, contacts=(card,)),
        Inbound(
            "whatsapp",
            number,
            "wamid.3",
            customer,
            "reaction",
            3.0,
            reaction=Reaction("wamid.0", "👍"),
        ),
    ]
    for message in messages:
        event = inbound_event(message, inbound_record(message), profile)
        contract.event(json.loads(event.to_json()))
        stripped = erased(event.to_json(), frozenset({profile}), frozenset())
        assert stripped is not None
        # The data only: the envelope's timestamp is the clock's, and may hold any digits.
        data = json.dumps(json.loads(stripped)["data"], ensure_ascii=False)
        for content in ("Palace", "Bob", "650", "👍", "wamid.0"):
            assert content not in data, (message.kind, content)
        contract.event(json.loads(stripped))


async def test_the_web_chat_widget_answers_are_the_documented_ones(make_bot: BotFactory) -> None:
    """The widget's script and panel, its visitor token and the socket it opens."""
    contract = Contract(load())
    bot = await make_bot(whatsapp=False, tracking_origins=(SHOP,))
    bot.client.session.cookie_jar.clear()

    async def public(
        expect: int,
        method: str,
        template: str,
        body: bytes | None = None,
        headers: dict[str, str] | None = None,
        query: dict[str, str] | None = None,
    ) -> tuple[Any, Mapping[str, str]]:
        return await contract.public(bot.client, expect, method, template, body, headers, query)

    await public(200, "GET", "/widget.js", headers={"Referer": f"{SHOP}/shoes"})
    await public(403, "GET", "/widget.js", headers={"Referer": "https://evil.example/"})
    _, headers = await public(200, "GET", "/widget")
    assert headers["Content-Security-Policy"] == f"frame-ancestors 'self' {SHOP}"
    await public(204, "OPTIONS", "/webchat/token", headers={"Origin": SHOP})
    await public(403, "OPTIONS", "/webchat/token", headers={"Origin": "https://evil.example"})
    visitor = {"visitor_id": "Q2hvb3NlIGEgdmlzaXRvcg"}
    contract.request("POST", "/webchat/token", visitor)
    from_shop = {"Origin": SHOP}
    answer, _ = await public(200, "POST", "/webchat/token", json.dumps(visitor).encode(), from_shop)
    await public(400, "POST", "/webchat/token", b"[]", from_shop)
    await public(403, "POST", "/webchat/token", b"{}")
    await public(413, "POST", "/webchat/token", b"{" + b" " * 2000 + b"}", from_shop)
    token = answer["token"]
    await public(200, "GET", "/webchat/visitor", query={"token": token})
    await public(400, "GET", "/webchat/socket")
    await public(401, "GET", "/webchat/socket", query={"token": "nonsense"})
    await public(
        403,
        "GET",
        "/webchat/socket",
        headers={"Origin": "https://evil.example"},
        query={"token": token},
    )
    png = b"\x89PNG\r\n\x1a\n" + bytes(32)
    as_png = {"Content-Type": "image/png"}
    sent = {"token": token, "id": "f1", "filename": "shoe.png"}
    await public(201, "POST", "/webchat/files", png, as_png, sent)
    other = {**sent, "id": "f0"}  # under f1, the file kept is answered again
    await public(415, "POST", "/webchat/files", b"MZ", {"Content-Type": "image/png"}, other)
    await public(400, "POST", "/webchat/files", png, as_png, {"token": token, "id": "a b"})
    await public(401, "POST", "/webchat/files", png, as_png, {"token": "x", "id": "f2"})
    big = io.BytesIO(png + bytes(10 * 1024 * 1024))
    response = await bot.client.post("/webchat/files", params=sent, data=big, headers=as_png)
    contract.answer("POST", "/webchat/files", response.status, await response.json())
    assert response.status == 413
    cookie_page = {"Origin": "https://evil.example", **as_png}
    await bot.client.get("/")
    response = await bot.client.post(
        "/webchat/files", params={"id": "f3"}, data=png, headers=cookie_page
    )
    contract.answer("POST", "/webchat/files", response.status, await response.json())
    assert response.status == 403
    socket = await bot.client.ws_connect(f"/webchat/socket?token={token}")
    # The echo of the file sent above may still be on its way: the history comes too.
    while (await socket.receive_json(timeout=5))["type"] != "history":
        pass
    await socket.close()
    contract.called.add(("GET", "/webchat/socket"))
    tagged = documented_routes(contract.document, tagged=True, tags=WEBCHAT_TAGS)
    assert {route for route in contract.called if route in tagged} == tagged, "call all"


async def test_the_live_view_answers_are_the_documented_ones(make_bot: BotFactory) -> None:
    """The live token, the page, and each of the page's calls made with the token."""
    contract = Contract(load())
    shared = await shared_number(make_bot)
    bot = shared.bot

    async def call(
        expect: int,
        method: str,
        template: str,
        token: str | None,
        body: Any = None,
        query: dict[str, str] | None = None,
        **fill: str,
    ) -> Any:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        content = {"data": body} if isinstance(body, str) else {"json": body}
        response = await bot.client.request(
            method, template.format(**fill), headers=headers, params=query, **content
        )
        if response.content_type == "text/event-stream":
            first = await response.content.readline()
            response.close()
            assert first == b"event: ready\n"
            answer: Any = None
        elif response.content_type == "text/html":
            await response.text()
            answer = None
        else:
            answer = await response.json()
        assert response.status == expect, f"{method} {template}: {answer}"
        if answer is not None:
            contract.answer(method, template, response.status, answer)
        else:
            contract.called.add((method, template))
        return answer

    profile = await bot.runtime.profile_book.find(f"wa:{WA_ID}")
    issue = {"profile": f"wa:{WA_ID}", "agent": "ann", "ttl": 600}
    contract.request("POST", "/v1/live-tokens", issue)
    issued = await call(201, "POST", "/v1/live-tokens", shared.tokens["support"], issue)
    token = issued["token"]
    await call(400, "POST", "/v1/live-tokens", shared.tokens["support"], {"agent": "ann"})
    await call(
        404, "POST", "/v1/live-tokens", shared.tokens["support"], {**issue, "profile": "p_0"}
    )
    await call(401, "POST", "/v1/live-tokens", None, issue)

    await call(200, "GET", "/live", None, query={"profile": profile, "token": token})
    await call(401, "GET", "/live", None, query={"profile": profile, "token": token + "x"})
    other = await bot.runtime.profiles.resolve([Identity("wa", "447911000321")], channel="whatsapp")
    await call(403, "GET", "/live", None, query={"profile": other, "token": token})
    await call(200, "GET", "/live/api/stream", None, query={"token": token})
    await call(401, "GET", "/live/api/stream", None, query={"token": "nope"})

    state = await call(200, "GET", "/live/api/state", token)
    assert [c["id"] for c in state["conversations"]] == [shared.conversation]
    await call(401, "GET", "/live/api/state", "nope")
    one = "/live/api/conversations/{id}"
    await call(200, "GET", one, token, id=shared.conversation)
    await call(404, "GET", one, token, id="c_unknown")
    await call(200, "POST", f"{one}/claim", token, {}, id=shared.conversation)
    await call(403, "POST", f"{one}/claim", token, {"agent": "eve"}, id=shared.conversation)
    await call(201, "POST", f"{one}/messages", token, {"text": "Hi 👋"}, id=shared.conversation)
    await call(400, "POST", f"{one}/messages", token, {"text": ""}, id=shared.conversation)
    await call(200, "POST", f"{one}/release", token, {}, id=shared.conversation)
    await call(409, "POST", f"{one}/release", token, {}, id=shared.conversation)
    start = {"number": shared.number, "template": {"name": "hello", "language": "en"}}
    contract.request("POST", "/live/api/conversations", start)
    answer = await call(409, "POST", "/live/api/conversations", token, start)
    assert answer["conversation_id"] == shared.conversation
    await call(
        422, "POST", "/live/api/conversations", token, {"number": shared.number, "text": "hi"}
    )
    await call(400, "POST", "/live/api/conversations", token, {**start, "profile": other})
    upload = "/live/api/media"
    for status, data in ((201, b"%PDF-1.4 an invoice"), (415, b"not a pdf")):
        headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/pdf"}
        response = await bot.client.post(upload, data=data, headers=headers)
        assert response.status == status, await response.text()
        contract.answer("POST", upload, status, await response.json())
    await call(401, "POST", upload, "nope", "x")
    await call(404, "GET", upload + "/{id}", token, id="wa_123456789")
    await call(401, "GET", upload + "/{id}", "nope", id="wa_123456789")
    tagged = documented_routes(contract.document, tagged=True, tags=LIVE_TAGS)
    assert {route for route in contract.called if route in tagged} == tagged, "call all"


async def test_the_channels_and_the_operators_routes_answer_as_documented(
    make_bot: BotFactory,
) -> None:
    """The webhooks of WhatsApp and SMS as their providers call them, Telegram's while it
    is off, and the probes: each answer is a documented one, of the documented type."""
    contract = Contract(load())
    token = secrets.token_hex(16)
    async with TwilioEmulator("AC" + "0" * 32, token) as twilio:
        port = free_port()
        sms_url = f"http://127.0.0.1:{port}/webhooks/sms"
        sms = SMSSettings("AC" + "0" * 32, token, "+447700900999", twilio.base_url)
        bot = await make_bot(port=port, public_url=f"http://127.0.0.1:{port}", sms=sms)

        async def public(
            expect: int,
            method: str,
            template: str,
            body: Any = None,
            headers: Mapping[str, str] | None = None,
            query: Mapping[str, str] | None = None,
        ) -> Any:
            answer, _ = await contract.public(
                bot.client, expect, method, template, body, headers, query
            )
            return answer.decode() if isinstance(answer, bytes) else answer

        hook = "/webhooks/whatsapp"
        handshake = {"hub.mode": "subscribe", "hub.challenge": "1158201444"}
        right = {**handshake, "hub.verify_token": bot.verify_token}
        assert await public(200, "GET", hook, query=right) == "1158201444"
        await public(403, "GET", hook, query={**handshake, "hub.verify_token": "guess"})
        raw = meta.encode(meta.text_message(bot.phone_number_id, WA_ID, "hello"))
        signed = {"X-Hub-Signature-256": meta.sign(bot.app_secret, raw)}
        assert await public(200, "POST", hook, raw, signed) == {"received": 1, "new": 1}
        assert (await public(200, "POST", hook, raw, signed))["new"] == 0
        await public(401, "POST", hook, raw, {"X-Hub-Signature-256": "sha256=" + "0" * 64})
        await public(
            400, "POST", hook, b"[", {"X-Hub-Signature-256": meta.sign(bot.app_secret, b"[")}
        )
        await public(413, "POST", hook, io.BytesIO(b"x" * (4 * 1024 * 1024)), signed)

        form, signature = twilio.signed_inbound(sms_url, "+447911123456", sms.sender, "hi")
        answer = await public(200, "POST", "/webhooks/sms", form, {"X-Twilio-Signature": signature})
        assert "<Response" in answer
        await public(401, "POST", "/webhooks/sms", form, {"X-Twilio-Signature": "bm90IGl0"})
        unsigned = {"X-Twilio-Signature": "bm90IGl0"}
        await public(401, "GET", "/webhooks/sms", headers=unsigned, query={"Body": "hi"})
        await public(404, "POST", "/webhooks/telegram", b"{}")

        assert await public(200, "GET", "/healthz") == {"ok": True}
        ready = await public(200, "GET", "/readyz")
        assert ready["store"] == "redis" and ready["numbers"]
        assert "switchboard_store_up 1.0" in await public(200, "GET", "/metrics")
    tagged = documented_routes(contract.document, tagged=True, tags=EDGE_TAGS)
    assert {route for route in contract.called if route in tagged} == tagged, "call all"
