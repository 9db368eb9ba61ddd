"""Typing indicators: someone of a service is typing a reply in a conversation, shown to the
customer where the channel can show it (the web chat, Telegram's chat action, WhatsApp's
typing indicator)."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp

from adapters import webchat
from adapters.keepalive import PostFailed
from adapters.provider import ProviderError
from adapters.telegram_common import TelegramError
from adapters.whatsapp import WhatsAppClient
from bot.channels.telegram import TelegramChannel
from bot.model import Identity

Timeline = Callable[[str, int], Awaitable[list[dict[str, Any]]]]

log = logging.getLogger(__name__)


class TypingSignals:
    """Passes "typing" (or "stopped") on to the customer of a conversation."""

    def __init__(
        self,
        publish_web: Callable[[str, str], Awaitable[None]],
        telegram: TelegramChannel | None = None,
        whatsapp: WhatsAppClient | None = None,
        timeline: Timeline | None = None,
    ) -> None:
        self.publish_web = publish_web
        self.telegram = telegram
        self.whatsapp = whatsapp
        self.timeline = timeline
        """A conversation's last messages: WhatsApp shows typing on the customer's last one."""

    async def signal(self, conversation_id: str, meta: dict[str, str], typing: bool) -> bool:
        """Whether the customer's channel shows it; best effort, never an error."""
        try:
            customer = Identity.parse(meta.get("customer", ""))
        except ValueError:
            return False
        channel = meta.get("channel")
        if channel == "web" and customer.kind == "vid":
            await self.publish_web(customer.value, webchat.typing_frame(typing))
            return True
        if channel == "telegram" and customer.kind == "tg" and self.telegram is not None:
            if not typing:
                return True  # Telegram's "typing…" lapses by itself within 5 seconds
            try:
                await self.telegram.client.send_typing(customer.value)
            except TelegramError as error:
                log.info("Telegram did not show typing: %s", error)
                return False
            return True
        if channel == "whatsapp" and self.whatsapp is not None and self.timeline is not None:
            if not typing:
                return True  # it lapses with the next message, or after 25 seconds
            return await self._whatsapp_typing(conversation_id)
        return False

    async def _whatsapp_typing(self, conversation_id: str) -> bool:
        """Meta's typing indicator names the customer's message being answered, and marks it
        (and those before it) read."""
        messages = await self.timeline(conversation_id, 50) if self.timeline else []
        last = next((m for m in reversed(messages) if m.get("direction") == "inbound"), None)
        if last is None or self.whatsapp is None:
            return False
        try:
            await self.whatsapp.send_typing(str(last["id"]))
        except (ProviderError, aiohttp.ClientError, PostFailed, TimeoutError) as error:
            log.info("WhatsApp did not show typing: %s", error)
            return False
        return True
