"""Idle claims lapse (SN-5): every service hears ``conversation.released`` once per lapse,
from whichever process takes it off the lapse list first."""

from __future__ import annotations

import asyncio
import logging
import time

from bot.core.retry import StoreFailureLine, retrying
from bot.core.sender import store_backoff
from bot.model import Event
from bot.team.actions import CLAIM_ATTEMPTS, Publish
from stores.claims import ClaimStore
from stores.conversations import ConversationStore
from stores.redis import is_store_fault

log = logging.getLogger(__name__)

SWEEP_SECONDS = 1.0
"""The shortest wait between two looks, and the wait after a failure."""
LOOK_SECONDS = 60.0
"""The longest wait between two looks, whatever the claims' idle time."""


async def announce_lapsed_claims(
    claims: ClaimStore, conversations: ConversationStore, publish: Publish, claim_idle: float
) -> None:
    """Announce lapsed claims until cancelled.

    Between looks it sleeps until the first known lapse: a claim taken since the last look
    lapses ``claim_idle`` after it at the earliest, so no look is needed before then.
    """
    failures = StoreFailureLine(log, "could not announce lapsed claims; looking again")
    while True:
        looked = time.time()
        wait = SWEEP_SECONDS
        try:
            for conversation_id in await claims.lapsed(looked):
                await _announce(conversations, publish, conversation_id)
            first = await claims.next_lapse()
            until = min(looked + min(claim_idle, LOOK_SECONDS), first or float("inf"))
            wait = max(SWEEP_SECONDS, until - time.time())
        except Exception as error:
            if is_store_fault(error):  # Redis out of reach: a line every few seconds
                failures.say(error)
            else:
                log.exception("could not announce lapsed claims")
        await asyncio.sleep(wait)


async def _announce(
    conversations: ConversationStore, publish: Publish, conversation_id: str
) -> None:
    """Tell every service a claim lapsed. Taken off the lapse list, it is told by nobody
    else: a short outage (a Redis restart) is waited out, as for a release (SN-5)."""
    meta = await retrying(
        lambda: conversations.meta(conversation_id), attempts=CLAIM_ATTEMPTS, backoff=store_backoff
    )
    data = {"conversation_id": conversation_id, "reason": "lapsed"}
    event = Event.new("conversation.released", meta["number"], data)
    await retrying(lambda: publish([event]), attempts=CLAIM_ATTEMPTS, backoff=store_backoff)
