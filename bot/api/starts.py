"""``POST /v1/conversations``: the business writes first, to a profile or an identity on one
of the caller's numbers; on WhatsApp with a template, the only message that may open a
conversation (CH-2)."""

from __future__ import annotations

import contextlib
import time
from collections.abc import AsyncIterator
from typing import Any

from aiohttp import web

from bot.api.common import (
    ApiError,
    acting,
    find_profile,
    numbers_of,
    only_fields,
    parts,
    read_body,
    string_field,
)
from bot.api.content import REPLY_KEYS, Content, reply_content
from bot.api.conversations import agent_field, public, sent_message
from bot.api.idempotency import keyed_id
from bot.core.sender import SendFailedError, WindowClosedError
from bot.identities import (
    InvalidIdentityError,
    InvalidPhoneError,
    parse_identity,
    phone_of_whatsapp_id,
    with_its_phone,
)
from bot.model import Identity, conversation_id
from bot.outreach.audience import OPEN_TO_NEW, REACHES
from bot.outreach.spec import channel_of
from stores.conversations import ConversationStore
from stores.profiles import ProfileStore
from stores.redis import Pipe

START_KEYS = frozenset({"number", "profile", "identity"})
MAX_REFERENCE = 300


def add_start_routes(api: web.Application) -> None:
    api.router.add_post("/conversations", start_conversation)


async def start_conversation(request: web.Request) -> web.Response:
    """Open a conversation with a first message; 409 naming it when it exists already."""
    acting(request)
    found = await read_body(request)
    only_fields(found, REPLY_KEYS | START_KEYS)
    number = string_field(found, "number", limit=200)
    if number not in await numbers_of(request):
        raise ApiError(404, f"no number {number} among your service's numbers")
    channel = channel_of(number)
    if channel not in OPEN_TO_NEW:
        raise ApiError(422, f"on {channel} the customer writes first: a business cannot")
    content = reply_content({k: v for k, v in found.items() if k in REPLY_KEYS}, channel)
    if channel == "whatsapp" and content.template is None:
        raise ApiError(422, "on WhatsApp a new conversation opens with a template: send 'template'")
    agent = agent_field(found, required=False)  # before a new identity gets its profile
    customer, profile = await _recipient(request, found, number, channel)
    return await open_conversation(request, number, channel, customer, profile, content, agent)


async def open_conversation(
    request: web.Request,
    number: str,
    channel: str,
    customer: Identity,
    profile: str,
    content: Content,
    agent: str,
) -> web.Response:
    """Send the first message of ``customer``'s conversation on ``number``, link it to
    ``profile`` and list it with the number's conversations, in one round trip."""
    who, api = acting(request), parts(request)
    cid = conversation_id(number, customer)
    now = time.time()

    owner = api.owner_for(agent, number)

    def links(pipe: Pipe) -> None:
        # A profile made by this start gets its owner; one that has an owner keeps it.
        api.profiles.profiles.queue_conversation(pipe, profile, cid, owner)
        api.conversations.touch(pipe, number, cid, now)

    async with _opening(api.conversations, cid):
        try:
            outbound = await api.actions.start(
                number,
                channel,
                customer,
                content.text,
                profile=profile,
                service=who.name,
                agent=agent,
                template=content.template,
                buttons=content.choices,
                media=content.media,
                also=links,
                send_id=keyed_id(request, "snd"),
            )
        except WindowClosedError as refusal:
            raise ApiError(422, str(refusal)) from None
        except SendFailedError as refusal:
            raise ApiError(503, str(refusal)) from None
    record = {"id": cid, **public(await api.conversations.meta(cid))}
    message = sent_message(outbound, who.name, agent)
    return web.json_response({"conversation": record, "message": message}, status=201)


@contextlib.asynccontextmanager
async def _opening(conversations: ConversationStore, cid: str) -> AsyncIterator[None]:
    """Hold the opening of ``cid`` while it is made; 409 when it exists, or a start for
    the same customer is under way."""
    if not await conversations.hold_opening(cid):
        raise ApiError(409, f"conversation {cid} exists: reply to it", conversation_id=cid)
    try:
        yield
    finally:
        await conversations.let_go_of_opening(cid)


async def _recipient(
    request: web.Request, found: dict[str, Any], number: str, channel: str
) -> tuple[Identity, str]:
    """Whom to write to on ``number`` (of ``channel``), and their profile (made now for a
    new identity)."""
    by_identity = found.get("identity") is not None  # null is as good as absent
    if (found.get("profile") is not None) == by_identity:
        raise ApiError(400, "give 'profile' (an id or identity) or 'identity', one of them")
    book = parts(request).profiles
    if by_identity:
        raw = string_field(found, "identity", limit=MAX_REFERENCE)
        try:
            asked = parse_identity(raw, parts(request).region)
        except (InvalidIdentityError, InvalidPhoneError, ValueError) as error:
            raise ApiError(400, str(error)[:300]) from None
        customer = reachable(asked, channel)
        if customer is None:
            raise ApiError(422, f"{channel} cannot reach an identity of type {asked.kind}")
        if is_number_itself(number, customer):
            raise ApiError(422, f"{customer.key} is the number's own: it cannot write to itself")
        named = with_its_phone([customer, asked], customer)
        _, erased = await book.profiles.roots_and_erasures(set(), named)
        if erased:
            raise ApiError(410, "this person was erased: they cannot be written to")
        profile = ""
        for identity in named:
            profile = profile or await book.profiles.lookup(identity)
        if not profile:
            seen = named
            profile = await book.profiles.resolve(seen, channel=channel)
            return customer, profile
        stored = await book.profiles.get(profile)
        known = [Identity.parse(key) for key in stored.get("identities", [])]
        profile = await _joined(book.profiles, profile, known, named, channel)
        return as_whatsapp_knows(customer, known), profile
    profile = await find_profile(request, string_field(found, "profile", limit=MAX_REFERENCE))
    stored = await book.profiles.get(profile)
    kinds = REACHES.get(channel, ())
    known = [Identity.parse(key) for key in stored.get("identities", [])]
    # The channel's own identity first (a wa: id before a phone on WhatsApp).
    for identity in sorted(known, key=lambda i: kinds.index(i.kind) if i.kind in kinds else 9):
        customer = reachable(identity, channel)
        if customer is not None and not is_number_itself(number, customer):
            named = with_its_phone([identity, customer], customer)
            return customer, await _joined(book.profiles, profile, known, named, channel)
    raise ApiError(422, f"profile {profile} has no identity {channel} can reach")


async def _joined(
    profiles: ProfileStore, profile: str, known: list[Identity], named: list[Identity], channel: str
) -> str:
    """``profile`` with the identities ``named`` it lacks: the customer's answers, which
    name them, are theirs (PS-2). Its root, should that join merge it."""
    if all(identity in known for identity in named):
        return profile
    return await profiles.resolve(named, channel=channel)


def as_whatsapp_knows(customer: Identity, known: list[Identity]) -> Identity:
    """The WhatsApp id of ``known`` that is ``customer``'s phone in another form (Brazil's
    without the mobile 9, Mexico's with 521): the id the customer writes from, so their
    conversation is the one they wrote in. ``customer`` when none is."""
    if customer.kind != "wa":
        return customer
    with contextlib.suppress(InvalidPhoneError):
        phone = phone_of_whatsapp_id(customer.value)
        for identity in known:
            if identity.kind == "wa" and phone_of_whatsapp_id(identity.value) == phone:
                return identity
    return customer


def is_number_itself(number: str, customer: Identity) -> bool:
    """Whether ``customer`` is ``number``'s own phone: an SMS number writing to itself,
    which Twilio refuses (21266)."""
    return customer.kind == "phone" and number == f"sms:{customer.value}"


def reachable(identity: Identity, channel: str) -> Identity | None:
    """The identity ``channel`` writes to for ``identity`` (WhatsApp writes to the wa: id
    of a phone, SMS to the phone of a wa: id); None when it cannot."""
    kinds = REACHES.get(channel, ())
    if channel == "whatsapp" and identity.kind == "phone":
        return Identity("wa", identity.value.lstrip("+"))
    if channel == "sms" and identity.kind == "wa":
        return Identity("phone", "+" + identity.value)
    return identity if identity.kind in kinds else None
