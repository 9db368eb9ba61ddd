"""``/v1/sequences``: the drip sequences of the caller's numbers, each one's report (every
step's counts and the overall ones, the enrolments), and enrolling or unenrolling a
customer by hand. Enrolling is the parent's alone (SN-6): a subscriber gets 403."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from bot.api.common import (
    ADMIN,
    ApiError,
    acting,
    caller,
    numbers_of,
    only_fields,
    parts,
    profile_refusals,
    read_body,
    require_parent,
)
from bot.api.notifications import named_customer
from bot.config.sequences import Sequence
from bot.core.redaction import masked_campaign
from bot.identities import InvalidPhoneError, parse_identity
from bot.outreach.sequences import SequenceNotFoundError, Sequences

ENROLMENT_FIELDS = ("phone", "profile", "conversation", "again")
"""What an enrolment may hold: ``agian`` for ``again`` would not start the customer over."""


def add_sequence_routes(api: web.Application) -> None:
    api.router.add_get("/sequences", list_sequences)
    api.router.add_get("/sequences/{name}", get_sequence)
    api.router.add_post("/sequences/{name}/enrolments", enrol)
    api.router.add_get("/sequences/{name}/enrolments/{ref}", get_enrolment)
    api.router.add_delete("/sequences/{name}/enrolments/{ref}", unenrol)


def _sequences(request: web.Request) -> Sequences:
    found = parts(request).sequences
    if found is None:
        raise ApiError(404, "no sequences here")
    return found


async def _sequence(request: web.Request) -> Sequence:
    """The sequence of the path, if it is on one of the caller's numbers."""
    name = request.match_info["name"]
    sequences = _sequences(request)
    try:
        sequence = sequences.get(name) if len(name) <= 40 else None
    except SequenceNotFoundError:
        sequence = None
    if sequence is None or sequence.number not in await numbers_of(request):
        raise ApiError(404, f"no sequence {name[:60]!r}")
    return sequence


async def list_sequences(request: web.Request) -> web.Response:
    reports = parts(request).sequence_reports
    if reports is None:
        return web.json_response({"sequences": []})
    return web.json_response({"sequences": await reports.listing(await numbers_of(request))})


async def get_sequence(request: web.Request) -> web.Response:
    """The report: each step's counts as a campaign's, the overall ones, the enrolments."""
    sequence = await _sequence(request)
    reports = parts(request).sequence_reports
    assert reports is not None
    report = await reports.report(sequence.name)
    viewer = caller(request)
    if viewer is not ADMIN:  # a step's words are its sends', masked as they are (SN-3)
        report["steps"] = [masked_campaign(viewer, step) for step in report["steps"]]
    return web.json_response({"sequence": report})


async def enrol(request: web.Request) -> web.Response:
    """``{"profile": "p_…"}`` (or ``phone``, ``conversation``): the customer starts the
    sequence; once ended, only with ``"again": true``."""
    sequence = await _sequence(request)
    acting(request)
    await require_parent(request, sequence.number)
    body = await read_body(request)
    only_fields(body, ENROLMENT_FIELDS, "an enrolment takes " + ", ".join(ENROLMENT_FIELDS))
    again = body.get("again", False)
    if not isinstance(again, bool):
        raise ApiError(400, "'again' is true or false")
    customer = await named_customer(request, body, sequence.number)
    if not customer:
        raise ApiError(400, "name the customer: phone, profile or conversation")
    if body.get("phone"):  # a number no step could ever reach is no enrolment
        try:
            parse_identity(str(body["phone"]), parts(request).region)
        except InvalidPhoneError as error:
            raise ApiError(400, f"'phone': {error}"[:300]) from None
    if not sequence.enabled:
        raise ApiError(409, f"sequence {sequence.name} is disabled in the configuration")
    sequences = _sequences(request)
    with profile_refusals():  # the customer erased while they are enrolled
        _, enrolled = await sequences.enrol(sequence.name, customer, again=again)
    shown = await sequences.enrolment(sequence.name, customer)
    return web.json_response({"enrolled": enrolled, "enrolment": shown}, status=202)


def _reference(request: web.Request) -> str:
    reference = request.match_info["ref"].strip()
    if not reference or len(reference) > 300:
        raise ApiError(400, "name the customer: a profile id, a phone or an identity")
    return f"c:{reference}" if reference.startswith("c_") else f"p:{reference}"


async def get_enrolment(request: web.Request) -> web.Response:
    sequence = await _sequence(request)
    try:
        shown = await _sequences(request).enrolment(sequence.name, _reference(request))
    except LookupError:  # a profile or conversation id that names nobody
        shown = None
    if shown is None:
        raise ApiError(404, f"{request.match_info['ref'][:60]} is not enrolled")
    return web.json_response({"enrolment": shown})


async def unenrol(request: web.Request) -> web.Response:
    """The customer's enrolment ends (``manual``): no later step goes."""
    sequence = await _sequence(request)
    acting(request)
    await require_parent(request, sequence.number)
    reference = _reference(request)
    sequences = _sequences(request)
    try:
        _, stopped = await sequences.unenrol(sequence.name, reference)
        shown: Any = await sequences.enrolment(sequence.name, reference)
    except LookupError:  # a profile or conversation id that names nobody
        shown = None
    if shown is None:
        raise ApiError(404, f"{request.match_info['ref'][:60]} is not enrolled")
    return web.json_response({"stopped": stopped, "enrolment": shown})
