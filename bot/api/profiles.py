"""``/v1/profiles``: lookup by id or any identity, merge, convert, erase, notes, activity.

Profiles are the business's customers, shared by every service of the deployment, so
any authenticated caller may use these routes; notes are masked per caller like
timelines (SN-4).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from aiohttp import web

from bot.api.common import (
    ADMIN,
    CALLER,
    ApiError,
    numbers_of,
    only_fields,
    parts,
    profile_refusals,
    read_body,
    require_attached,
    string_field,
)
from bot.core.redaction import masked_campaign
from stores.profiles import Merge, Refusal

if TYPE_CHECKING:
    from bot.model import Service


def add_profile_routes(api: web.Application) -> None:
    api.router.add_get("/profiles", lookup_profile)
    api.router.add_get("/profiles/{ref}", get_profile)
    api.router.add_delete("/profiles/{ref}", erase_profile)
    api.router.add_post("/profiles/{ref}/merge", merge_profiles)
    api.router.add_post("/profiles/{ref}/convert", convert_profile)
    api.router.add_put("/profiles/{ref}/consent", set_consent)
    api.router.add_get("/profiles/{ref}/notes", profile_notes)
    api.router.add_get("/profiles/{ref}/activity", get_activity)
    api.router.add_get("/profiles/{ref}/campaigns", profile_campaigns)


Handler = Callable[[web.Request], Awaitable[web.Response]]


def _refusals(handler: Handler) -> Handler:
    """A service attached to no number is refused (403): detached from every number, it
    is no longer one of the deployment's services. Lookup failures as API errors: 400
    unreadable, 404 unknown, 410 erased."""

    async def guarded(request: web.Request) -> web.Response:
        await require_attached(request)
        with profile_refusals():
            return await handler(request)

    return guarded


def _reference(request: web.Request) -> str:
    reference = request.match_info["ref"]
    if len(reference) > 300:
        raise ApiError(400, "a profile id or identity is at most 300 characters")
    return reference


def _viewer(request: web.Request) -> Service | None:
    caller = request[CALLER]
    return None if caller is ADMIN else caller


@_refusals
async def lookup_profile(request: web.Request) -> web.Response:
    """``?identity=phone:+447700900123`` (or an email, or a phone typed any way)."""
    raw = request.query.get("identity", "")
    if not raw or len(raw) > 300:
        raise ApiError(400, "give ?identity=<type>:<value>, e.g. phone:+447700900123")
    # An unencoded "+" in a query string arrives as a space.
    kind, sep, value = raw.partition(":")
    if sep and value.startswith(" "):
        raw = f"{kind}:+{value[1:]}"
    elif raw.startswith(" "):
        raw = "+" + raw[1:]
    book = parts(request).profiles
    return web.json_response({"profile": await book.view(raw)})


@_refusals
async def get_profile(request: web.Request) -> web.Response:
    book = parts(request).profiles
    return web.json_response({"profile": await book.view(_reference(request))})


@_refusals
async def merge_profiles(request: web.Request) -> web.Response:
    """Merge with ``{"other": <id or identity>}``; the older profile survives."""
    book = parts(request).profiles
    found = await read_body(request)
    only_fields(found, ("other",), "a merge takes the other profile")
    other = string_field(found, "other", limit=300)
    result = await book.merge(_reference(request), other)
    if isinstance(result, Refusal):
        raise ApiError(409, f"merge refused: {result.reason}")
    survivor = result.survivor if isinstance(result, Merge) else await book.find(other)
    return web.json_response(
        {
            "merged": result.merged if isinstance(result, Merge) else None,
            "profile": await book.view(survivor),
        }
    )


@_refusals
async def convert_profile(request: web.Request) -> web.Response:
    only_fields(await read_body(request), (), "a conversion takes no field")
    book = parts(request).profiles
    return web.json_response({"profile": await book.convert(_reference(request))})


@_refusals
async def set_consent(request: web.Request) -> web.Response:
    """``{"basis": "consent"}``: the profile's lawful basis for marketing, recorded with
    its source (``api:<service>``) and time."""
    body = await read_body(request)
    basis = string_field(body, "basis", limit=40)
    only_fields(body, {"basis"})
    source = f"api:{request[CALLER].name}"
    book = parts(request).profiles
    return web.json_response(
        {"profile": await book.set_consent(_reference(request), basis, source)}
    )


@_refusals
async def erase_profile(request: web.Request) -> web.Response:
    book = parts(request).profiles
    return web.json_response({"erased": await book.erase(_reference(request))})


@_refusals
async def profile_notes(request: web.Request) -> web.Response:
    """The daily notes (PS-6); ``?day=YYYY-MM-DD`` for one day."""
    day = request.query.get("day", "")
    found = parts(request)
    viewer = _viewer(request)
    numbers = None
    if viewer is not None:  # a service reads the messages of its own numbers only
        numbers = set(await found.actions.numbers_of(viewer.name))
    notes = await found.profiles.notes(_reference(request), viewer, day, numbers)
    return web.json_response({"notes": notes})


@_refusals
async def get_activity(request: web.Request) -> web.Response:
    """Web activity (PS-4) and tracked-link clicks (PS-3) of the profile's visitors. A
    service sees where a click led only for a message whose content it sees (SN-3)."""
    found = parts(request)
    profile_id = await found.profiles.find(_reference(request))
    activity = await found.activity(profile_id, 200)
    viewer = _viewer(request)
    if viewer is not None and activity["clicks"]:
        numbers = set(await found.actions.numbers_of(viewer.name))
        shown = await found.profiles.shown_messages(profile_id, viewer, numbers)
        activity["clicks"] = [
            click if click["message"] in shown else _click_masked(click)
            for click in activity["clicks"]
        ]
    return web.json_response(activity)


def _click_masked(click: dict[str, Any]) -> dict[str, Any]:
    """A click on a link in a message the caller does not see: when, by which browser,
    in which message; not where it led (the message's words)."""
    return {key: value for key, value in click.items() if key != "target"} | {"masked": True}


MAX_CAMPAIGNS = 200


@_refusals
async def profile_campaigns(request: web.Request) -> web.Response:
    """The campaigns the profile got on the caller's numbers, the newest first, and what
    it did with each (sent, delivered, read, failed, clicked, unsubscribed):
    ``?limit=50``."""
    found = parts(request)
    limit_text = request.query.get("limit", "50")
    if (
        not (limit_text.isascii() and limit_text.isdigit())
        or not 1 <= int(limit_text) <= MAX_CAMPAIGNS
    ):
        raise ApiError(400, f"'limit' is a number from 1 to {MAX_CAMPAIGNS}")
    profile_id = await found.profiles.find(_reference(request))
    every = await found.profiles.with_merged(profile_id)
    campaigns = await found.notifications.campaigns_view.of_profiles(
        every, await numbers_of(request), int(limit_text)
    )
    viewer = _viewer(request)
    if viewer is not None:
        campaigns = [masked_campaign(viewer, campaign) for campaign in campaigns]
    return web.json_response({"profile": profile_id, "campaigns": campaigns})
