"""A local stand-in for Meta's Graph API ``/{phone_number_id}/messages`` endpoint.

Answers with Meta's real success and error bodies, and can inject failures.
"""

from __future__ import annotations

import asyncio
import json
import re
import secrets
import time
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from tests.emulators.graph_media import GraphMedia, MediaRefusal
from tests.emulators.server import LocalServer

from .meta_webhooks import new_message_id

JSON = dict[str, Any]

# code -> (message, details). Texts follow what the Graph API actually returns.
_ERRORS: dict[int, tuple[str, str | None]] = {
    1: ("An unknown error has occurred.", None),
    2: ("Service temporarily unavailable", None),
    4: ("(#4) Application request limit reached", None),
    100: ("(#100) Invalid parameter", "Invalid parameter"),
    190: ("Invalid OAuth access token - Cannot parse access token", None),
    2500: ("Unknown path components", None),
    130429: ("(#130429) Rate limit hit", "Cloud API message throughput has been reached."),
    131000: ("(#131000) Something went wrong", "Something went wrong"),
    131009: ("(#131009) Parameter value is not valid", "Parameter value is not valid"),
    131016: ("(#131016) Service unavailable", "A service is temporarily unavailable."),
    132018: (
        "(#132018) There was an issue with the parameters in your template.",
        "Param text cannot have new-line/tab characters or more than 4 consecutive spaces",
    ),
    131047: (
        "(#131047) Re-engagement message",
        "Message failed to send because more than 24 hours have passed "
        "since the customer last replied to this number.",
    ),
}
_TRANSIENT = {1, 2}
_PARAMETER_REFUSED = re.compile(r"[\n\t]| {5,}")
"""What a template's text parameter may not hold (132018)."""
_MEDIA_TYPES = {"image", "document", "audio", "video", "sticker"}
_MESSAGE_TYPES = {"text", "template", "interactive", "reaction", "location", "contacts"}
_MESSAGE_TYPES |= _MEDIA_TYPES
_INTERACTIVE_TYPES = {"button", "list", "cta_url", "flow", "product", "product_list"}
_INTERACTIVE_TYPES |= {"catalog_message", "location_request_message", "address_message"}


def error_body(code: int, details: str | None = None, *, subcode: int | None = None) -> JSON:
    """Meta's ``{"error": {...}}`` object for ``code``, as the Graph API sends it."""
    message, default_details = _ERRORS.get(code, (f"(#{code}) Error", None))
    error: JSON = {"message": message, "type": "OAuthException", "code": code}
    if subcode is not None:
        error["error_subcode"] = subcode
    if code in _TRANSIENT:
        error["is_transient"] = True
    if details or default_details:
        error["error_data"] = {
            "messaging_product": "whatsapp",
            "details": details or default_details,
        }
    error["fbtrace_id"] = secrets.token_urlsafe(16)
    return {"error": error}


@dataclass(frozen=True)
class SentMessage:
    """One send the emulator accepted (and so would have reached the user)."""

    phone_number_id: str
    body: JSON
    message_id: str
    received_at: float

    @property
    def to(self) -> str:
        """The phone sent to, or the business-scoped user id (``recipient``)."""
        return str(self.body.get("to") or self.body.get("recipient"))

    @property
    def type(self) -> str:
        return str(self.body.get("type", "text"))

    @property
    def interactive_type(self) -> str:
        """``button`` or ``list`` for interactive messages, '' otherwise."""
        return str(self.body["interactive"]["type"]) if self.type == "interactive" else ""

    @property
    def choices(self) -> list[tuple[str, str]]:
        """(id, title) of each reply button or list row offered, in order."""
        action = self.body.get("interactive", {}).get("action", {})
        if self.interactive_type == "button":
            return [(b["reply"]["id"], b["reply"]["title"]) for b in action["buttons"]]
        rows = [row for section in action.get("sections", []) for row in section["rows"]]
        return [(row["id"], row["title"]) for row in rows]

    @property
    def text(self) -> str | None:
        """Body text of a text message, or the body of an interactive one."""
        if self.type == "text":
            return str(self.body["text"]["body"])
        if self.type == "interactive":
            text = self.body["interactive"].get("body", {}).get("text")
            return None if text is None else str(text)
        return None


@dataclass(frozen=True)
class GraphRequest:
    """Any request that reached the emulator, including refused ones."""

    method: str
    path: str
    headers: dict[str, str]
    raw_body: bytes
    status: int
    received_at: float


@dataclass
class _Injection:
    remaining: int
    status: int
    code: int
    retry_after: int | None


class _Refusal(Exception):
    def __init__(
        self, status: int, code: int, details: str | None = None, *, subcode: int | None = None
    ) -> None:
        super().__init__(details or str(code))
        self.status = status
        self.body = error_body(code, details, subcode=subcode)
        self.headers: dict[str, str] = {}


def _as_dict(value: Any) -> JSON:
    # Malformed nesting must produce Meta's 400, not crash the emulator with a 500.
    return value if isinstance(value, dict) else {}


def _check_length(value: Any, what: str, low: int, high: int) -> None:
    if not isinstance(value, str) or not low <= len(value) <= high:
        raise _Refusal(400, 131009, f"{what} length invalid. Min length: {low}, Max length: {high}")


def _check_interactive(obj: JSON) -> None:
    kind = obj.get("type")
    if kind not in _INTERACTIVE_TYPES:
        raise _Refusal(
            400,
            100,
            f"Param interactive['type'] must be one of {{{', '.join(sorted(_INTERACTIVE_TYPES))}}}",
        )
    action = obj.get("action")
    if not isinstance(action, dict):
        raise _Refusal(400, 100, "The parameter interactive['action'] is required.")
    if kind not in ("button", "list"):
        return
    _check_length(
        _as_dict(obj.get("body")).get("text"), "Body text", 1, 1024 if kind == "button" else 4096
    )
    if kind == "button":
        buttons = action.get("buttons")
        if not isinstance(buttons, list) or not 1 <= len(buttons) <= 3:
            raise _Refusal(400, 131009, "Buttons count invalid. Min: 1, Max: 3")
        replies = [_as_dict(_as_dict(b).get("reply")) for b in buttons]
        ids = [reply.get("id") for reply in replies]
        for button, reply in zip(buttons, replies, strict=True):
            if _as_dict(button).get("type") != "reply":
                raise _Refusal(
                    400, 100, "Param interactive['action']['buttons'] type must be reply"
                )
            _check_length(reply.get("id"), "Button id", 1, 256)
            _check_length(reply.get("title"), "Button title", 1, 20)
        titles = [reply.get("title") for reply in replies]
        if len(set(ids)) != len(ids) or len(set(titles)) != len(titles):
            raise _Refusal(400, 131009, "Button id or title is duplicate")
        return
    _check_length(action.get("button"), "Button text", 1, 20)
    sections = action.get("sections")
    if not isinstance(sections, list) or not 1 <= len(sections) <= 10:
        raise _Refusal(400, 131009, "Sections count invalid. Min: 1, Max: 10")
    for section in map(_as_dict, sections):
        if len(sections) > 1 or "title" in section:  # a title is needed only among several
            _check_length(section.get("title"), "Section title", 1, 24)
    rows = [_as_dict(row) for section in sections for row in _as_dict(section).get("rows", [])]
    if not 1 <= len(rows) <= 10:
        raise _Refusal(400, 131009, "Total row count exceed max allowed count: 10")
    for row in rows:
        _check_length(row.get("id"), "Row id", 1, 200)
        _check_length(row.get("title"), "Row title", 1, 24)
        if "description" in row:
            _check_length(row["description"], "Row description", 0, 72)
    if len({row["id"] for row in rows}) != len(rows):
        raise _Refusal(400, 131009, "Row id is duplicate")


_BSUID = re.compile(r"[A-Z]{2}(\.ENT)?\.[A-Za-z0-9]{1,128}")


def _check_send(body: Any) -> None:
    """Raise the refusal Meta would give for ``body``, or return if it is sendable."""
    if not isinstance(body, dict):
        raise _Refusal(400, 100, "Request body must be a JSON object")
    if body.get("messaging_product") != "whatsapp":
        raise _Refusal(400, 100, "The parameter messaging_product is required.")
    if body.get("recipient_type", "individual") not in ("individual", "group"):
        raise _Refusal(400, 100, "Param recipient_type must be one of {individual, group}")
    to = body.get("to")
    recipient = body.get("recipient")  # a business-scoped user id (BSUID); "to" wins
    if to is None and isinstance(recipient, str) and _BSUID.fullmatch(recipient):
        pass
    elif not isinstance(to, str) or not any(ch.isdigit() for ch in to):
        raise _Refusal(400, 100, "The parameter to is required.")
    # Meta treats a missing type as text, so a client that omits it still works there.
    kind = body.get("type", "text")
    if kind not in _MESSAGE_TYPES:
        raise _Refusal(
            400, 100, f"Param type must be one of {{{', '.join(sorted(_MESSAGE_TYPES))}}}"
        )
    obj = body.get(kind)
    if not isinstance(obj, (dict, list)):
        raise _Refusal(400, 100, f"The parameter {kind} is required.")
    if kind == "text":
        text = obj.get("body") if isinstance(obj, dict) else None
        if not isinstance(text, str) or not text:
            raise _Refusal(400, 100, "The parameter text['body'] is required.")
        if len(text) > 4096:
            raise _Refusal(400, 100, "Param text['body'] must be at most 4096 characters long.")
    elif kind == "template":
        _check_template(obj)
    elif kind == "interactive" and isinstance(obj, dict):
        _check_interactive(obj)
    elif kind in _MEDIA_TYPES:
        _check_media(kind, obj)


def _check_template(obj: Any) -> None:
    language = obj.get("language") if isinstance(obj, dict) else None
    if not isinstance(obj, dict) or not isinstance(obj.get("name"), str):
        raise _Refusal(400, 100, "The parameter template['name'] is required.")
    if not isinstance(language, dict) or not isinstance(language.get("code"), str):
        raise _Refusal(400, 100, "The parameter template['language']['code'] is required.")
    components = obj.get("components", [])
    if not isinstance(components, list) or not all(
        isinstance(c, dict) and isinstance(c.get("type"), str) for c in components
    ):
        raise _Refusal(400, 100, "Param template['components'] must be a list of components")
    for component in components:
        parameters = component.get("parameters", [])
        if not isinstance(parameters, list) or not all(
            isinstance(p, dict) and isinstance(p.get("type"), str) for p in parameters
        ):
            raise _Refusal(400, 100, "Param template['components'][]['parameters'] is invalid")
        for parameter in parameters:
            if parameter["type"] == "text":
                _check_length(parameter.get("text"), "Parameter text", 1, 32768)
                if _PARAMETER_REFUSED.search(parameter["text"]):
                    raise _Refusal(400, 132018)


# What each media object may carry: an audio or a sticker takes no caption, and only a
# document has a file name.
_MEDIA_FIELDS = {
    "image": {"id", "link", "caption"},
    "video": {"id", "link", "caption"},
    "document": {"id", "link", "caption", "filename"},
    "audio": {"id", "link"},
    "sticker": {"id", "link"},
}


def _check_media(kind: str, obj: Any) -> None:
    if not isinstance(obj, dict) or bool(obj.get("id")) == bool(obj.get("link")):
        raise _Refusal(400, 100, f"Param {kind} must contain either id or link")
    for key in obj.keys() - _MEDIA_FIELDS[kind]:
        raise _Refusal(400, 100, f"Param {kind}['{key}'] is not a valid parameter")
    if "caption" in obj:
        _check_length(obj["caption"], "Media caption", 1, 1024)


class GraphAPIEmulator(LocalServer):
    """Serves ``POST /{version}/{phone_number_id}/messages`` on 127.0.0.1, and the media
    endpoints (``media``: uploads, and customers' files added with ``add_media``)."""

    def __init__(
        self,
        access_token: str,
        *,
        version: str = "v21.0",
        phone_number_ids: Iterable[str] | None = None,
    ) -> None:
        self.access_token = access_token
        self.version = version
        # None accepts any id; a set mimics Meta refusing numbers the token cannot use.
        self.phone_number_ids = None if phone_number_ids is None else set(phone_number_ids)
        self.sent: list[SentMessage] = []
        self.media = GraphMedia()
        self.requests: list[GraphRequest] = []
        self.marked_read: list[str] = []
        self.typing_shown: list[str] = []
        """The customers' message ids a typing indicator was shown on (it marks them read)."""
        self.base_url = ""
        self.root_url = ""
        self._injections: list[_Injection] = []
        self._changed = asyncio.Condition()
        self.stalled: list[bytes] = []
        """Bodies of the sends held unanswered (``stall_next``); none of them is in ``sent``."""
        self._stalls = 0
        self._drops = 0
        self._stopping = asyncio.Event()
        self.delay = 0.0
        """Seconds each send waits before it is taken: a slow Graph API."""
        self.before_answer: Callable[[str], Awaitable[None]] | None = None
        """Awaited with a send's new message id once it is accepted, before its answer
        goes: a receipt Meta posts before the caller has its answer."""

    async def start(self, port: int = 0) -> str:
        """Listen and return the base URL, e.g. ``http://127.0.0.1:PORT/v21.0``."""
        app = web.Application(client_max_size=120 * 1024 * 1024)
        app.router.add_post(f"/{self.version}/{{phone_number_id}}/messages", self._handle_send)
        app.router.add_post(f"/{self.version}/{{phone_number_id}}/media", self._handle_upload)
        app.router.add_get(f"/{self.version}/{{media_id:[0-9]+}}", self._handle_media_url)
        app.router.add_get("/whatsapp_business/attachments/", self._handle_download)
        app.router.add_route("*", "/{tail:.*}", self._handle_unknown)
        self.root_url = await self._listen(app, port)
        self.base_url = f"{self.root_url}/{self.version}"
        return self.base_url

    async def _handle_upload(self, request: web.Request) -> web.StreamResponse:
        phone_number_id = request.match_info["phone_number_id"]
        return await self._media_call(request, lambda: self.media.upload(request, phone_number_id))

    async def _handle_media_url(self, request: web.Request) -> web.StreamResponse:
        async def describe() -> JSON:
            return self.media.describe(request.match_info["media_id"], self.root_url)

        return await self._media_call(request, describe)

    async def _handle_download(self, request: web.Request) -> web.StreamResponse:
        async def download() -> web.Response:
            return self.media.download(request)

        return await self._media_call(request, download)  # the URL wants the token too

    async def _media_call(
        self, request: web.Request, answer: Callable[[], Awaitable[JSON | web.Response]]
    ) -> web.StreamResponse:
        """A media endpoint's answer for an authenticated caller, or Meta's refusal."""
        try:
            self._authenticate(request)
            found = await answer()
        except _Refusal as refusal:
            return await self._record(request, b"", refusal.status, refusal.body, refusal.headers)
        except MediaRefusal as refusal:
            body = error_body(refusal.code, refusal.details)
            return await self._record(request, b"", refusal.status, body)
        if isinstance(found, web.Response):
            return found
        return await self._record(request, b"", 200, found)

    async def stop(self) -> None:
        self._stopping.set()  # stalled sends get their answer: a 503
        await self._shut_down()

    def stall_next(self, count: int = 1) -> None:
        """Hold the next ``count`` authenticated sends with no answer until the emulator
        stops, as a provider that hangs: the caller cannot tell whether they went out.
        They are kept in ``stalled``, not ``sent``."""
        self._stalls += count

    async def wait_for_stalled(self, n: int, timeout: float = 5.0) -> list[bytes]:
        """Wait until ``n`` sends are held unanswered; return their bodies."""
        async with asyncio.timeout(timeout):
            async with self._changed:
                await self._changed.wait_for(lambda: len(self.stalled) >= n)
        return list(self.stalled)

    def drop_answer_next(self, count: int = 1) -> None:
        """Take the next ``count`` sends (they go out, in ``sent``) and close the connection
        instead of answering: an answer lost on its way back."""
        self._drops += count

    def fail_next(
        self,
        count: int = 1,
        *,
        status: int = 429,
        code: int = 130429,
        retry_after: int | None = None,
    ) -> None:
        """Refuse the next ``count`` authenticated sends with Meta's error for ``code``.

        Injections queue up: ``fail_next(1, status=500, code=131000)`` followed by
        ``fail_next(2)`` gives one 500 and then two 429s.
        """
        if count > 0:
            self._injections.append(_Injection(count, status, code, retry_after))

    # A plain timeout argument keeps call sites one line; the wait is bounded internally.
    async def wait_for_sent(
        self,
        n: int,
        timeout: float = 5.0,
    ) -> list[SentMessage]:
        """Wait until at least ``n`` sends were accepted; return all of them."""
        try:
            async with asyncio.timeout(timeout):
                async with self._changed:
                    await self._changed.wait_for(lambda: len(self.sent) >= n)
        except TimeoutError:
            raise TimeoutError(
                f"expected {n} accepted sends within {timeout}s, got {len(self.sent)} "
                f"({len(self.requests)} requests in total)"
            ) from None
        return list(self.sent)

    def _refuse_if_injected(self) -> None:
        if not self._injections:
            return
        injection = self._injections[0]
        injection.remaining -= 1
        if injection.remaining <= 0:
            self._injections.pop(0)
        refusal = _Refusal(injection.status, injection.code)
        if injection.retry_after is not None:
            refusal.headers["Retry-After"] = str(injection.retry_after)
        raise refusal

    async def _stall(self, raw: bytes) -> None:
        self._stalls -= 1
        self.stalled.append(raw)
        async with self._changed:
            self._changed.notify_all()
        await self._stopping.wait()
        raise _Refusal(503, 2, "Service temporarily unavailable")

    def _authenticate(self, request: web.Request) -> None:
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not secrets.compare_digest(
            token.strip(), self.access_token
        ):
            refusal = _Refusal(401, 190)
            refusal.headers["WWW-Authenticate"] = (
                'OAuth "Facebook Platform" "invalid_token" '
                '"Invalid OAuth access token - Cannot parse access token"'
            )
            raise refusal

    async def _handle_send(self, request: web.Request) -> web.Response:
        raw = await request.read()
        phone_number_id = request.match_info["phone_number_id"]
        try:
            # Order mirrors Meta: no throttling before the caller is known.
            self._authenticate(request)
            if self._stalls:
                await self._stall(raw)
            if self.delay:
                await asyncio.sleep(self.delay)
            self._refuse_if_injected()
            if self.phone_number_ids is not None and phone_number_id not in self.phone_number_ids:
                raise _Refusal(
                    400,
                    100,
                    f"Unsupported post request. Object with ID '{phone_number_id}' "
                    "does not exist, cannot be loaded due to missing permissions, "
                    "or does not support this operation.",
                    subcode=33,
                )
            try:
                body = json.loads(raw)
            except ValueError:
                raise _Refusal(400, 100, "Request body is not valid JSON") from None
            if isinstance(body, dict) and body.get("status") == "read":
                return await self._mark_read(request, raw, body)
            _check_send(body)
        except _Refusal as refusal:
            return await self._record(request, raw, refusal.status, refusal.body, refusal.headers)
        return await self._accept(request, raw, phone_number_id, body)

    async def _mark_read(self, request: web.Request, raw: bytes, body: JSON) -> web.Response:
        if not isinstance(body.get("message_id"), str):
            refusal = _Refusal(400, 100, "The parameter message_id is required.")
            return await self._record(request, raw, refusal.status, refusal.body)
        typing = body.get("typing_indicator")
        if typing is not None and typing != {"type": "text"}:
            refusal = _Refusal(400, 100, "Invalid parameter: typing_indicator.type must be text")
            return await self._record(request, raw, refusal.status, refusal.body)
        self.marked_read.append(body["message_id"])
        if typing is not None:
            self.typing_shown.append(body["message_id"])
        return await self._record(request, raw, 200, {"success": True})

    async def _accept(
        self, request: web.Request, raw: bytes, phone_number_id: str, body: JSON
    ) -> web.Response:
        message_id = new_message_id()
        message: JSON = {"id": message_id}
        if body.get("type") == "template":
            message["message_status"] = "accepted"
        if "to" in body:
            to = str(body["to"])
            contact = {"input": to, "wa_id": "".join(ch for ch in to if ch.isdigit())}
        else:  # sent to a BSUID: its user_id comes back, no wa_id
            contact = {"input": body["recipient"], "user_id": body["recipient"]}
        answer = {"messaging_product": "whatsapp", "contacts": [contact], "messages": [message]}
        self.sent.append(SentMessage(phone_number_id, body, message_id, time.time()))
        if self.before_answer is not None:
            await self.before_answer(message_id)
        if self._drops:
            self._drops -= 1
            if request.transport is not None:
                request.transport.close()
        return await self._record(request, raw, 200, answer)

    async def _handle_unknown(self, request: web.Request) -> web.Response:
        raw = await request.read()
        refusal = _Refusal(400, 2500)
        refusal.body["error"]["message"] = f"Unknown path components: {request.path}"
        return await self._record(request, raw, 400, refusal.body)

    async def _record(
        self,
        request: web.Request,
        raw: bytes,
        status: int,
        answer: JSON,
        headers: dict[str, str] | None = None,
    ) -> web.Response:
        self.requests.append(
            GraphRequest(
                request.method, request.path, dict(request.headers), raw, status, time.time()
            )
        )
        async with self._changed:
            self._changed.notify_all()
        return web.json_response(answer, status=status, headers=headers)
