"""The configured channels behind the sender's one interface: WhatsApp, Telegram, SMS and
the web chat; each with its client on the process's HTTP session and its limits."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Iterator

import aiohttp

from adapters import sms
from adapters.files import WhatsAppFiles
from adapters.keepalive import PostFailed
from adapters.provider import ProviderError
from adapters.whatsapp import WhatsAppClient
from bot.channels.telegram import TelegramChannel
from bot.config.settings import Settings
from bot.core.media import MediaLibrary
from bot.core.sender import UNANSWERED, SendFailedError, Transport
from bot.model import Outbound
from stores.rates import SharedRate


@contextlib.contextmanager
def send_failures(prefix: str, api: str) -> Iterator[None]:
    """A provider's refusal or an unreachable API, as the sender's SendFailedError."""
    try:
        yield
    except ProviderError as error:
        raise SendFailedError(
            f"{prefix}{error}",
            retryable=error.retryable,
            retry_after=error.retry_after,
            code=str(error.code) if error.code else "",
            opted_out=error.opted_out,
        ) from None
    except (aiohttp.ClientConnectorError, PostFailed) as error:
        if isinstance(error, PostFailed) and error.sent:
            raise SendFailedError(f"{api}: {error}; {UNANSWERED}", retryable=False) from None
        raise SendFailedError(f"{api} unreachable: {error}", retryable=True, unsent=True) from None
    except (aiohttp.ClientError, TimeoutError) as error:
        # Sent, and then the connection broke or the answer was late: the provider may
        # have taken it (Meta and Twilio have no idempotency key).
        what = str(error) or type(error).__name__
        raise SendFailedError(f"{api}: {what}; {UNANSWERED}", retryable=False) from None


THROUGHPUT_REACHED = "130429"
"""Meta's refusal of a send past the number's throughput: "try again later or reduce the
frequency", for the number, not for the one message."""
THROUGHPUT_PAUSE = 1.0
"""Seconds every process's sends for a number wait after it: throughput is a rate a
second; the refused send itself is retried after its own back-off."""


class WhatsAppTransport:
    """The Cloud API client behind the sender's channel interface."""

    def __init__(
        self,
        client: WhatsAppClient,
        rate: SharedRate,
        number: str,
        per_second: float,
        files: WhatsAppFiles,
        media: MediaLibrary,
    ) -> None:
        self.client = client
        self.files = files
        self.media = media
        self.rate = rate
        self.number = number
        self.per_second = per_second
        """The number's tier; error 130429 past it (CH-6)."""

    @contextlib.asynccontextmanager
    async def turn(self, outbound: Outbound) -> AsyncIterator[None]:
        """The number's next slot, shared by every process sending for it."""
        await self.rate.wait(self.number, self.per_second)
        yield

    async def deliver(self, outbound: Outbound) -> str:
        try:
            return await self._deliver(outbound)
        except SendFailedError as error:
            if error.code == THROUGHPUT_REACHED:  # every process's sends pause, not this one's
                await self.rate.hold(self.number, THROUGHPUT_PAUSE)
            raise

    async def _deliver(self, outbound: Outbound) -> str:
        with send_failures("", "WhatsApp API"):
            if outbound.template:
                return await self.client.send_template(outbound.recipient.value, outbound.template)
            if outbound.media:
                media = await self._by_meta_id(outbound.media)
                return await self.client.send_media(outbound.recipient.value, media)
            if outbound.buttons:
                return await self.client.send_choices(
                    outbound.recipient.value, outbound.text, outbound.buttons
                )
            return await self.client.send_text(outbound.recipient.value, outbound.text)

    async def _by_meta_id(self, media: dict[str, str]) -> dict[str, str]:
        """A file uploaded here goes to Meta first, once, and is sent by the id Meta gives
        it (30 days): no public URL of ours needs to be reachable from Meta."""
        upload = media.get("upload")
        if not upload:
            return media
        provider = f"whatsapp:{self.files.phone_number_id}"
        try:
            meta_id = await self.media.provider_id(upload, provider, self.files.upload)
        except LookupError as gone:
            raise SendFailedError(str(gone), retryable=False) from None
        except (PostFailed, aiohttp.ClientError, TimeoutError) as error:
            # An upload made twice costs a second copy at Meta, and no customer a message.
            raise SendFailedError(f"WhatsApp media upload: {error}", retryable=True) from None
        kept = {key: media[key] for key in ("kind", "caption", "filename") if key in media}
        return kept | {"id": meta_id}


class SMSTransport:
    """Twilio-compatible sending; choices go as numbered options, statuses come back to
    ``/webhooks/sms``."""

    per_second = None
    """No limit of ours: Twilio queues what comes faster than the sender's rate."""

    def __init__(self, client: sms.SMSClient, status_callback: str) -> None:
        self.client = client
        self.status_callback = status_callback

    @contextlib.asynccontextmanager
    async def turn(self, outbound: Outbound) -> AsyncIterator[None]:
        """No limit of ours: Twilio queues what comes faster than the sender's rate."""
        yield

    async def deliver(self, outbound: Outbound) -> str:
        text, media = outbound.text, outbound.media or {}
        if outbound.buttons:
            text = sms.render_choices(text, outbound.buttons)
        if media:  # an MMS: Twilio fetches the file, by its URL or our signed one
            text = media.get("caption", "")
        with send_failures("SMS: ", "SMS API"):
            return await self.client.send(
                outbound.recipient.value,
                text,
                status_callback=self.status_callback,
                media_url=media.get("link") or media.get("url", ""),
            )


class Channels:
    """Every configured channel of this process: its numbers, its transports behind the
    sender's one interface, and the Telegram poller when Telegram is on."""

    def __init__(
        self,
        numbers: list[str],
        transports: dict[str, Transport],
        telegram: TelegramChannel | None,
        public_url: str,
    ) -> None:
        self.numbers = numbers
        """The numbers this deployment serves: the web chat and each configured channel."""
        self.transports = transports
        self.telegram = telegram
        self.public_url = public_url

    async def start(self) -> None:
        if self.telegram:
            await self.telegram.start(f"{self.public_url.rstrip('/')}/webhooks/telegram")

    async def close(self) -> None:
        if self.telegram:
            await self.telegram.close()


def configured_numbers(settings: Settings) -> list[str]:
    """The web chat's number, then each configured channel's."""
    numbers = [settings.web_number]
    for channel in (settings.whatsapp, settings.telegram, settings.sms):
        if channel is not None:
            numbers.append(channel.number)
    return numbers
