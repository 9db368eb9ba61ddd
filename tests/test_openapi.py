"""The OpenAPI document: it lists every /v1 route, is served as is, is well formed, and
describes the answers and the webhook events the runtime really produces."""

from __future__ import annotations

import json
import re
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from bot.config import Settings
from bot.http import build_app
from bot.runtime import Runtime
from tests.conftest import REDIS_URL, BotFactory
from tests.emulators import meta_webhooks as meta

ROOT = Path(__file__).resolve().parent.parent
SERVED = ROOT / "bot" / "openapi.json"
COPY = ROOT / "docs" / "openapi.json"
OPENAPI_PATH = "/v1/openapi.json"
METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
ERROR_STATUS = re.compile(r"[45]\d\d|[45]XX")


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


def documented_routes(document: dict[str, Any]) -> set[tuple[str, str]]:
    return {
        (method.upper(), path)
        for section, path, method, _ in operations(document)
        if section == "paths"
    }


def app_routes(app: web.Application) -> set[tuple[str, str]]:
    """Every (method, path template) the app answers under /v1, sub-applications included."""
    routes = set()
    for route in app.router.routes():  # the root router lists its sub-apps' routes too
        path = route.resource.canonical if route.resource is not None else ""
        if route.method == "HEAD" or not path.startswith("/v1/") or path == OPENAPI_PATH:
            continue
        routes.add((route.method, path))
    return routes


@pytest.fixture
async def app() -> AsyncIterator[web.Application]:
    """The whole app, never started: building it touches no store."""
    runtime = Runtime(Settings(redis_url=REDIS_URL, key_prefix="test:openapi:"))
    try:
        yield build_app(runtime)
    finally:
        await runtime.close()


async def test_every_route_is_documented_and_every_documented_route_exists(
    app: web.Application,
) -> None:
    routes, documented = app_routes(app), documented_routes(load())
    assert routes, "no /v1 route found: the way routes are listed no longer works"
    assert routes - documented == set(), "routes missing from the OpenAPI document"
    assert documented - routes == set(), "documented routes the app does not have"


def test_the_copy_in_docs_is_the_served_document() -> None:
    assert SERVED.read_bytes() == COPY.read_bytes(), "docs/openapi.json != bot/openapi.json"


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
            assert "401" in operation["responses"], f"{where}: every call needs a token"
        else:
            headers = {p["name"] for p in parameters if p["in"] == "header"}
            assert {"Switchboard-Signature", "Switchboard-Event-Id"} <= headers, where
        for status, response in operation["responses"].items():
            if section == "paths" and ERROR_STATUS.fullmatch(status):
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

    def answer(self, method: str, template: str, status: int, body: Any) -> None:
        escaped = template.replace("~", "~0").replace("/", "~1")
        operation = self.document["paths"][template][method.lower()]
        assert str(status) in operation["responses"], (
            f"{method} {template} answered {status}, not documented: {body}"
        )
        response = operation["responses"][str(status)]
        pointer = f"/paths/{escaped}/{method.lower()}/responses/{status}"
        if "$ref" in response:
            pointer = response["$ref"][1:]
        self.check(body, f"{pointer}/content/application~1json/schema")
        self.called.add((method, template))

    def event(self, event: dict[str, Any]) -> None:
        webhook = self.document["webhooks"][event["type"]]["post"]
        schema = webhook["requestBody"]["content"]["application/json"]["schema"]
        self.check(event, schema["$ref"][1:])


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
    answer = await call(409, "POST", release, "sales", {"agent": "bob"}, id=cid)
    assert answer["holder"]["agent"] == "ann"
    await call(200, "POST", release, "support", {"agent": "ann"}, id=cid)
    await call(409, "POST", release, "support", {"agent": "ann"}, id=cid)

    notice = {"conversation_id": cid, "text": "Your order ships today."}
    await call(403, "POST", "/v1/notifications", "sales", notice)
    await call(202, "POST", "/v1/notifications", "support", notice)
    trigger = {"type": "ticket.created", "number": number}
    await call(403, "POST", "/v1/events", "sales", trigger)
    await call(202, "POST", "/v1/events", "support", trigger)
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
    await bot.settle()
    await call(409, "POST", reply, "sales", {"text": "still there?"}, id=cid)
    assert contract.called == documented_routes(contract.document), "call every route"

    for type_ in ("message.status", "conversation.released", "number.parent_changed"):
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
    documented = set(contract.document["webhooks"]) - {"message.outbound"}
    assert seen == documented | {"message.outbound:masked", "message.outbound:full"}
