"""The configured channels behind the sender's one interface: WhatsApp, Telegram, SMS and
the web chat; each with its client on the process's HTTP session and its limits."""

from __future__ import annotations

import contextlib
from collections.abc import Awaitable, Callable, Iterator, Sequence

import aiohttp

from adapters import sms
from adapters.provider import ProviderError
from adapters.webchat import WebChatTransport
from adapters.whatsapp import WhatsAppClient
from bot.channels.telegram import TelegramChannel, make_client
from bot.config.settings import Settings
from bot.core.sender import SendFailedError, Transport
from bot.model import Inbound, Outbound
from stores.leases import Leases
from stores.polling import PollOffsets
from stores.rates import SharedRate


@contextlib.contextmanager
def send_failures(prefix: str, api: str) -> Iterator[None]:
    """A provider's refusal or an unreachable API, as the sender's SendFailedError."""
    try:
        yield
    except ProviderError as error:
        raise SendFailedError(
            f"{prefix}{error}", retryable=error.retryable, retry_after=error.retry_after
        ) from None
    except (aiohttp.ClientError, TimeoutError) as error:
        raise SendFailedError(f"{api} unreachable: {error}", retryable=True) from None


class WhatsAppTransport:
    """The Cloud API client behind the sender's channel interface."""

    def __init__(
        self, client: WhatsAppClient, rate: SharedRate, number: str, per_second: float
    ) -> None:
        self.client = client
        self.rate = rate
        self.number = number
        self.per_second = per_second
        """The number's tier; error 130429 past it (CH-6)."""

    async def deliver(self, outbound: Outbound) -> str:
        await self.rate.wait(self.number, self.per_second)
        with send_failures("", "WhatsApp API"):
            if outbound.template:
                return await self.client.send_template(outbound.recipient.value, outbound.template)
            if outbound.buttons:
                return await self.client.send_choices(
                    outbound.recipient.value, outbound.text, outbound.buttons
                )
            return await self.client.send_text(outbound.recipient.value, outbound.text)


class SMSTransport:
    """Twilio-compatible sending; choices go as numbered options, statuses come back to
    ``/webhooks/sms``."""

    def __init__(self, client: sms.SMSClient, status_callback: str) -> None:
        self.client = client
        self.status_callback = status_callback

    async def deliver(self, outbound: Outbound) -> str:
        text = outbound.text
        if outbound.buttons:
            text = sms.render_choices(text, outbound.buttons)
        with send_failures("SMS: ", "SMS API"):
            return await self.client.send(
                outbound.recipient.value, text, status_callback=self.status_callback
            )


class Channels:
    """Every configured channel of this process: numbers, transports, the Telegram poller."""

    def __init__(
        self,
        settings: Settings,
        session: aiohttp.ClientSession,
        leases: Leases,
        offsets: PollOffsets,
        rate: SharedRate,
        publish: Callable[[str, str], Awaitable[None]],
        ingest: Callable[[Sequence[Inbound]], Awaitable[list[bool]]],
    ) -> None:
        self.settings = settings
        self.transports: dict[str, Transport] = {"web": WebChatTransport(publish)}
        self.telegram: TelegramChannel | None = None
        if settings.whatsapp:
            wa = settings.whatsapp
            client = WhatsAppClient(session, wa.api_base, wa.phone_number_id, wa.access_token)
            self.transports["whatsapp"] = WhatsAppTransport(
                client, rate, wa.number, wa.messages_per_second
            )
        if settings.telegram:
            self.telegram = TelegramChannel(
                settings.telegram,
                make_client(settings.telegram),
                leases,
                offsets,
                ingest,
                rate,
                settings.telegram_lease_ttl,
            )
            self.transports["telegram"] = self.telegram
        if settings.sms:
            text = settings.sms
            client_sms = sms.SMSClient(
                session, text.api_base, text.account_sid, text.auth_token, text.sender
            )
            callback = f"{settings.public_url.rstrip('/')}/webhooks/sms"
            self.transports["sms"] = SMSTransport(client_sms, callback)

    @property
    def numbers(self) -> list[str]:
        """The numbers this deployment serves: the web chat and each configured channel."""
        settings = self.settings
        numbers = [settings.web_number]
        for channel in (settings.whatsapp, settings.telegram, settings.sms):
            if channel is not None:
                numbers.append(channel.number)
        return numbers

    async def start(self) -> None:
        if self.telegram:
            url = f"{self.settings.public_url.rstrip('/')}/webhooks/telegram"
            await self.telegram.start(url)

    async def close(self) -> None:
        if self.telegram:
            await self.telegram.close()
