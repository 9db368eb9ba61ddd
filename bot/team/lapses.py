"""Idle claims lapse (SN-5): every service hears ``conversation.released`` once per lapse,
from whichever process takes it off the lapse list first."""

from __future__ import annotations

import asyncio
import logging
import time

from bot.model import Event
from bot.team.actions import Publish
from stores.claims import ClaimStore
from stores.conversations import ConversationStore

log = logging.getLogger(__name__)

SWEEP_SECONDS = 1.0


async def announce_lapsed_claims(
    claims: ClaimStore, conversations: ConversationStore, publish: Publish
) -> None:
    """Announce lapsed claims until cancelled."""
    while True:
        try:
            for conversation_id in await claims.lapsed(time.time()):
                meta = await conversations.meta(conversation_id)
                data = {"conversation_id": conversation_id, "reason": "lapsed"}
                await publish([Event.new("conversation.released", meta["number"], data)])
        except Exception:
            log.exception("could not announce lapsed claims")
        await asyncio.sleep(SWEEP_SECONDS)
