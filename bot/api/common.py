"""What every /v1 route shares: its collaborators, the caller, the body, the errors, and the
numbers and conversations the caller may see."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable, Collection, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from adapters import jsonbody
from bot.channels.typing import TypingSignals
from bot.config.live import ApprovedTemplate
from bot.core.directory import Directory, ParentOnlyError
from bot.core.livetokens import LiveTokens
from bot.core.media import MediaLibrary
from bot.core.profiles import ProfileBook, ProfileErasedError, ProfileNotFoundError
from bot.http import errors
from bot.http.body import read_at_most
from bot.model import TEXT_CONTROLS, Service
from bot.outreach.notifications import Notifications
from bot.outreach.sequence_reports import SequenceReports
from bot.outreach.sequences import Sequences
from bot.outreach.workflows import Workflows
from bot.team.actions import ConversationActions, ConversationClosedError
from handlers.command_kit import NO_CONTROLS, escaped, has_control_characters
from stores.claims import ClaimStore
from stores.conversations import ConversationStore
from stores.events import BaseEventLog
from stores.idempotency import BaseIdempotencyStore
from stores.notes import NoteStore
from stores.services import ServiceStore

MAX_BODY = 64 * 1024
LARGEST_BODY = 1024 * 1024
"""The largest body any route takes (a campaign's)."""
MAX_TEXT = 4096
SHOWN_ONCE = web.ResponseKey("shown_once", tuple[str, ...])
"""An answer's fields that are shown once (a new token, a URL holding one), as the handler
lists them on its response (``response[SHOWN_ONCE]``): the answer kept for an
``Idempotency-Key`` is kept, and given again, without them."""


@dataclass(frozen=True, slots=True)
class ApiParts:
    """The collaborators of the /v1 routes; the runtime builds them."""

    actions: ConversationActions
    conversations: ConversationStore
    claims: ClaimStore
    services: ServiceStore
    directory: Directory
    notes: NoteStore
    idempotency: BaseIdempotencyStore
    events: BaseEventLog
    """The numbers' events, for services catching up."""
    profiles: ProfileBook
    notifications: Notifications
    workflows: Workflows
    typing: TypingSignals
    """Shows a customer that someone is typing, where the channel can."""
    activity: Callable[[str, int], Awaitable[dict[str, Any]]]
    """A profile's web activity and clicks (PS-3, PS-4), at most so many of each."""
    configured: Sequence[str]
    """The numbers this deployment serves."""
    media: MediaLibrary
    """Uploaded files, and the files customers sent."""
    admin_token: str
    region: str
    """The default region of phone numbers without a country code."""
    live_tokens: LiveTokens
    """Signs and checks the live view's tokens."""
    sequences: Sequences | None = None
    """Drip sequences (AU-4): enrolments and their stop rules."""
    sequence_reports: SequenceReports | None = None
    templates: tuple[ApprovedTemplate, ...] = ()
    """The WhatsApp templates Meta approved for the number, offered in the live view."""
    public_url: str = ""
    owner_for: Callable[[str, str], str] = lambda agent, number: ""
    """The owner a profile made for a conversation gets (PS-5): the agent opening it, the
    number's owner or the default owner, each when a team member."""


PARTS: web.AppKey[ApiParts] = web.AppKey("parts", ApiParts)
CALLER: web.RequestKey[Service] = web.RequestKey("service", Service)
RAW_BODY: web.RequestKey[bytes] = web.RequestKey("raw_body", bytes)
DEADLINE: web.RequestKey[asyncio.Timeout] = web.RequestKey("deadline", asyncio.Timeout)
ADMIN = Service("admin", "", "", mask=False)
"""The operator, calling with SWITCHBOARD_ADMIN_TOKEN: may attach and detach services, and
reads every reply in full, in timelines and events as in notes and reports."""


MESSAGE_LIMIT = 1000
"""The most of a refusal's message said back: one may quote a path's id of pages."""


class ApiError(Exception):
    """A refusal with its status; the message may quote the caller's input, safely: cut
    to ``MESSAGE_LIMIT``, each control character in it written as its escape."""

    def __init__(self, status: int, message: str, **extra: Any) -> None:
        message = _said(message)
        super().__init__(message)
        self.status = status
        self.message = message
        self.extra = extra


def _said(message: str) -> str:
    message = escaped(message[: MESSAGE_LIMIT * 4], allowed="")  # an escape is 4 characters
    if len(message) > MESSAGE_LIMIT:
        message = message[: MESSAGE_LIMIT - 1] + "…"
    return message


def parts(request: web.Request) -> ApiParts:
    return request.app[PARTS]


def caller(request: web.Request) -> Service:
    """Who calls: a service, or ADMIN for the operator's token."""
    return request[CALLER]


def acting(request: web.Request) -> Service:
    """The service acting on a conversation; the admin token only reads and attaches."""
    found = request[CALLER]
    if found is ADMIN:
        raise ApiError(403, "the admin token cannot act in conversations: use a service's token")
    return found


async def raw_body(request: web.Request, limit: int = MAX_BODY) -> bytes:
    """The request's bytes, read once: at most ``limit`` and one more, which tells that
    the body is longer than ``limit``."""
    if RAW_BODY not in request:
        deadline = request.get(DEADLINE)
        if deadline is not None:  # the body is read within deadlines of its own
            deadline.reschedule(None)
        request[RAW_BODY] = await read_at_most(request, limit)
        if deadline is not None:
            deadline.reschedule(asyncio.get_running_loop().time() + errors.STORE_SECONDS)
    return request[RAW_BODY]


def past_the_store(request: web.Request) -> None:
    """The call waits on the store no more (its answer streams a provider's file, as fast
    as the provider gives it): ``STORE_SECONDS`` no longer bounds it."""
    deadline = request.get(DEADLINE)
    if deadline is not None:
        deadline.reschedule(None)


async def read_body(request: web.Request, limit: int = MAX_BODY) -> dict[str, Any]:
    """The JSON object of the request; 413 past ``limit`` bytes, 400 for anything else."""
    if (request.content_length or 0) > limit:
        raise ApiError(413, f"body larger than {limit} bytes")
    raw = await raw_body(request, limit)
    if len(raw) > limit:
        raise ApiError(413, f"body larger than {limit} bytes")
    try:
        found = jsonbody.loads(raw or b"{}")
    except jsonbody.NotJSONError as error:
        raise ApiError(400, str(error)) from None
    if not isinstance(found, dict):
        raise ApiError(400, "body must be a JSON object")
    return found


def only_fields(found: dict[str, Any], known: Collection[str], hint: str = "") -> None:
    """400 naming the fields of ``found`` that are not ``known``, then ``hint`` if given."""
    unknown = sorted(str(key)[:40] for key in found.keys() - set(known))
    if unknown:
        raise ApiError(
            400, f"unknown field(s) {', '.join(unknown)}" + (f"; {hint}" if hint else "")
        )


def string_field(
    found: dict[str, Any], name: str, *, required: bool = True, limit: int = MAX_TEXT
) -> str:
    """A string field, trimmed; 400 when it is missing (if required), not a string, long,
    or holding a control character other than a newline, a carriage return or a tab (a
    NUL, an escape)."""
    value = found.get(name)
    if value is None:
        value = ""
    if not isinstance(value, str) or (required and not value.strip()):
        raise ApiError(400, f"'{name}' must be a {'non-empty ' if required else ''}string")
    if len(value) > limit:
        raise ApiError(400, f"'{name}' is longer than {limit} characters")
    if has_control_characters(value, allowed=TEXT_CONTROLS):
        raise ApiError(400, f"'{name}' {NO_CONTROLS}")
    return value.strip()


async def numbers_of(request: web.Request) -> list[str]:
    """The numbers the caller may see: those its service is attached to (all, for ADMIN)."""
    actions, who = parts(request).actions, caller(request)
    if who is ADMIN:
        return await actions.numbers()
    return await actions.numbers_of(who.name)


async def require_attached(request: web.Request) -> None:
    """403 for a service attached to no number: detached from every number, it is no longer
    one of the deployment's services, so it may not use what is shared by them (profiles)."""
    who = caller(request)
    if who is not ADMIN and not await numbers_of(request):
        raise ApiError(
            403,
            f"service {who.name!r} is attached to no number, so it may not use profiles;"
            " attach it again first",
        )


async def conversation(
    request: web.Request, conversation_id: str = ""
) -> tuple[str, dict[str, str]]:
    """The conversation of the path, if the caller's service is attached to its number."""
    found, who = parts(request), caller(request)
    conversation_id = conversation_id or request.match_info["id"]
    meta = await found.conversations.meta(conversation_id)
    attached = meta and (who is ADMIN or who.name in await found.services.order(meta["number"]))
    if not attached:  # another number's conversation is as unknown as a made-up id
        raise ApiError(404, f"no conversation {conversation_id}")
    return conversation_id, meta


async def require_parent(request: web.Request, number: str) -> None:
    """403 naming the parent unless the caller is the parent of ``number`` (SN-6)."""
    try:
        await parts(request).directory.require_parent(number, caller(request).name)
    except ParentOnlyError as refusal:
        raise ApiError(403, str(refusal)) from None


def closed(refusal: ConversationClosedError) -> ApiError:
    """409 for a customer who opted out, 410 for one who was erased."""
    return ApiError(409 if refusal.reason == "opted_out" else 410, str(refusal))


@contextlib.contextmanager
def profile_refusals() -> Iterator[None]:
    """A profile lookup's failures as API errors: 404 unknown, 410 erased, 400 unreadable."""
    try:
        yield
    except ProfileErasedError as error:
        raise ApiError(410, f"{error}; erased at {error.erased_at:.0f}") from None
    except ProfileNotFoundError as error:
        raise ApiError(404, str(error)) from None
    except ValueError as error:
        raise ApiError(400, str(error)[:300]) from None


async def find_profile(request: web.Request, reference: str) -> str:
    """The live profile of an id or identity: 404 unknown, 410 erased, 400 unreadable."""
    with profile_refusals():
        return await parts(request).profiles.find(reference)
