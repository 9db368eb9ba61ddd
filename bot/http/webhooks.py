"""The webhooks of Telegram (webhook mode) and of the SMS provider: verify, parse,
append durably, then answer (REL-1); the routes answer 404 while their channel is off."""

from __future__ import annotations

import hmac
import logging
import time
from urllib.parse import parse_qsl

from aiohttp import web
from multidict import MultiDict

from adapters import jsonbody, sms
from bot.channels.telegram import TelegramChannel
from bot.config.settings import Settings
from bot.core.ingest import Ingestor
from bot.http.body import read_at_most
from bot.http.errors import error_response
from bot.logs import Quiet

log = logging.getLogger(__name__)

MAX_UPDATE = 1024 * 1024


MAX_FIELDS = 1000
"""Fields of an SMS webhook's form at most: Twilio's have a few dozen."""


def twilio_form(content_type: str, charset: str | None, raw: bytes) -> MultiDict[str]:
    """The fields of a webhook's body as Twilio sends it, urlencoded in its charset (as
    aiohttp's ``post()`` reads one); ValueError or LookupError for any other body."""
    if content_type != "application/x-www-form-urlencoded":
        raise ValueError(f"a {content_type} body")
    encoding = charset or "utf-8"
    text = raw.rstrip().decode(encoding)
    pairs = parse_qsl(text, keep_blank_values=True, encoding=encoding, max_num_fields=MAX_FIELDS)
    return MultiDict(pairs)


async def _body(request: web.Request) -> bytes | None:
    """The body, or None past MAX_UPDATE: by the length a client declares, and then by
    what it sends (a chunked body declares none)."""
    if (request.content_length or 0) > MAX_UPDATE:
        return None
    raw = await read_at_most(request, MAX_UPDATE)
    return None if len(raw) > MAX_UPDATE else raw


def add_channel_routes(
    app: web.Application, settings: Settings, ingestor: Ingestor, telegram: TelegramChannel | None
) -> None:
    app.router.add_post("/webhooks/telegram", TelegramWebhook(settings, telegram).handle)
    sms_webhook = SMSWebhook(settings, ingestor).handle
    app.router.add_post("/webhooks/sms", sms_webhook)
    app.router.add_get("/webhooks/sms", sms_webhook)  # a number may be set to HTTP GET


class TelegramWebhook:
    """Updates Telegram posts, checked by ``X-Telegram-Bot-Api-Secret-Token`` (CH-3)."""

    def __init__(self, settings: Settings, channel: TelegramChannel | None) -> None:
        self.settings = settings
        self.channel = channel

    async def handle(self, request: web.Request) -> web.Response:
        channel = self.channel
        settings = self.settings.telegram
        if channel is None or settings is None or settings.mode != "webhook":
            return error_response(404, "Telegram webhooks are not enabled on this runtime")
        given = request.headers.get("X-Telegram-Bot-Api-Secret-Token", "")
        # A header's bytes that are not UTF-8 come as surrogates, and go back as they came.
        if not hmac.compare_digest(
            given.encode("utf-8", "surrogateescape"), settings.webhook_secret.encode()
        ):
            return error_response(401, "X-Telegram-Bot-Api-Secret-Token is missing or wrong")
        raw = await _body(request)
        if raw is None:
            return error_response(413, "an update is far smaller than this")
        try:
            update = channel.client.validate(jsonbody.loads(raw))
        except (ValueError, TypeError) as error:
            reason = str(error).removeprefix("not a Telegram update: ")
            return error_response(400, f"not a Telegram update: {reason[:200]}")
        new = await channel.accept([update])
        return web.json_response({"ok": True, "new": new})


class SMSWebhook:
    """Inbound SMS and status callbacks, checked by ``X-Twilio-Signature`` over the URL
    the provider was given (``PUBLIC_URL/webhooks/sms``) and the form (CH-4)."""

    def __init__(self, settings: Settings, ingestor: Ingestor) -> None:
        self.settings = settings
        self.ingestor = ingestor
        # Each said once a minute at most: a misconfigured number gets every message wrong.
        self._unsigned = Quiet(60.0, "requests")
        self._elsewhere = Quiet(60.0, "messages")

    async def handle(self, request: web.Request) -> web.Response:
        settings = self.settings.sms
        if settings is None:
            return error_response(404, "SMS is not configured on this runtime")
        if request.method == "GET":
            # A number's webhook set to HTTP GET: the parameters come in the query, which
            # Twilio signs as part of the URL, with no form after it.
            params = {key: list(request.rel_url.query.getall(key)) for key in request.rel_url.query}
            signed: dict[str, list[str]] = {}
        else:
            raw = await _body(request)
            if raw is None:
                return error_response(413, "an SMS webhook is far smaller than this")
            try:
                form = twilio_form(request.content_type, request.charset, raw)
            except (ValueError, LookupError):
                # Bytes that are not the charset's, a charset nobody knows, a multipart
                # body or any other kind: none of it is what Twilio sends.
                return error_response(
                    400, "the body is not a form Twilio sends (urlencoded, in its charset)"
                )
            params = signed = {key: list(form.getall(key)) for key in form}
        ours = url = f"{self.settings.public_url.rstrip('/')}/webhooks/sms"
        if query := request.rel_url.raw_query_string:  # Twilio signs the URL it was given
            url = f"{url}?{query}"
        signature = request.headers.get("X-Twilio-Signature", "")
        if not sms.verify_signature(settings.auth_token, url, signed, signature):
            if (more := self._unsigned.due(time.monotonic())) is not None:
                # Not the query: it may hold a token of the operator's (as the access
                # log never says it), or whatever a stranger put there.
                log.warning(
                    "an SMS webhook to %s%s came with %s X-Twilio-Signature, and is refused: "
                    "Twilio signs the URL it was given, so PUBLIC_URL must be it, and with "
                    "the account's auth token (TWILIO_AUTH_TOKEN)%s",
                    ours[:200],
                    " (with a query, not written here)" if query else "",
                    "a wrong" if signature else "no",
                    more,
                )
            return error_response(401, "X-Twilio-Signature is missing or does not match")
        try:
            items = sms.parse_webhook(params, settings.sender)
        except sms.PayloadError as error:
            return error_response(400, str(error))
        if not items and (other := sms.sent_elsewhere(params, settings.sender)):
            if (more := self._elsewhere.due(time.monotonic())) is not None:
                if sms.another_channel(other):
                    log.warning(
                        "an SMS webhook for %s, another channel's sender and not SMS_FROM "
                        "(%s), is left be: this channel takes SMS and MMS only%s",
                        other,
                        settings.sender,
                        more,
                    )
                else:
                    log.warning(
                        "an SMS webhook for %s, which is not SMS_FROM (%s), is left be: is "
                        "SMS_FROM the number Twilio sends it for?%s",
                        other,
                        settings.sender,
                        more,
                    )
        await self.ingestor.accept(items)
        return web.Response(text=sms.EMPTY_TWIML, content_type="text/xml")
