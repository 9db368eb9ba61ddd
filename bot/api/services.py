"""``/v1/numbers`` and ``/v1/services``: each number's services in attach order (the first
is the parent, SN-1), attaching with the admin token, and detaching (SN-7, SN-8)."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from bot.api.common import (
    ADMIN,
    SHOWN_ONCE,
    ApiError,
    caller,
    numbers_of,
    only_fields,
    parts,
    read_body,
    string_field,
)
from bot.config.base import http_url
from bot.config.document import RESERVED_NAMES
from bot.model import MAX_BATCH
from bot.team.actions import InvalidServiceNameError, checked_service_name

SERVICE_FIELDS = frozenset({"name", "url", "secret", "numbers", "mask", "batch"})


def add_service_routes(api: web.Application) -> None:
    api.router.add_get("/numbers", list_numbers)
    api.router.add_post("/services", attach_service)
    api.router.add_delete("/services/{name}", detach_service)


async def list_numbers(request: web.Request) -> web.Response:
    services = parts(request).services
    numbers = []
    for number in await numbers_of(request):
        order = await services.order(number)
        numbers.append({"number": number, "services": order, "parent": order[0] if order else None})
    return web.json_response({"numbers": numbers})


async def attach_service(request: web.Request) -> web.Response:
    """Define and attach a service; its API token is in this answer and never again."""
    if caller(request) is not ADMIN:
        raise ApiError(403, "attaching services takes the admin token")
    found, actions = await read_body(request), parts(request).actions
    only_fields(found, SERVICE_FIELDS)
    name = string_field(found, "name", limit=32)
    if name in RESERVED_NAMES:
        raise ApiError(
            400, f"name: {name!r} is reserved (the runtime's own, the team chat's, the admin's)"
        )
    try:
        checked_service_name(name)
    except InvalidServiceNameError:
        raise ApiError(400, "name: up to 32 lowercase letters, digits, - and _") from None
    url = string_field(found, "url", limit=2000)
    string_field(found, "secret", limit=200)  # a string, not blank, short, with no controls
    secret = found["secret"]  # whole: the service checks its signatures with it as it gave it
    try:
        http_url(url)
    except ValueError as error:
        raise ApiError(400, f"url {error}") from None
    configured = list(actions.configured)
    known = await actions.services.get(name) is not None
    # Absent or empty: a new service goes on every number, a known one stays on its own.
    numbers = found.get("numbers", [])
    if not isinstance(numbers, list) or not all(n in configured for n in numbers):
        raise ApiError(400, f"numbers must be a list of some of {configured}")
    numbers = numbers or ([] if known else configured)
    numbers = list(dict.fromkeys(numbers))  # one named twice is attached once
    mask = found.get("mask")  # absent: a known service's stays, a new one is masked
    if "mask" in found and not isinstance(mask, bool):  # null or 0 would turn masking off
        raise ApiError(400, "mask must be true or false")
    batch = batch_field(found) if "batch" in found else None
    token = await actions.define(name, url, secret, mask=mask, batch=batch)
    if not token and not await actions.services.token_digest(name):
        # Defined by the config file, which gives none: its first token, shown once (on the
        # embedded store no admin command can reach the bot's process to issue one).
        token = await actions.directory.define_token(name)
    for number in numbers:
        await actions.attach(number, name)
    attached = await actions.numbers_of(name) if known else numbers
    answer: dict[str, Any] = {"service": name, "numbers": attached}
    if token:
        answer["token"] = token
    response = web.json_response(answer, status=201)
    response[SHOWN_ONCE] = ("token",)  # only its hash is kept
    return response


def batch_field(found: dict[str, Any]) -> int:
    """``"batch": {"max_events": N}`` opts in to batched delivery; absent or null, one event
    per POST. 400 for anything else."""
    batch = found.get("batch")
    if batch is None:
        return 0
    size = batch.get("max_events") if isinstance(batch, dict) else None
    if not isinstance(batch, dict) or set(batch) != {"max_events"}:
        raise ApiError(400, 'batch must be {"max_events": N}')
    if isinstance(size, float) and size.is_integer():
        size = int(size)  # 2.0 is the whole number JSON Schema's "integer" takes it for
    if not isinstance(size, int) or isinstance(size, bool) or not 1 <= size <= MAX_BATCH:
        raise ApiError(400, f"batch.max_events must be a whole number from 1 to {MAX_BATCH}")
    return size


async def detach_service(request: web.Request) -> web.Response:
    """Detach a service: by the operator, or by the service itself."""
    who, actions = caller(request), parts(request).actions
    name = request.match_info["name"]
    if who is not ADMIN and who.name != name:
        raise ApiError(403, "a service may detach only itself")
    numbers = request.query.getall("number", []) or await numbers_of(request)
    detached = []
    for number in numbers:
        try:
            await actions.detach(number, name)
        except LookupError:
            continue
        detached.append(number)
    if not detached:
        raise ApiError(404, f"{name} is not attached to those numbers")
    return web.json_response({"service": name, "detached": detached})
