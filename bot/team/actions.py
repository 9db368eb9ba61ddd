"""The one reply, claim, release, collision warning, attach and detach: the /v1 API, the
team's commands and the CLI all call these, and only word the outcome their own way."""

from __future__ import annotations

import asyncio
import logging
import time
import zlib
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

from bot.config.base import http_url
from bot.config.settings import RESERVED_NAMES, SERVICE_NAME
from bot.core.directory import Directory
from bot.core.ingest import shard_of
from bot.core.retry import retrying
from bot.core.sender import Sender, store_backoff
from bot.model import (
    Attachment,
    Claim,
    Event,
    Identity,
    Outbound,
    Service,
    conversation_id,
    new_id,
)
from stores.claims import ClaimStore
from stores.conversations import ConversationStore
from stores.redis import Pipe, is_store_fault
from stores.services import ServiceStore

log = logging.getLogger(__name__)

Publish = Callable[[list[Event]], Awaitable[None]]
"""Fans events out to the services of their numbers."""


class ConversationClosedError(Exception):
    """Nothing can be sent: the customer opted out (``opted_out``) or was erased (``erased``)."""

    def __init__(self, reason: str) -> None:
        why = "opted out (STOP)" if reason == "opted_out" else "was erased"
        super().__init__(f"the customer {why}: nothing can be sent to them")
        self.reason = reason


class NotHeldError(Exception):
    """A release by someone who does not hold the conversation; ``holder`` is who does."""

    def __init__(self, holder: Claim | None) -> None:
        super().__init__(
            "nobody holds this conversation"
            if holder is None
            else f"{holder.agent} of {holder.service} holds this conversation"
        )
        self.holder = holder


class InvalidServiceNameError(ValueError):
    """A service name that is not up to 32 lowercase letters, digits, - and _, or reserved."""


@dataclass(frozen=True, slots=True)
class Replied:
    """A reply queued to go out, and who else held the conversation when it was sent."""

    outbound: Outbound
    collision: Claim | None


@dataclass(frozen=True, slots=True)
class Claimed:
    """A claim taken, the claim it replaced, and that one when it was someone else's."""

    claim: Claim
    previous: Claim | None
    collision: Claim | None


def collision(holder: Claim | None, service: str, agent: str) -> Claim | None:
    """The claim to warn about: one held by anyone but ``agent`` of ``service`` (SN-5)."""
    if holder is None or (holder.service, holder.agent) == (service, agent):
        return None
    return holder


def collision_message(holder: Claim) -> str:
    """The collision warning's words: who holds the conversation, and since when."""
    when = time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(holder.since))
    return f"{holder.agent} of {holder.service} has held this conversation since {when}"


def checked_service_name(name: str) -> str:
    """``name`` if a new service may take it; InvalidServiceNameError otherwise."""
    if name in RESERVED_NAMES or not SERVICE_NAME.fullmatch(name):
        raise InvalidServiceNameError(
            "a service name is up to 32 lowercase letters, digits, - and _ (not 'bot', 'team' "
            "or 'admin')"
        )
    return name


CLAIM_ATTEMPTS = 5
"""Tries at a claim and at queuing its event while the store is out of reach: their waits
add up to about 8 s (a Redis restart)."""

CLAIM_LOCKS = 64
"""Conversations whose claims take turns in a process share one of these many locks."""


class ConversationActions:
    """What a person does to a conversation or a number, whichever surface they use."""

    def __init__(
        self,
        conversations: ConversationStore,
        claims: ClaimStore,
        services: ServiceStore,
        directory: Directory,
        sender: Sender,
        publish: Publish,
        configured: Sequence[str],
        *,
        claim_idle: float,
        shards: int,
    ) -> None:
        self.conversations = conversations
        self.claims = claims
        self.services = services
        self.directory = directory
        self.sender = sender
        self.publish = publish
        self.configured = configured
        """The numbers this deployment serves (a live list: channels may add to it)."""
        self.claim_idle = claim_idle
        self.shards = shards
        self._claiming_tasks: set[asyncio.Task[Claimed]] = set()
        """Claims under way, each in a task of its own, which its caller may leave."""
        self._claiming = [asyncio.Lock() for _ in range(CLAIM_LOCKS)]
        """A conversation's claims and releases, with their events, one at a time in this
        process: two at once queued their events in either order, and the last
        ``conversation.claimed`` could name someone who no longer held it."""

    async def numbers(self) -> list[str]:
        """Every number of the deployment: configured, or known to the store."""
        return sorted(set(self.configured) | set(await self.services.numbers()))

    async def numbers_of(self, service: str) -> list[str]:
        """The numbers ``service`` is attached to."""
        return [n for n in await self.numbers() if service in await self.services.order(n)]

    async def send(
        self,
        conversation_id: str,
        text: str,
        *,
        service: str,
        agent: str = "",
        template: dict[str, Any] | None = None,
        buttons: tuple[str, ...] = (),
        media: dict[str, str] | None = None,
        send_id: str = "",
    ) -> Outbound:
        """Queue a message to the customer: free-form, with ``buttons`` to choose from, as
        ``media``, or a WhatsApp ``template``; refused first if it cannot go (CH-2).
        ``send_id``: the message's id when a retry of the request must not send it twice
        (a new one otherwise)."""
        meta = await self.conversations.meta(conversation_id)
        if not meta or meta.get("customer") == "erased":
            raise LookupError(f"no conversation {conversation_id}")
        outbound = Outbound(
            send_id=send_id or new_id("snd"),
            conversation_id=conversation_id,
            channel=meta["channel"],
            number=meta["number"],
            recipient=Identity.parse(meta["customer"]),
            text=text,
            service=service,
            agent=agent,
            profile=meta.get("profile", ""),
            template=template,
            buttons=buttons,
            media=media,
        )
        await self.sender.send(outbound, shard_of(conversation_id, self.shards))
        return outbound

    async def start(
        self,
        number: str,
        channel: str,
        customer: Identity,
        text: str,
        *,
        profile: str,
        service: str,
        agent: str = "",
        template: dict[str, Any] | None = None,
        buttons: tuple[str, ...] = (),
        media: dict[str, str] | None = None,
        also: Callable[[Pipe], None] | None = None,
        send_id: str = "",
    ) -> Outbound:
        """Open the conversation of ``customer`` on ``number`` with a first message, in
        the one round trip that records it; ``also`` queues the new conversation's links.
        ``send_id`` as ``send``'s."""
        cid = conversation_id(number, customer)
        outbound = Outbound(
            send_id=send_id or new_id("snd"),
            conversation_id=cid,
            channel=channel,
            number=number,
            recipient=customer,
            text=text,
            service=service,
            agent=agent,
            profile=profile,
            template=template,
            buttons=buttons,
            media=media,
        )
        await self.sender.send(outbound, shard_of(cid, self.shards), also)
        return outbound

    async def reply(
        self,
        conversation_id: str,
        meta: dict[str, str],
        text: str,
        *,
        service: str,
        agent: str,
        template: dict[str, Any] | None = None,
        buttons: tuple[str, ...] = (),
        media: dict[str, str] | None = None,
        send_id: str = "",
    ) -> Replied:
        """An agent's reply, sent once from the number; the holder's claim is kept alive
        when the holder replies, and reported as a collision when someone else does.
        ``send_id`` as ``send``'s."""
        ensure_open(meta)
        # Read before the send is queued: a store failing after it must not tell the caller
        # to try again, which would send the customer the message twice.
        holder = await self.claims.holder(conversation_id)
        outbound = await self.send(
            conversation_id,
            text,
            service=service,
            agent=agent,
            template=template,
            buttons=buttons,
            media=media,
            send_id=send_id,
        )
        if holder and (holder.service, holder.agent) == (service, agent):
            try:
                await self.claims.touch(conversation_id, self.claim_idle)
            except Exception as error:
                if not is_store_fault(error):
                    raise
                log.warning(
                    "the claim of %s was not kept alive by its holder's reply: the store "
                    "failed (%s)",
                    conversation_id,
                    type(error).__name__,
                )
        return Replied(outbound, collision(holder, service, agent))

    async def claim(
        self, conversation_id: str, meta: dict[str, str], *, service: str, agent: str
    ) -> Claimed:
        """Claim for ``agent`` of ``service``: a warning, never a lock (SN-5).
        ConversationClosedError when its customer was erased: there is nobody to work."""
        if meta.get("customer") == "erased":
            raise ConversationClosedError("erased")
        # In a task of its own: its caller cancelled (a shard's worker whose lease could not
        # be renewed while the store was out of reach), the claim taken still gets its event.
        task = asyncio.create_task(self._claim(conversation_id, meta, service, agent))
        self._claiming_tasks.add(task)
        task.add_done_callback(self._claiming_tasks.discard)
        try:
            return await asyncio.shield(task)
        except asyncio.CancelledError:
            task.add_done_callback(_said_if_untold)
            raise

    async def _claim(
        self, conversation_id: str, meta: dict[str, str], service: str, agent: str
    ) -> Claimed:
        async with self._turn_of(conversation_id):
            # A store failing in between is waited out (every step is safe to redo): the
            # claim taken, its event must still reach every service (SN-5).
            before, held, untold = await retrying(
                lambda: self.claims.claim(conversation_id, service, agent, self.claim_idle),
                attempts=CLAIM_ATTEMPTS,
                backoff=store_backoff,
            )
            if not untold:  # claimed again by its holder: its idle time alone starts again
                return Claimed(held, before, collision(before, service, agent))
            data = {
                "conversation_id": conversation_id,
                **held.to_dict(),
                "previous": before.to_dict() if before else None,
            }
            event = Event.new("conversation.claimed", meta["number"], data)
            await retrying(
                lambda: self.publish([event]), attempts=CLAIM_ATTEMPTS, backoff=store_backoff
            )
            try:
                await self.claims.announced(conversation_id, held)
            except Exception as error:  # a redo of the claim would tell it once more
                if not is_store_fault(error):
                    raise
                log.warning(
                    "the claim of %s was told to the services, but not marked so: the "
                    "store failed (%s)",
                    conversation_id,
                    type(error).__name__,
                )
        return Claimed(held, before, collision(before, service, agent))

    def _turn_of(self, conversation_id: str) -> asyncio.Lock:
        return self._claiming[zlib.crc32(conversation_id.encode()) % CLAIM_LOCKS]

    async def release(
        self, conversation_id: str, meta: dict[str, str], *, service: str, agent: str
    ) -> None:
        """Release ``agent``'s claim; NotHeldError when nobody, or somebody else, holds it."""
        async with self._turn_of(conversation_id):
            released, holder = await self.claims.release(conversation_id, service, agent)
            if not released:
                raise NotHeldError(holder)
            data = {
                "conversation_id": conversation_id,
                "service": service,
                "agent": agent,
                "reason": "released",
            }
            event = Event.new("conversation.released", meta["number"], data)
            # Released, nobody holds it: the services must hear so (SN-5) over a short outage.
            await retrying(
                lambda: self.publish([event]), attempts=CLAIM_ATTEMPTS, backoff=store_backoff
            )

    async def define(
        self, name: str, url: str, secret: str, *, mask: bool | None, batch: int | None = None
    ) -> str:
        """Define (or redefine) a service; its new API token when it is new, else "".
        ``batch``: at most that many events per POST; 0, one event per POST. ``mask`` or
        ``batch`` None: a known service's stays, a new one's is the default (masked, one
        event per POST). ValueError for a name a service may not take or a URL that is no
        http(s) URL."""
        http_url(url)
        known = await self.services.get(checked_service_name(name))
        automation = known.automation if known else None
        if mask is None:
            mask = known.mask if known else True
        if batch is None:
            batch = known.batch if known else 0
        service = Service(name, url, secret, mask=mask, automation=automation, batch=batch)
        return await self.directory.define(service, with_token=known is None)

    async def attach(self, number: str, service: str) -> Attachment:
        """Attach ``service`` to ``number``; every service hears of a new parent (SN-1)."""
        before = await self.services.order(number)
        await self._told(await self.directory.attach(number, service))
        return Attachment(number, tuple(before), tuple(await self.services.order(number)))

    async def detach(self, number: str, service: str) -> Attachment:
        """Detach ``service``: the next one becomes parent at once (SN-7, SN-8).
        LookupError when it is not attached there."""
        before = await self.services.order(number)
        await self._told(await self.directory.detach(number, service))
        return Attachment(number, tuple(before), tuple(await self.services.order(number)))

    async def _told(self, events: list[Event]) -> None:
        """A number's change of parent told to every service (SN-7) over a short outage:
        the change made, a retry finds nothing to do and would tell nothing."""
        await retrying(lambda: self.publish(events), attempts=CLAIM_ATTEMPTS, backoff=store_backoff)


def _said_if_untold(task: asyncio.Task[Claimed]) -> None:
    """A claim that failed every try, its caller gone: said in the log."""
    if not task.cancelled() and (error := task.exception()) is not None:
        log.warning(
            "a claim failed: %s (claiming again tells the services of it)",
            f"the store failed ({type(error).__name__})" if is_store_fault(error) else error,
        )


def ensure_open(meta: dict[str, str]) -> None:
    """ConversationClosedError when nothing may be sent in this conversation."""
    if meta.get("opted_out") == "1":
        raise ConversationClosedError("opted_out")
    if meta.get("customer") == "erased":
        raise ConversationClosedError("erased")
