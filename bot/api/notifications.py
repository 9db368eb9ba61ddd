"""``/v1/notifications``, ``/v1/events``, ``/v1/numbers/{number}/costs`` and a profile's
topics: the business writing first (AU-3, AU-4, AU-5). Sending is the parent's alone
(SN-6): a subscriber gets 403 naming the parent."""

from __future__ import annotations

import json
import time
from typing import Any

from aiohttp import web

from bot.api.common import (
    ADMIN,
    ApiError,
    acting,
    caller,
    closed,
    conversation,
    find_profile,
    numbers_of,
    only_fields,
    parts,
    profile_refusals,
    read_body,
    require_attached,
    require_parent,
    string_field,
)
from bot.api.idempotency import keyed_id
from bot.core.redaction import masked_campaign
from bot.core.sender import SendFailedError, WindowClosedError
from bot.identities import InvalidIdentityError, InvalidPhoneError, parse_identity
from bot.model import TEXT_CONTROLS
from bot.outreach.campaigns import (
    MAX_PAGE,
    RECIPIENT_OUTCOMES,
    CancelRefusedError,
    StopRefusedError,
    checked_reason,
    parse_cursor,
)
from bot.outreach.drafts import TEST_RECIPIENTS, NotificationStateError
from bot.outreach.notifications import NotificationNotFoundError
from bot.outreach.spec import TOPIC, parse_notification
from bot.outreach.workflows import EventIdReusedError, EventInProgressError, WorkflowEvent
from bot.team.actions import ConversationClosedError, ensure_open
from handlers.command_kit import NO_CONTROLS, has_control_characters
from stores.audience import MAX_TOPICS_OFF

MAX_CAMPAIGN_BODY = 1024 * 1024
"""A campaign may list up to 10,000 recipients, so its body may be larger than others'."""
MAX_DATA = 16 * 1024


def add_notification_routes(api: web.Application) -> None:
    api.router.add_post("/notifications", post_notification)
    api.router.add_get("/notifications/{id}", get_notification)
    api.router.add_delete("/notifications/{id}", cancel_notification)
    api.router.add_get("/notifications/{id}/review", review_notification)
    api.router.add_post("/notifications/{id}/send", send_notification)
    api.router.add_post("/notifications/{id}/test", test_notification)
    api.router.add_post("/notifications/{id}/stop", stop_notification)
    api.router.add_get("/notifications/{id}/recipients", notification_recipients)
    api.router.add_post("/events", workflow_event)
    api.router.add_get("/numbers/{number}/costs", get_costs)
    api.router.add_post("/profiles/{ref}/topics", set_topics)


async def _own_number(request: web.Request, number: Any) -> str:
    """A number the caller is attached to; another is as unknown as a made-up one."""
    if not isinstance(number, str) or not number or len(number) > 100:
        raise ApiError(400, "'number' must be a number such as wa:106540352242922")
    if number not in await numbers_of(request):
        raise ApiError(404, f"no number {number}")
    return number


NO_AUDIENCE = (
    'say who gets it: an \'audience\' for a campaign ({"topic": "offers"}, a "filter", '
    '"profiles" or "conversations"), or a \'conversation_id\' for one message now'
)


CAMPAIGN_FIELDS = (
    "number",
    "text",
    "template",
    "category",
    "audience",
    "topic",
    "at",
    "cron",
    "draft",
    "respect_quiet_hours",
)
"""What a campaign's body may hold: a field misspelled (``catgory``) is refused, not left
out (a marketing campaign sent as utility would skip the consent check)."""
PHONES = ("phone", "wa")
"""The identities a ``phone`` field may name: a number, or a WhatsApp id (the same number)."""
EVENT_FIELDS = ("type", "number", "phone", "profile", "conversation", "data", "id")
"""What a workflow event may hold: ``phon`` for ``phone`` would name no customer."""


async def post_notification(request: web.Request) -> web.Response:
    """A campaign (``audience``), or today's one-off to a conversation (``conversation_id``)."""
    body = await read_body(request, MAX_CAMPAIGN_BODY)
    if "audience" not in body and "conversation_id" not in body:
        raise ApiError(400, NO_AUDIENCE)
    if "audience" not in body:
        return await _one_off(request, body)
    only_fields(body, CAMPAIGN_FIELDS)
    found, who = parts(request), acting(request)
    number = await _own_number(request, body.get("number"))
    await require_parent(request, number)
    draft = body.get("draft", False)
    if not isinstance(draft, bool):
        raise ApiError(400, "'draft' is true or false")
    try:
        spec, entries = parse_notification(
            body,
            service=who.name,
            region=found.region,
            zone=found.notifications.settings.timezone,
        )
    except ValueError as error:
        raise ApiError(400, str(error)[:300]) from None
    if spec.audience == "conversations":
        cids = [entry[2:] for entry in entries]
        metas = await found.notifications.reader.conversations(cids)
        for cid, meta in zip(cids, metas, strict=True):
            if meta.get("number") != number:
                raise ApiError(404, f"no conversation {cid} on {number}")
    # A keyed request's campaign takes its id from the key and the body: a retry that runs
    # again (the first was killed, or answered 503) finds it made, and sends it once.
    nid = keyed_id(request, "ntf")
    try:
        created = await found.notifications.create(spec, entries, draft=draft, nid=nid)
    except ValueError as error:
        raise ApiError(400, str(error)[:300]) from None
    # A draft has no run due until it is sent: its next_at is null, as its report says.
    next_at = None if created.status == "draft" else created.first_run
    answer = {"id": created.id, "status": created.status, "next_at": next_at}
    return web.json_response({"notification": answer}, status=202)


async def _one_off(request: web.Request, body: dict[str, Any]) -> web.Response:
    """A free-form message to one conversation's customer, sent at once."""
    only_fields(
        body,
        ("conversation_id", "text"),
        'a one-off goes now with its text; to schedule it, send a campaign with "audience": '
        '{"conversations": [id]}',
    )
    found, who = parts(request), acting(request)
    conversation_id, meta = await conversation(
        request, string_field(body, "conversation_id", limit=64)
    )
    await require_parent(request, meta["number"])
    try:
        ensure_open(meta)
    except ConversationClosedError as refusal:
        raise closed(refusal) from None
    text = string_field(body, "text")
    try:
        outbound = await found.actions.send(
            conversation_id, text, service=who.name, send_id=keyed_id(request, "snd")
        )
    except WindowClosedError as refusal:
        raise ApiError(422, str(refusal)) from None
    except SendFailedError as refusal:
        raise ApiError(503, str(refusal)) from None
    return web.json_response({"message": {"id": outbound.send_id, "text": text}}, status=202)


async def get_notification(request: web.Request) -> web.Response:
    """The report: every recipient counted once, and what became of each send."""
    notifications, viewer = parts(request).notifications, caller(request)
    try:
        report = await notifications.report(request.match_info["id"], await numbers_of(request))
    except NotificationNotFoundError as error:
        raise ApiError(404, str(error)) from None
    if viewer is not ADMIN:
        report = masked_campaign(viewer, report)
    return web.json_response({"notification": report})


async def cancel_notification(request: web.Request) -> web.Response:
    """No further runs; what is queued already still goes. The parent's, or its
    author's."""
    nid = await _draft_of(request, authors=False, ending=True)
    try:
        await parts(request).notifications.cancel(nid)
    except CancelRefusedError as error:
        raise ApiError(409, str(error)) from None
    return web.json_response({"notification": {"id": nid, "status": "cancelled"}})


async def _draft_of(request: web.Request, *, authors: bool = True, ending: bool = False) -> str:
    """The id of a notification on the caller's numbers whose number it is the parent of;
    with ``authors``, one it made too: a parent since a failover does not read (SN-3) or
    send the words of another's. ``ending`` it (a cancel, a stop), its author may too,
    parent or not: it sends nothing more, and a schedule of a service that is no longer
    the parent would otherwise be the operator's alone to end."""
    notifications = parts(request).notifications
    who = acting(request)
    nid = request.match_info["id"]
    try:
        spec = await notifications.spec(nid, await numbers_of(request))
    except NotificationNotFoundError as error:
        raise ApiError(404, str(error)) from None
    if not (ending and spec.service == who.name):
        await require_parent(request, spec.number)
    if authors and spec.service != who.name:
        raise ApiError(
            403, f"notification {nid} is {spec.service!r}'s: only it reviews, tests or sends it"
        )
    return nid


async def review_notification(request: web.Request) -> web.Response:
    """A draft's audience decided, nothing queued: recipients, eligible, skips by reason
    and the estimated cost. Its eligible recipients are frozen for ``send``."""
    nid = await _draft_of(request)
    try:
        review = await parts(request).notifications.review(nid)
    except NotificationStateError as error:
        raise ApiError(409, str(error)) from None
    return web.json_response({"review": review})


async def send_notification(request: web.Request) -> web.Response:
    """Send a reviewed draft to the recipients its review froze."""
    nid = await _draft_of(request)
    only_fields(await read_body(request), (), "a send takes no field: its review froze it")
    try:
        created = await parts(request).notifications.send(nid)
    except NotificationStateError as error:
        raise ApiError(409, str(error)) from None
    answer = {"id": nid, "status": created.status, "next_at": created.first_run}
    return web.json_response({"notification": answer}, status=202)


async def test_notification(request: web.Request) -> web.Response:
    """The message as each of up to 5 team members would get it, marked as a test and not
    counted in the report: ``{"members": ["ann@example.com"]}`` names them (their phones
    are in the team config), ``{"to": ["+447911123456"]}`` gives numbers; ``{}`` goes to
    the team members who have a phone."""
    nid = await _draft_of(request)
    body = await read_body(request, 64 * 1024)
    only_fields(body, ("members", "to"), "a test takes 'members' and 'to'")
    found = parts(request)
    members, phones = body.get("members", []), body.get("to", [])
    if (
        not isinstance(members, list)
        or len(members) > TEST_RECIPIENTS
        or not all(isinstance(m, str) and 0 < len(m) <= 254 for m in members)
    ):
        raise ApiError(400, f"'members' is a list of up to {TEST_RECIPIENTS} team members")
    if not isinstance(phones, list) or len(phones) > TEST_RECIPIENTS:
        raise ApiError(400, f"'to' is a list of up to {TEST_RECIPIENTS} phone numbers")
    if "to" in body and not phones and not members:
        raise ApiError(400, f"'to' is a list of 1 to {TEST_RECIPIENTS} phone numbers")
    if "members" in body and not members and not phones:  # a selection, empty: not everyone
        raise ApiError(400, f"'members' is a list of 1 to {TEST_RECIPIENTS} team members")
    keys = []
    for phone in phones:
        try:
            identity = parse_identity(phone if isinstance(phone, str) else "", found.region)
        except (InvalidPhoneError, InvalidIdentityError):
            identity = None
        if identity is None or identity.kind != "phone":
            raise ApiError(400, f"'to': {str(phone)[:40]!r} is not a phone number")
        keys.append(identity.key)
    try:
        chosen = found.notifications.test_phones(members, keys)
    except ValueError as error:
        raise ApiError(400, str(error)[:300]) from None
    sends = await found.notifications.test(nid, chosen)
    return web.json_response({"test": {"id": nid, "sends": sends}}, status=202)


async def stop_notification(request: web.Request) -> web.Response:
    """Stop a campaign that is sending or scheduled, with a reason: ``{"reason": "wrong
    price"}``. No one more is queued; what is queued already goes. The number's parent
    may stop another's (one that failed over to it), and its author its own."""
    nid = await _draft_of(request, authors=False, ending=True)
    body = await read_body(request)
    try:
        reason = checked_reason(body.get("reason"))
    except ValueError as error:
        raise ApiError(400, str(error)) from None
    view, by, now = (
        parts(request).notifications.campaigns_view,
        f"api:{acting(request).name}",
        time.time(),
    )
    try:
        await view.stop(nid, reason, by, now)
    except StopRefusedError as error:
        raise ApiError(409, str(error)) from None
    stop = {"reason": reason, "by": by, "at": now}
    return web.json_response({"notification": {"id": nid, "status": "stopped", "stop": stop}})


async def notification_recipients(request: web.Request) -> web.Response:
    """A campaign's recipients by outcome, paged: ``?status=read&cursor=&limit=100``."""
    notifications = parts(request).notifications
    nid = request.match_info["id"]
    try:
        spec = await notifications.spec(nid, await numbers_of(request))
    except NotificationNotFoundError as error:
        raise ApiError(404, str(error)) from None
    query = request.query
    status = query.get("status", "sent")
    if status not in RECIPIENT_OUTCOMES:
        raise ApiError(400, f"'status' is one of {', '.join(RECIPIENT_OUTCOMES)}")
    limit_text = query.get("limit", "100")
    if not (limit_text.isascii() and limit_text.isdigit()) or not 1 <= int(limit_text) <= MAX_PAGE:
        raise ApiError(400, f"'limit' is a number from 1 to {MAX_PAGE}")
    try:
        start = parse_cursor(query.get("cursor"))
    except ValueError as error:
        raise ApiError(400, str(error)) from None
    page = await notifications.campaigns_view.recipients(nid, spec, status, start, int(limit_text))
    return web.json_response(
        {"id": nid, "status": status, "recipients": page.items, "next_cursor": page.cursor}
    )


async def workflow_event(request: web.Request) -> web.Response:
    """A workflow trigger (``ticket.created``): the matching rules send their messages to
    the customer named by ``phone``, ``profile`` or ``conversation``. The parent's alone."""
    found, who = parts(request), acting(request)
    body = await read_body(request, 64 * 1024)
    only_fields(body, EVENT_FIELDS, "an event takes " + ", ".join(EVENT_FIELDS))
    kind = string_field(body, "type", limit=100)
    number = await _own_number(request, string_field(body, "number", limit=100))
    await require_parent(request, number)
    data = body.get("data", {})
    if not isinstance(data, dict) or len(json.dumps(data)) > MAX_DATA:
        raise ApiError(400, f"'data' must be a JSON object of at most {MAX_DATA} bytes")
    place = _holding_control_characters(data)
    if place:  # its values are filled into messages: refused as the API's texts are
        raise ApiError(400, f"'{place[:100]}' {NO_CONTROLS}")
    given = body.get("id") is not None  # "" is no id to be idempotent by: a 400
    event_id = string_field(body, "id", required=given, limit=100)
    customer = await named_customer(request, body, number)
    if not customer:  # no rule of an event sends to anyone else
        raise ApiError(400, "name the customer: phone, profile or conversation")
    event = WorkflowEvent(kind, number, who.name, data, customer, event_id)
    try:
        with profile_refusals():  # the customer erased while the event is taken
            answer = await found.workflows.trigger(event)
    except ValueError as error:
        raise ApiError(400, str(error)[:300]) from None
    except EventInProgressError as error:
        raise ApiError(409, str(error)) from None
    except EventIdReusedError as error:
        raise ApiError(422, str(error)) from None
    return web.json_response(answer.to_dict(), status=202)


def _holding_control_characters(data: dict[str, Any]) -> str:
    """The place (``data.ticket.tags.1``) of the first string in ``data``, at any depth,
    with a control character other than a newline, a carriage return or a tab; ''."""
    left: list[tuple[str, Any]] = [("data", data)]
    while left:
        place, value = left.pop()
        if isinstance(value, str) and has_control_characters(value, allowed=TEXT_CONTROLS):
            return place
        if isinstance(value, dict):
            left += reversed([(f"{place}.{key}", item) for key, item in value.items()])
        elif isinstance(value, list):
            left += reversed([(f"{place}.{n}", item) for n, item in enumerate(value)])
    return ""


async def named_customer(request: web.Request, body: dict[str, Any], number: str) -> str:
    """The customer a body names by ``phone``, ``profile`` or ``conversation`` (on
    ``number``), as an audience entry; '' when it names none."""
    # Named is given (null is as good as absent): "", {} or false is a 400, not nobody.
    named = [n for n in ("phone", "profile", "conversation") if body.get(n) is not None]
    if len(named) > 1:
        raise ApiError(400, "name the customer once: phone, profile or conversation")
    if named == ["conversation"]:
        conversation_id, meta = await conversation(
            request, string_field(body, "conversation", limit=64)
        )
        if meta["number"] != number:
            raise ApiError(404, f"no conversation {conversation_id} on {number}")
        if meta.get("customer") == "erased":
            raise ApiError(410, f"the customer of {conversation_id} was erased")
        return f"c:{conversation_id}"
    if not named:
        return ""
    reference = string_field(body, named[0], limit=300)
    if reference.startswith("p_"):
        await find_profile(request, reference)  # a made-up id is 404, as GET /v1/profiles
    else:
        try:
            identity = parse_identity(reference, parts(request).region)
        except InvalidPhoneError:
            identity = None  # answered as skipped: invalid_number
        except InvalidIdentityError as error:
            raise ApiError(400, f"'{named[0]}': {error}") from None
        if named[0] == "phone" and identity is not None and identity.kind not in PHONES:
            raise ApiError(400, f"'phone': {reference[:60]!r} is not a phone number")
    return f"p:{reference}"


async def get_costs(request: web.Request) -> web.Response:
    """The cost ledger of a number: totals, per category, country and notification."""
    number = await _own_number(request, request.match_info["number"])
    costs = await parts(request).notifications.costs(number)
    return web.json_response({"costs": costs})


async def set_topics(request: web.Request) -> web.Response:
    """Unsubscribe a customer from topics, or subscribe them again:
    ``{"unsubscribe": ["offers"], "subscribe": ["news"]}``."""
    found = parts(request)
    await require_attached(request)
    body = await read_body(request, 64 * 1024)
    lists = {name: body.get(name, []) for name in ("unsubscribe", "subscribe")}
    for name, topics in lists.items():
        if not isinstance(topics, list) or not all(
            isinstance(t, str) and TOPIC.fullmatch(t) for t in topics
        ):
            raise ApiError(400, f"'{name}' is a list of topic names (lowercase, digits, _ . -)")
        if len(topics) > MAX_TOPICS_OFF:
            raise ApiError(400, f"'{name}' names at most {MAX_TOPICS_OFF} topics")
    if not lists["unsubscribe"] and not lists["subscribe"]:
        raise ApiError(400, "give 'unsubscribe' or 'subscribe'")
    if both := sorted(set(lists["unsubscribe"]) & set(lists["subscribe"])):
        raise ApiError(400, f"a topic is left or joined, not both: {', '.join(both)[:200]}")
    only_fields(body, lists)
    reference = request.match_info["ref"]
    with profile_refusals():
        profile_id, topics_off = await found.notifications.set_topics(
            found.profiles, reference, lists["unsubscribe"], lists["subscribe"]
        )
    if lists["subscribe"] and found.sequences is not None:
        await found.sequences.on_topics_joined(profile_id, lists["subscribe"], caller(request).name)
    return web.json_response({"profile": profile_id, "topics_off": topics_off})
