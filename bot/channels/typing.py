"""Typing indicators: someone of a service is typing a reply in a conversation, shown to the
customer where the channel can show it (the web chat, Telegram's chat action)."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from adapters import webchat
from adapters.telegram_common import TelegramError
from bot.channels.telegram import TelegramChannel
from bot.model import Identity

log = logging.getLogger(__name__)


class TypingSignals:
    """Passes "typing" (or "stopped") on to the customer of a conversation."""

    def __init__(
        self,
        publish_web: Callable[[str, str], Awaitable[None]],
        telegram: TelegramChannel | None = None,
    ) -> None:
        self.publish_web = publish_web
        self.telegram = telegram

    async def signal(self, meta: dict[str, str], typing: bool) -> bool:
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
        return False
