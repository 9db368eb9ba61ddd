"""A local stand-in for Twilio's Programmable Messaging: the Messages REST endpoint,
signed status callbacks, and the inbound webhook forms Twilio posts.

It is written from Twilio's documentation, apart from ``adapters/sms.py``, so tests
that pit one against the other check both.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import hashlib
import hmac
import re
import secrets
import time
from dataclasses import dataclass
from email.utils import formatdate
from typing import Any

import aiohttp
from aiohttp import web

from tests.emulators.server import LocalServer

API_VERSION = "2010-04-01"
JSON = dict[str, Any]

# Texts as Twilio's REST API returns them.
_MESSAGES: dict[int, str] = {
    20003: "Authenticate",
    20429: "Too Many Requests",
    20500: "An internal server error has occurred",
    21211: "The 'To' number {to} is not a valid phone number.",
    21602: "Message body is required.",
    21603: "A 'From' or 'MessagingServiceSid' parameter is required to send a message.",
    21604: "A 'To' phone number is required.",
    21610: "Attempt to send to unsubscribed recipient",
    21617: "The concatenated message body exceeds the 1600 character limit.",
    21620: "Invalid media URL(s).",
    20404: "The requested resource was not found",
}
_E164 = re.compile(r"^\+[1-9]\d{1,14}$")
_HTTP_URL = re.compile(r"^https?://[^\s/]+/\S*$")
_GSM_BASIC = (
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞ\x1bÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
_GSM_ESCAPED = "\f^{}\\[~]|€"
_COUNTRIES = {"+1": "US", "+44": "GB", "+49": "DE", "+33": "FR", "+34": "ES", "+55": "BR"}


def sign(auth_token: str, url: str, params: dict[str, str]) -> str:
    """Twilio's ``X-Twilio-Signature`` for a form POST to ``url``."""
    payload = url
    for name in sorted(params):
        payload += name + params[name]
    mac = hmac.new(auth_token.encode("utf-8"), payload.encode("utf-8"), hashlib.sha1)
    return base64.b64encode(mac.digest()).decode("ascii")


def num_segments(body: str) -> int:
    """Segments Twilio bills for ``body``: GSM-7 when every character has a septet
    (extension characters cost ESC + char), UCS-2 otherwise; a multi-part message
    loses room to its header, and no character is cut between two parts."""
    if all(ch != "\x1b" and (ch in _GSM_BASIC or ch in _GSM_ESCAPED) for ch in body):
        septets = "".join("\x1b" + ch if ch in _GSM_ESCAPED else ch for ch in body)
        if len(septets) <= 160:
            return 1
        parts = 0
        while septets:
            cut = 153 if septets[152:153] != "\x1b" else 152
            septets, parts = septets[cut:], parts + 1
        return parts
    units = body.encode("utf-16-be", "surrogatepass")
    if len(units) <= 140:
        return 1
    parts = 0
    while units:
        cut = 134
        if len(units) > cut and 0xD8 <= units[cut - 2] <= 0xDB:  # a high surrogate
            cut -= 2
        units, parts = units[cut:], parts + 1
    return parts


def new_sid(prefix: str = "SM") -> str:
    """A Twilio SID: two letters and 32 hex digits."""
    return prefix + secrets.token_hex(16)


def _country(number: str) -> str:
    return next((c for p, c in _COUNTRIES.items() if number.startswith(p)), "")


def inbound_form(
    account_sid: str,
    from_: str,
    to: str,
    body: str,
    *,
    media: list[tuple[str, str]] | tuple[tuple[str, str], ...] = (),
    messaging_service_sid: str | None = None,
    sid: str | None = None,
    **extra: str,
) -> dict[str, str]:
    """The form Twilio posts to a number's incoming-message webhook.

    ``media`` holds ``(url, content_type)`` pairs; with media the SID starts ``MM``.
    """
    sid = sid or new_sid("MM" if media else "SM")
    form = {
        "ToCountry": _country(to),
        "ToState": "",
        "SmsMessageSid": sid,
        "NumMedia": str(len(media)),
        "ToCity": "",
        "FromZip": "",
        "SmsSid": sid,
        "FromState": "",
        "SmsStatus": "received",
        "FromCity": "",
        "Body": body,
        "FromCountry": _country(from_),
        "To": to,
        "ToZip": "",
        "NumSegments": str(num_segments(body)),
        "MessageSid": sid,
        "AccountSid": account_sid,
        "From": from_,
        "ApiVersion": API_VERSION,
    }
    if messaging_service_sid:
        form["MessagingServiceSid"] = messaging_service_sid
    for index, (url, content_type) in enumerate(media):
        form[f"MediaContentType{index}"] = content_type
        form[f"MediaUrl{index}"] = url
    form.update(extra)
    return form


def status_form(
    account_sid: str,
    sid: str,
    status: str,
    *,
    to: str,
    from_: str | None,
    messaging_service_sid: str | None = None,
    error_code: int | None = None,
) -> dict[str, str]:
    """The form Twilio posts to a message's ``StatusCallback`` URL."""
    form = {"SmsSid": sid, "SmsStatus": status, "MessageStatus": status, "To": to}
    if messaging_service_sid:
        form["MessagingServiceSid"] = messaging_service_sid
    form.update(MessageSid=sid, AccountSid=account_sid, ApiVersion=API_VERSION)
    if from_:
        form["From"] = from_
    if status in ("failed", "undelivered"):
        form["ErrorCode"] = str(error_code or 30003)
    if status == "delivered":
        form["RawDlrDoneDate"] = time.strftime("%y%m%d%H%M", time.gmtime())
    return form


def error_body(code: int, status: int, **values: str) -> JSON:
    """Twilio's REST error object."""
    return {
        "code": code,
        "message": _MESSAGES.get(code, "Error").format(**values),
        "more_info": f"https://www.twilio.com/docs/errors/{code}",
        "status": status,
    }


@dataclass(frozen=True)
class SentSMS:
    """One message the emulator accepted (and so would have gone out)."""

    sid: str
    to: str
    from_: str | None
    messaging_service_sid: str | None
    body: str
    num_segments: int
    status_callback: str | None
    received_at: float
    media_urls: tuple[str, ...] = ()
    """The ``MediaUrl`` values of an MMS, which Twilio fetches to send."""


@dataclass(frozen=True)
class TwilioRequest:
    """Any request that reached the emulator, refused ones included."""

    method: str
    path: str
    form: dict[str, str]
    status: int


@dataclass
class _Injection:
    remaining: int
    status: int
    code: int
    retry_after: float | None


class _Refusal(Exception):
    def __init__(self, status: int, code: int, **values: str) -> None:
        super().__init__(code)
        self.status = status
        self.body = error_body(code, status, **values)
        self.headers: dict[str, str] = {}


class TwilioEmulator(LocalServer):
    """Serves ``POST /2010-04-01/Accounts/{AccountSid}/Messages.json`` on 127.0.0.1.

    ``start()``/``close()`` (or ``async with``) run the server. ``stop(number)`` and
    ``unstop(number)`` play a recipient texting STOP and UNSTOP.
    """

    def __init__(self, account_sid: str, auth_token: str) -> None:
        self.account_sid = account_sid
        self.auth_token = auth_token
        self.sent: list[SentSMS] = []
        self.requests: list[TwilioRequest] = []
        self.callbacks: list[tuple[str, dict[str, str], int]] = []
        """Status callbacks posted: (url, form, the receiver's HTTP status)."""
        self.base_url = ""
        self.media: dict[str, tuple[bytes, str]] = {}
        """Customers' files, by the path of their MediaUrl: (bytes, content type)."""
        self.media_fetches: list[str] = []
        self.chunked_media = False
        """Serve MediaUrls chunked, without a Content-Length, as a CDN may."""
        self.media_pause = 0.0
        """Seconds between the pieces (256 KiB) of a chunked MediaUrl: a slow CDN."""
        self.media_held: asyncio.Event | None = None
        """While an Event not yet set, MediaUrls answer nothing until it is: a stalled
        file server (each fetch is counted in ``media_fetches`` as it comes)."""
        self.sends_held: asyncio.Event | None = None
        """While an Event not yet set, sends wait for it before they are answered: an API
        call in flight (each is counted in ``sends_waiting`` as it comes)."""
        self.sends_waiting = 0
        self.receipt_first: str | None = None
        """A status (``delivered``, ``undelivered``...) whose callback each accepted send
        posts before the API's answer goes: a receipt that overtakes the answer."""
        self._opted_out: set[str] = set()
        self._injections: list[_Injection] = []
        self._changed = asyncio.Condition()
        self._session: aiohttp.ClientSession | None = None

    async def start(self, port: int = 0) -> str:
        """Listen and return the API base, e.g. ``http://127.0.0.1:PORT``."""
        app = web.Application()
        app.router.add_post(f"/{API_VERSION}/Accounts/{{account}}/Messages.json", self._create)
        media = f"/{API_VERSION}/Accounts/{{account}}/Messages/{{message}}/Media/{{media}}"
        app.router.add_get(media, self._media)
        self.base_url = await self._listen(app, port)
        self._session = aiohttp.ClientSession()
        return self.base_url

    async def close(self) -> None:
        if self.sends_held is not None:  # a held send would hold the shutdown
            self.sends_held.set()
        if self._session is not None:
            await self._session.close()
            self._session = None
        await self._shut_down()

    async def aclose(self) -> None:
        await self.close()

    def add_media(self, message_sid: str, data: bytes, content_type: str) -> str:
        """Hold a customer's file of an MMS; its MediaUrl, as the inbound webhook gives it."""
        path = f"/{API_VERSION}/Accounts/{self.account_sid}/Messages/{message_sid}/Media/"
        path += new_sid("ME")
        self.media[path] = (data, content_type)
        return self.base_url + path

    async def _media(self, request: web.Request) -> web.StreamResponse:
        """A MediaUrl: the file, to whoever gives the account's credentials (HTTP Basic)."""
        try:
            self._authenticate(request)
        except _Refusal as refusal:
            return web.json_response(refusal.body, status=refusal.status, headers=refusal.headers)
        found = self.media.get(request.path)
        if found is None:
            return web.json_response(error_body(20404, 404), status=404)
        self.media_fetches.append(request.path)
        async with self._changed:
            self._changed.notify_all()
        if self.media_held is not None:
            await self.media_held.wait()
        if not self.chunked_media:
            return web.Response(body=found[0], headers={"Content-Type": found[1]})
        response = web.StreamResponse(headers={"Content-Type": found[1]})
        response.enable_chunked_encoding()
        await response.prepare(request)
        for start in range(0, len(found[0]), 256 * 1024):
            await response.write(found[0][start : start + 256 * 1024])
            await asyncio.sleep(self.media_pause)
        await response.write_eof()
        return response

    def stop(self, number: str) -> None:
        """``number`` opted out: sends to it now fail with 21610."""
        self._opted_out.add(number)

    def unstop(self, number: str) -> None:
        self._opted_out.discard(number)

    def throttle(self, times: int = 1, retry_after: float | None = None) -> None:
        """Answer the next ``times`` authenticated sends with 429 / 20429."""
        self.fail_next(times, status=429, code=20429, retry_after=retry_after)

    def fail_next(
        self,
        times: int = 1,
        *,
        status: int = 500,
        code: int = 20500,
        retry_after: float | None = None,
    ) -> None:
        """Refuse the next ``times`` authenticated sends; injections queue up in order."""
        if times > 0:
            self._injections.append(_Injection(times, status, code, retry_after))

    def signed_inbound(
        self, url: str, from_: str, to: str, body: str, **options: Any
    ) -> tuple[dict[str, str], str]:
        """An inbound webhook form as Twilio would post it to ``url``, and its signature."""
        form = inbound_form(self.account_sid, from_, to, body, **options)
        return form, sign(self.auth_token, url, form)

    async def post_status(self, sid: str, status: str, *, error_code: int | None = None) -> int:
        """Post a signed status callback for an accepted message; the receiver's status."""
        sent = next((s for s in self.sent if s.sid == sid), None)
        if sent is None or not sent.status_callback or self._session is None:
            raise LookupError(f"no accepted message {sid} with a StatusCallback (or not started)")
        form = status_form(
            self.account_sid,
            sid,
            status,
            to=sent.to,
            from_=sent.from_,
            messaging_service_sid=sent.messaging_service_sid,
            error_code=error_code,
        )
        headers = {"X-Twilio-Signature": sign(self.auth_token, sent.status_callback, form)}
        async with self._session.post(sent.status_callback, data=form, headers=headers) as resp:
            await resp.read()
            self.callbacks.append((sent.status_callback, form, resp.status))
            return resp.status

    async def wait_for_sent(self, n: int, timeout: float = 5.0) -> list[SentSMS]:
        """Wait until at least ``n`` sends were accepted; return all of them."""
        try:
            async with asyncio.timeout(timeout):
                async with self._changed:
                    await self._changed.wait_for(lambda: len(self.sent) >= n)
        except TimeoutError:
            raise TimeoutError(
                f"expected {n} accepted sends within {timeout}s, got {len(self.sent)}"
            ) from None
        return list(self.sent)

    async def wait_for_sends_waiting(self, n: int, timeout: float = 5.0) -> None:
        """Wait until at least ``n`` sends came while ``sends_held`` holds them."""
        async with asyncio.timeout(timeout), self._changed:
            await self._changed.wait_for(lambda: self.sends_waiting >= n)

    async def wait_for_media_fetches(self, n: int, timeout: float = 5.0) -> None:
        """Wait until at least ``n`` MediaUrl fetches came (held ones too)."""
        async with asyncio.timeout(timeout), self._changed:
            await self._changed.wait_for(lambda: len(self.media_fetches) >= n)

    def _authenticate(self, request: web.Request) -> None:
        scheme, _, encoded = request.headers.get("Authorization", "").partition(" ")
        try:
            user, _, password = base64.b64decode(encoded, validate=True).decode().partition(":")
        except (binascii.Error, UnicodeDecodeError):
            user = password = ""
        known = secrets.compare_digest(user.encode(), self.account_sid.encode())
        known &= secrets.compare_digest(password.encode(), self.auth_token.encode())
        if scheme.lower() != "basic" or not known or request.match_info["account"] != user:
            refusal = _Refusal(401, 20003)
            refusal.headers["WWW-Authenticate"] = 'Basic realm="Twilio API"'
            raise refusal

    def _refuse_if_injected(self, form: dict[str, str]) -> None:
        if not self._injections:
            return
        injection = self._injections[0]
        injection.remaining -= 1
        if injection.remaining <= 0:
            self._injections.pop(0)
        refusal = _Refusal(injection.status, injection.code, to=form.get("To", ""))
        if injection.retry_after is not None:
            refusal.headers["Retry-After"] = f"{injection.retry_after:g}"
        raise refusal

    @staticmethod
    def _validate(form: dict[str, str]) -> None:
        to = form.get("To", "")
        if not to:
            raise _Refusal(400, 21604)
        if not _E164.match(to):
            raise _Refusal(400, 21211, to=to)
        if not form.get("From") and not form.get("MessagingServiceSid"):
            raise _Refusal(400, 21603)
        body = form.get("Body", "")
        if not body and not form.get("MediaUrl"):
            raise _Refusal(400, 21602)
        if len(body.encode("utf-16-le")) // 2 > 1600:  # an emoji counts as two
            raise _Refusal(400, 21617)

    async def _create(self, request: web.Request) -> web.Response:
        posted = await request.post()
        if self.sends_held is not None:
            self.sends_waiting += 1
            async with self._changed:
                self._changed.notify_all()
            await self.sends_held.wait()
        form = {name: str(value) for name, value in posted.items()}
        media_urls = tuple(str(url) for url in posted.getall("MediaUrl", []))
        try:
            self._authenticate(request)
            self._refuse_if_injected(form)
            self._validate(form)
            if form["To"] in self._opted_out:
                raise _Refusal(400, 21610)
            if len(media_urls) > 10 or not all(_HTTP_URL.match(url) for url in media_urls):
                raise _Refusal(400, 21620)
        except _Refusal as refusal:
            return await self._answer(request, form, refusal.status, refusal.body, refusal.headers)
        accepted = self._accept(form, media_urls)
        if self.receipt_first and self.sent[-1].status_callback:
            failed = self.receipt_first in ("undelivered", "failed")
            await self.post_status(
                str(accepted["sid"]), self.receipt_first, error_code=30003 if failed else None
            )
        return await self._answer(request, form, 201, accepted)

    def _accept(self, form: dict[str, str], media_urls: tuple[str, ...] = ()) -> JSON:
        sid, now = new_sid(), formatdate(usegmt=True)
        service = form.get("MessagingServiceSid") or None
        sent = SentSMS(
            sid=sid,
            to=form["To"],
            from_=form.get("From") or None,
            messaging_service_sid=service,
            body=form.get("Body", ""),
            num_segments=num_segments(form.get("Body", "")),
            status_callback=form.get("StatusCallback") or None,
            received_at=time.time(),
            media_urls=media_urls,
        )
        self.sent.append(sent)
        uri = f"/{API_VERSION}/Accounts/{self.account_sid}/Messages/{sid}"
        return {
            "account_sid": self.account_sid,
            "api_version": API_VERSION,
            "body": sent.body,
            "date_created": now,
            "date_sent": None,
            "date_updated": now,
            "direction": "outbound-api",
            "error_code": None,
            "error_message": None,
            "from": sent.from_,
            "messaging_service_sid": service,
            "num_media": str(len(media_urls)),
            # Twilio answers 0 for sends through a Messaging Service; it knows later.
            "num_segments": "0" if service else str(sent.num_segments),
            "price": None,
            "price_unit": "USD",
            "sid": sid,
            "status": "accepted" if service else "queued",
            "subresource_uris": {"media": f"{uri}/Media.json"},
            "to": sent.to,
            "uri": f"{uri}.json",
        }

    async def _answer(
        self,
        request: web.Request,
        form: dict[str, str],
        status: int,
        body: JSON,
        headers: dict[str, str] | None = None,
    ) -> web.Response:
        self.requests.append(TwilioRequest(request.method, request.path, form, status))
        async with self._changed:
            self._changed.notify_all()
        return web.json_response(body, status=status, headers=headers)
