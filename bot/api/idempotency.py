"""``Idempotency-Key`` on every POST of /v1: a service's retry of a request is answered
with the first answer instead of being done again (a reply is sent once), as Stripe's API
does: the same key with another body is a 422, and while the first is running, a 409."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Awaitable, Callable
from typing import Any

import orjson
from aiohttp import web

from adapters import jsonbody
from bot.api.common import LARGEST_BODY, SHOWN_ONCE, ApiError, caller, parts, raw_body
from bot.api.media import largest_body, uploaded_file
from bot.core.media import media_type
from bot.http.errors import error_response
from bot.identities import InvalidIdentityError, InvalidPhoneError, parse_identity
from bot.model import derived_id
from stores.idempotency import BaseIdempotencyStore, Remembered

HEADER = "Idempotency-Key"
REPLAYED = "Idempotent-Replayed"
"""Set on an answer given again from the store, as Stripe names it."""
MAX_KEY = 255
FORGOTTEN = frozenset({400, 413})
"""Malformed requests, refused before anything was done: not kept, so that the client
may correct the body and send it again under the same key. Answers of 500 and more are
not kept either: the request did not happen, and a retry should do it."""
NAMED = re.compile(rb"\b(?:p_[0-9a-z]{22}|c_[0-9a-f]{20})\b")
"""A profile's or a conversation's id in a request's line, its body's fields or its
answer: what an erasure of that person must find the answer by (PS-7)."""
IDENTIFYING = ("phone", "profile", "identity")
"""A body's fields that may name a person by one of their identities (an enrolment's
``phone``, a profile as ``wa:447700900123``): the answer is kept under that identity
too, as an erasure of the person names their identities (PS-7)."""
MAX_NAMED = 100
SEED: web.RequestKey[str] = web.RequestKey("idempotency_seed", str)
"""Where a request with a key keeps what names its work (the service, the key and the
body's fingerprint): a message it sends takes its id from it, so that a retry that runs
again (the first crashed, or answered 503 after its send was queued) sends nothing twice."""


def keyed_id(request: web.Request, prefix: str) -> str:
    """The id of what a request with an ``Idempotency-Key`` makes (``snd``: a message it
    sends; ``ntf``: a campaign), the same each time it is retried; '' without a key, for
    a new one."""
    seed = request.get(SEED)
    return derived_id(prefix, seed) if seed else ""


@web.middleware
async def idempotent(
    request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
) -> web.StreamResponse:
    """Answer a POST with an ``Idempotency-Key`` the caller used before from the store."""
    key = request.headers.get(HEADER)
    if request.method != "POST" or key is None:
        return await handler(request)
    if not 0 < len(key) <= MAX_KEY or not (key.isascii() and key.isprintable()):
        return error_response(400, f"{HEADER} must be 1 to {MAX_KEY} printable ASCII characters")
    upload = largest_body(request)
    body = await raw_body(request, upload or LARGEST_BODY)
    line = f"{request.method} {request.rel_url}\n".encode()
    if upload:
        meant, named_by_body = _upload_as_meant(request, body)
    else:
        meant, named_by_body = _as_meant(body, parts(request).region)
    fingerprint = hashlib.sha256(line + meant).hexdigest()
    store, service = parts(request).idempotency, caller(request).name
    found = await store.begin(service, key, fingerprint)
    if found.outcome == "mismatch" and upload:
        found = await _kept_before(store, service, key, line + body, found)
    request[SEED] = f"{service}\x1f{key}\x1f{fingerprint}"
    if found.outcome == "done":
        return web.Response(
            status=found.status,
            text=found.body,
            content_type="application/json",
            headers={REPLAYED: "true"},
        )
    if found.outcome == "in_flight":
        return error_response(
            409, f"a request with this {HEADER} is still being processed; retry after it ends"
        )
    if found.outcome == "mismatch":
        return error_response(
            422, f"this {HEADER} was used for another request: use a new key for a new request"
        )
    try:
        response = await handler(request)
    except Exception:
        await store.release(service, key, fingerprint)
        raise
    answer = response.body if isinstance(response, web.Response) else None
    if isinstance(answer, bytes) and response.status < 500 and response.status not in FORGOTTEN:
        kept = _without(answer, response.get(SHOWN_ONCE, ()))
        named = _named(line, named_by_body, kept)
        await store.finish(service, key, fingerprint, response.status, kept.decode(), named)
    else:
        await store.release(service, key, fingerprint)
    return response


async def _kept_before(
    store: BaseIdempotencyStore, service: str, key: str, sent: bytes, found: Remembered
) -> Remembered:
    """What the release before (5680500) holds under ``key`` for this very upload: it took
    an upload's bytes as they came for its fingerprint. Else ``found``, the mismatch."""
    before = hashlib.sha256(sent).hexdigest()
    held = await store.begin(service, key, before)
    if held.outcome == "new":  # the key lapsed meanwhile, and this took it: let go
        await store.release(service, key, before)
    return held if held.outcome in ("done", "in_flight") else found


def _without(answer: bytes, fields: tuple[str, ...]) -> bytes:
    """A JSON answer without the fields shown once: a token is never kept in the clear, and
    a retry under the same key gets the answer without it."""
    if not fields:
        return answer
    found = orjson.loads(answer)
    for name in fields:
        found.pop(name, None)
    return orjson.dumps(found)


def _named(line: bytes, named_by_body: list[str], answer: bytes) -> list[str]:
    """The profiles and conversations a request's line, body and answer name, in order."""
    found = dict.fromkeys(
        [match.decode() for match in NAMED.findall(line)]
        + named_by_body
        + [match.decode() for match in NAMED.findall(answer)]
    )
    return list(found)[:MAX_NAMED]


def _upload_as_meant(request: web.Request, body: bytes) -> tuple[bytes, list[str]]:
    """An upload as the file it carries: its type, name and bytes. A client writes a
    multipart body with a new boundary each time it sends it, so its retry differs in its
    framing only; and the same bytes under another type are another file. A body that
    holds no file (refused by the route) as it came."""
    try:
        data, declared, filename = uploaded_file(request, body)
    except ApiError:
        return body, []
    header = orjson.dumps([media_type(declared), filename])
    return b"%d\n%s\n%s" % (len(header), header, data), []


def _identity_key(value: str, region: str) -> str:
    """The key of the identity ``value`` names (``phone:+447700900123``); '' if none."""
    try:
        return parse_identity(value, region).key
    except (InvalidIdentityError, InvalidPhoneError):
        return ""


def _as_meant(body: bytes, region: str) -> tuple[bytes, list[str]]:
    """A JSON body as its parameters, keys sorted and spacing gone: a retry may write the
    same JSON otherwise (another client, a library that writes it again). Any other body
    (a file, JSON we do not take) as it came. And the profiles and conversations its own
    fields name (a one-off's ``conversation_id``, an event's ``profile``, an enrolment's
    ``phone`` as its identity key): a one-off's answer names no one, yet it is the reply
    to that person (PS-7). Not those in a list
    or an object within (a campaign's audience, an event's data): a campaign goes on
    without the person erased, and its answer is not theirs."""
    try:
        parameters = jsonbody.loads(body)
    except jsonbody.NotJSONError:
        return body, []
    named: list[str] = []
    if isinstance(parameters, dict):
        named = [
            value
            for value in parameters.values()
            if isinstance(value, str) and NAMED.fullmatch(value.encode())
        ]
        named += [
            identity
            for field in IDENTIFYING
            if isinstance(value := parameters.get(field), str)
            and (identity := _identity_key(value, region))
        ]
    try:
        return orjson.dumps(_numbers_as_held(parameters), option=orjson.OPT_SORT_KEYS), named
    except orjson.JSONEncodeError:  # a number past 64 bits
        return body, named


def _numbers_as_held(value: Any) -> Any:
    """``value`` with each number written as what it holds: ``600.0`` and ``6e2`` are the
    ``600`` every field that takes a number reads."""
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**63:
        return int(value)
    if isinstance(value, list):
        return [_numbers_as_held(item) for item in value]
    if isinstance(value, dict):
        return {key: _numbers_as_held(item) for key, item in value.items()}
    return value
