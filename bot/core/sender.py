"""Outbound to customers: the 24-hour window, the outbox, idempotent sends and their retries."""

from __future__ import annotations

import asyncio
import logging
import secrets
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Sequence
from contextlib import AbstractAsyncContextManager, AsyncExitStack
from dataclasses import replace
from typing import Any, Protocol, TypeVar

from adapters import sms
from adapters.telegram_common import BLOCKED
from adapters.whatsapp import MARKETING_STOPPED
from bot.core.links import LinkSigner, LinkSigners
from bot.core.metrics import Meters
from bot.core.retry import QUIET_SECONDS, log_failure, retrying
from bot.logs import Quiet, bound
from bot.model import Event, Outbound, Pricing, compact_json, derived_id, parse_json
from stores.conversations import (
    WINDOW_SECONDS,
    ConversationStore,
    CustomerErasedError,
    CustomerOptedOutError,
    EarlyReceipt,
    WindowClosedAtSendError,
)
from stores.redis import Pipe, StoreClient, StoreError
from stores.streams import Entry, ShardedStream

log = logging.getLogger(__name__)
T = TypeVar("T")

ERASED = "erased"
"""The error code a campaign's report gives a send dropped as its customer was erased."""
OPTED_OUT = "opted_out"
"""The error code a campaign's report gives a send dropped as its customer opted out."""
WINDOW_CLOSED = "outside_window"
"""The error code a campaign's report gives a free-form WhatsApp send dropped as the
customer's 24-hour window closed while it waited its turn."""
WITHDRAWN = "withdrawn"
"""The error code of a campaign's send not made because the campaign was stopped or
cancelled while it waited in the outbox."""
SHOWS_LINKS_AS_WRITTEN = frozenset({"web"})
"""Channels whose page shows each link of a message as written, and opens its tracked
link (``Outbound.targets``), rather than showing the tracked link's own address."""
MAX_SEND_ATTEMPTS = 5
UNREACHABLE_PATIENCE = 600.0
"""Seconds since it was queued that a send waits in the outbox while its provider cannot
be reached at all (its attempts spent, it is tried again about every 20 s): a provider's
outage of a few minutes delays the replies, and loses none. Past it, the send fails."""
COMPLETION_ATTEMPTS = 9
"""Tries to record a send that went out: its waits add up to about two minutes of a
store out of reach."""
PARALLEL_CONVERSATIONS = 32
"""Conversations of one shard sent to at once: bounded, so a burst cannot drain the pool."""
MAX_WITHDRAWN = 1000
"""Campaigns found stopped that the sender remembers, the latest: one forgotten takes
turns of the rate again, and its claims still withdraw its sends."""
CALL_SECONDS = 20.0
"""The longest a channel's API call may take; one with no answer by then has failed, and
is not made again (``UNANSWERED``)."""
UNANSWERED = "no answer came, so whether the message went out is unknown, and it is not sent again"
"""A call made and never answered (late, or its connection broken): the provider may have
taken it, and the channels' APIs have no idempotency key (REL-3)."""
INTERRUPTED_AFTER = CALL_SECONDS + 10.0
"""A claim this old was made by an attempt a crash cut short: no attempt holds one longer
(its API call, and the round trips to Redis on either side of it)."""
INTERRUPTED = (
    "interrupted: the process stopped during the API call; whether the message went out "
    "is unknown, so it is not sent again"
)


class WindowClosedError(Exception):
    """A free-form WhatsApp message outside the customer's 24-hour window (CH-2)."""


class SendFailedError(Exception):
    """A channel refused a message; ``retryable`` says whether trying again may work."""

    def __init__(
        self,
        message: str,
        *,
        retryable: bool,
        retry_after: float | None = None,
        code: str = "",
        opted_out: bool = False,
        unsent: bool = False,
    ):
        super().__init__(message)
        self.retryable = retryable
        self.unsent = unsent
        """No connection to the provider could be made: the call surely did not reach it,
        so the send may wait in the outbox for it to come back (``UNREACHABLE_PATIENCE``)."""
        self.retry_after = retry_after
        self.code = code
        """The provider's error code, when it gave one."""
        self.opted_out = opted_out
        """The provider refused it as the customer opted out with it (a STOP we never saw)."""


class Transport(Protocol):
    """A channel's way to put one message in front of a customer: wait for the channel's
    limits, then make the API call."""

    def turn(self, outbound: Outbound) -> AbstractAsyncContextManager[None]:
        """Wait until the channel's limits let ``outbound`` go (CH-6); its API call is made
        inside the block, which keeps the turn until the call is over."""
        ...

    @property
    def per_second(self) -> float | None:
        """The most sends a second the channel takes from the number, every process's
        together; None: no limit of ours."""
        ...

    async def deliver(self, outbound: Outbound) -> str:
        """Make the API call now; the provider's message id. Raises SendFailedError."""
        ...


class EventSink(Protocol):
    def queue_versions(self, pipe: Pipe, numbers: Sequence[str]) -> None:
        """Queue the reads of who is attached to the numbers now, on the caller's round trip."""

    async def take_versions(self, numbers: Sequence[str], answers: Sequence[Any]) -> None:
        """Address the events queued next to the services attached when those were read."""

    async def queue_events(self, pipe: Pipe, events: list[Event]) -> None: ...


class SendOutcomes(Protocol):
    """Told what became of each send (notification counters, the cost ledger)."""

    def queue_outcome(
        self,
        pipe: Pipe,
        number: str,
        send_id: str,
        status: str,
        pricing: Pricing | None = None,
        customer: str = "",
        code: str = "",
    ) -> None: ...

    def queue_ended(self, pipe: Pipe, send_id: str) -> bool:
        """Queue a read of whether the campaign of ``send_id`` was stopped or cancelled;
        False, and nothing queued, for a send of no campaign."""

    def ended(self, answer: Any) -> bool:
        """Whether ``queue_ended``'s answer says the campaign was stopped or cancelled."""

    def campaign(self, send_id: str) -> str | None:
        """The campaign ``send_id`` is a send of; None for a send of no campaign."""


def message_record(outbound: Outbound) -> dict[str, Any]:
    """How an outbound message is kept in the timeline."""
    record: dict[str, Any] = {
        "id": outbound.send_id,
        "direction": "outbound",
        "kind": "text",
        "text": outbound.text,
        "template": outbound.template,
        "service": outbound.service,
        "agent": outbound.agent,
        "timestamp": outbound.created_at,
    }
    if outbound.buttons:
        record["buttons"] = list(outbound.buttons)
    if outbound.media:
        record["kind"], record["media"] = outbound.media["kind"], dict(outbound.media)
    if outbound.channel == "sms":
        record["encoding"], record["segments"] = sms_parts(outbound)
    if outbound.channel in SHOWS_LINKS_AS_WRITTEN:
        # Which links of the text are tracked, for the page that shows it again (a
        # reload): those the business wrote, or every one (None, a service's text).
        record["tracked"] = None if outbound.tracked is None else list(outbound.tracked)
    return record


def sms_parts(outbound: Outbound) -> tuple[str, int]:
    """The encoding and the segments of an SMS as it goes, its choices numbered."""
    text = (
        sms.render_choices(outbound.text, outbound.buttons) if outbound.buttons else outbound.text
    )
    encoding, segments, _ = sms.count_segments(text)
    return encoding, segments


def outbound_event(outbound: Outbound, provider_id: str, sent: Outbound | None = None) -> Event:
    """``message.outbound`` of a send that went out; an SMS's encoding and segments are
    those of the text ``sent`` (its links tracked), which may be longer than the record's."""
    data = {
        **message_record(outbound),
        "conversation_id": outbound.conversation_id,
        "channel": outbound.channel,
        "number": outbound.number,
        "customer": outbound.recipient.key,
        "provider_id": provider_id,
        "status": "sent",
    }
    if sent is not None and outbound.channel == "sms":
        data["encoding"], data["segments"] = sms_parts(sent)
    return Event.new(
        "message.outbound",
        outbound.number,
        data,
        id=derived_id("evt", outbound.send_id, "outbound"),
    )


def send_status_event(
    outbound: Outbound,
    status: str,
    *,
    error: str = "",
    error_code: str = "",
    provider_id: str = "",
) -> Event:
    """``message.status`` of a send, under our id: its failure (with the provider's code
    of it, or ours: ``opted_out``, ``outside_window``), or a receipt that came before the
    send was recorded (with ``provider_id``; told under the provider's id alone before,
    under another event id)."""
    data = {
        "conversation_id": outbound.conversation_id,
        "message_id": outbound.send_id,
        **({"provider_id": provider_id} if provider_id else {}),
        "channel": outbound.channel,
        "number": outbound.number,
        "customer": outbound.recipient.key,
        "status": status,
        "error": error,
        "error_code": error_code,
        "timestamp": time.time(),
    }
    return Event.new(
        "message.status", outbound.number, data, id=derived_id("evt", outbound.send_id, status)
    )


MAX_TEXT = 4096
"""Characters of a message's text at most, on WhatsApp, Telegram and the web chat."""
MAX_CAPTION = 1024
"""Characters of a file's caption at most, on WhatsApp and Telegram."""


def with_tracked_links(outbound: Outbound, signer: LinkSigner) -> Outbound:
    """``outbound`` as it goes, its links tracked (PS-3): in its text and in its file's
    caption (an MMS's Body, all the words of a photo), each where the tracked words still
    fit the channel, else as written; on a channel that shows links as written, with
    each link's tracked one beside (``targets``)."""
    mark, only = (outbound.profile, outbound.send_id), outbound.tracked
    caption = str((outbound.media or {}).get("caption") or "")
    if outbound.channel in SHOWS_LINKS_AS_WRITTEN:
        targets = signer.targets(outbound.text or caption, *mark, only=only)
        return replace(outbound, targets=targets)
    sent = outbound
    if fits(outbound, text := signer.rewrite(outbound.text, *mark, only=only)):
        sent = replace(sent, text=text)
    else:  # its links tracked, it would be too long for its channel: as written
        log.info("send %s keeps its links as written: tracked, too long", outbound.send_id)
    if caption and outbound.media is not None:
        tracked = signer.rewrite(caption, *mark, only=only)
        if caption_fits(outbound.channel, tracked):
            sent = replace(sent, media={**outbound.media, "caption": tracked})
        else:
            log.info("send %s keeps its caption's links as written: too long", outbound.send_id)
    return sent


def caption_fits(channel: str, caption: str) -> bool:
    """Whether ``caption`` can go as a file's words on ``channel``: an MMS's Body on SMS,
    1,024 characters on WhatsApp and Telegram."""
    if channel == "sms":
        return sms.body_problem(caption) is None
    return len(caption) <= MAX_CAPTION


def fits(outbound: Outbound, text: str) -> bool:
    """Whether ``text`` can go as ``outbound``'s words on its channel: an SMS of 1,600
    characters at most, its choices numbered included, and 4,096 elsewhere."""
    return text_fits(outbound.channel, text, outbound.buttons)


def text_fits(channel: str, text: str, buttons: tuple[str, ...] = ()) -> bool:
    """Whether ``text`` (with ``buttons``) can go as a message's words on ``channel``."""
    if channel == "sms":
        return sms.body_problem(text, buttons) is None
    return len(text) <= MAX_TEXT


def free_form_whatsapp(outbound: Outbound) -> bool:
    """Whether ``outbound`` is what WhatsApp takes only in the 24-hour window (CH-2)."""
    return outbound.channel == "whatsapp" and not outbound.template


def ensure_window(outbound: Outbound, last_inbound_at: float | None, now: float) -> None:
    """Refuse a free-form WhatsApp message when the customer's window is closed."""
    if not free_form_whatsapp(outbound):
        return
    if last_inbound_at is None or now - last_inbound_at > WINDOW_SECONDS:
        since = (
            "never wrote"
            if last_inbound_at is None
            else (f"last wrote {(now - last_inbound_at) / 3600:.1f} hours ago")
        )
        raise WindowClosedError(
            f"the customer {since}; outside the 24-hour window WhatsApp accepts only "
            "template messages"
        )


CAMPAIGN_ENDED = "withdrawn: its campaign was stopped or cancelled before it went"


class CampaignEndedError(Exception):
    """The campaign of a send waiting its turn was stopped or cancelled: it is not made."""


class NotStartedError(Exception):
    """A send not started, as the process stops: it waits in the outbox for the next
    holder of its shard."""


class Sender:
    """Queues sends in the outbox of their conversation's shard and performs them in order."""

    def __init__(
        self,
        outbox: ShardedStream,
        conversations: ConversationStore,
        transports: dict[str, Transport],
        events: EventSink,
        store: StoreClient,
        meters: Meters,
        *,
        outcomes: SendOutcomes | None = None,
        links: LinkSigners | None = None,
        queues_only: bool = False,
    ) -> None:
        self.meters = meters
        self.outbox = outbox
        self.conversations = conversations
        self.store = store
        self.transports = transports
        self.events = events
        self._parallel = asyncio.Semaphore(PARALLEL_CONVERSATIONS)
        self.links = links
        """Tracked links in what the customer gets (PS-3); the thread and the services
        keep the text as written. None: links go as written."""
        self.outcomes = outcomes
        self.queues_only = queues_only
        """True in a process that sends nothing itself (the CLI's ``admin``): the running
        bot makes its sends, on the channels it has, whatever this process's settings."""
        self._stopping = asyncio.Event()
        self._waiting: set[asyncio.Timeout] = set()
        """The waits for a channel's turn under way: ended at once by a graceful stop."""
        self._held: dict[str, str] = {}
        """Conversations whose sends wait behind one an earlier holder's crash cut short in
        its API call, and that send's id: they stay pending in the outbox, for the shard's
        worker to redo, while the shard's other conversations go on."""
        self._deferred: dict[str, tuple[str, float]] = {}
        """Conversations whose send could not reach its provider, that send's id and when
        it was queued: it waits in the outbox for the shard's redo, and the sends of theirs
        that a later batch brings wait behind it, so that they go in order."""
        self._completing: set[asyncio.Task[None]] = set()
        """Records of sends that went out, under way: they outlive their shard's worker."""
        self._withdrawn: OrderedDict[str, None] = OrderedDict()
        """Campaigns a claim found stopped or cancelled, for good: their sends take no turn
        of the channel's rate, but go to the claim that withdraws them."""
        self._turns_of: dict[str, set[asyncio.Timeout]] = {}
        """The waits for a turn under way of each campaign's sends: ended at once when a
        claim finds their campaign stopped."""

    def queue_receipt(
        self,
        pipe: Pipe,
        number: str,
        send_id: str,
        status: str,
        pricing: Pricing | None = None,
        customer: str = "",
        code: str = "",
    ) -> None:
        """A send went out, failed (with the provider's error ``code``, if any), or a
        receipt came (delivered, read), with how Meta bills it when the receipt says and
        to whom (``customer``, an identity key): tell ``outcomes`` on the caller's
        pipeline, the one that records it."""
        if self.outcomes is not None:
            self.outcomes.queue_outcome(pipe, number, send_id, status, pricing, customer, code)

    def queue(self, pipe: Pipe, outbound: Outbound, shard: int) -> None:
        """Record the message in its thread and the outbox, on a pipeline the caller runs."""
        self.conversations.queue_record(
            pipe,
            outbound.conversation_id,
            message_record(outbound),
            direction="outbound",
            number=outbound.number,
            customer=outbound.recipient.key,
            channel=outbound.channel,
            profile=outbound.profile,
        )
        if outbound.buttons:  # so that "2" on SMS picks the second (CH-6)
            self.conversations.queue_choices(pipe, outbound.conversation_id, outbound.buttons)
        elif outbound.channel == "sms":  # asked something else since: "2" is typed now
            self.conversations.queue_choices(pipe, outbound.conversation_id, [])
        self.outbox.queue_append(pipe, shard, compact_json(outbound.to_dict()))

    async def send(
        self, outbound: Outbound, shard: int, also: Callable[[Pipe], None] | None = None
    ) -> None:
        """Queue a message from an agent or a service, refusing it first if it cannot go;
        ``also`` queues more writes on the same round trip (a new conversation's links)."""
        if outbound.channel not in self.transports and not self.queues_only:
            raise SendFailedError(f"channel {outbound.channel} is not configured", retryable=False)
        last_inbound = await self.conversations.last_inbound_at(outbound.conversation_id)
        ensure_window(outbound, last_inbound, time.time())
        async with self.store.batch() as pipe:
            self.queue(pipe, outbound, shard)
            # A person is on it: the automation's fallback answer keeps out of the way.
            self.conversations.queue_service_reply(pipe, outbound.conversation_id, time.time())
            if also is not None:
                also(pipe)

    def stop_starting(self) -> None:
        """A graceful stop: the sends under way finish, and no new one starts; those left
        stay in the outbox for the shard's next holder, who makes them in order. Cut
        short in its API call by the stop's deadline, a send would be failed as
        interrupted, though it may have gone out. A send waiting for its turn (the
        channel's rate) gives it up now, rather than when the turn comes."""
        self._stopping.set()
        now = asyncio.get_running_loop().time()
        for waiting in self._waiting:
            waiting.reschedule(now)

    async def perform(self, entries: list[Entry]) -> set[str]:
        """Send a batch from one shard: conversations in parallel, each in its order. The
        ids of the entries left pending: unsent as the process stops, or waiting behind a
        send a crash cut short, until it is settled."""
        outbounds = [Outbound.from_dict(parse_json(entry.data)) for entry in entries]
        # A redo skips what went out before the crash without waiting for the rate again.
        # A new entry is not read first: should its send have started all the same (the
        # same send queued twice), the claim refuses it.
        redone = [o for o, entry in zip(outbounds, entries, strict=True) if entry.redone]
        waited_on = self._waited_on(outbounds)
        deferred = self._deferred_behind(outbounds)
        states = await self.conversations.send_states(
            [(o.conversation_id, o.send_id) for o in redone] + waited_on + deferred
        )
        found = iter(states)
        held_states = states[len(redone) : len(redone) + len(waited_on)]
        for (cid, _), state in zip(waited_on, held_states, strict=True):
            if state != "claimed":  # settled since, here or by another holder of the shard
                del self._held[cid]
        for (cid, _), state in zip(deferred, states[len(redone) + len(waited_on) :], strict=True):
            if state != "":  # made or failed since, by another holder of the shard
                self._deferred.pop(cid, None)
        left: set[str] = set()
        groups: dict[str, list[tuple[Outbound, bool, str]]] = {}
        for outbound, entry in zip(outbounds, entries, strict=True):
            state = next(found) if entry.redone else ""
            if outbound.conversation_id in self._held or outbound.conversation_id in self._deferred:
                left.add(entry.id)  # behind an interrupted or unmade send of an earlier batch
            elif state in ("", "claimed"):
                claimed = state == "claimed"
                group = groups.setdefault(outbound.conversation_id, [])
                group.append((outbound, claimed, entry.id))
        await asyncio.gather(*(self._perform_in_order(g, left) for g in groups.values()))
        return left

    def _waited_on(self, outbounds: list[Outbound]) -> list[tuple[str, str]]:
        """The interrupted sends, not in this batch, that conversations of it wait behind;
        those in it are looked at again in their turn."""
        if not self._held:
            return []
        ids = {o.send_id for o in outbounds}
        for outbound in outbounds:
            if self._held.get(outbound.conversation_id) == outbound.send_id:
                del self._held[outbound.conversation_id]
        conversations = {o.conversation_id for o in outbounds}
        return [
            (cid, send_id)
            for cid, send_id in self._held.items()
            if cid in conversations and send_id not in ids
        ]

    def _deferred_behind(self, outbounds: list[Outbound]) -> list[tuple[str, str]]:
        """The sends that could not reach their provider, not in this batch, that
        conversations of it wait behind. One in it is redone in its turn (the shard's
        redo brings every entry left, in order); one past ``UNREACHABLE_PATIENCE`` has
        failed or will when redone, and holds nothing back."""
        if not self._deferred:
            return []
        ids = {o.send_id for o in outbounds}
        now = time.time()
        for cid, (send_id, queued_at) in list(self._deferred.items()):
            if send_id in ids or now - queued_at > UNREACHABLE_PATIENCE:
                del self._deferred[cid]
        conversations = {o.conversation_id for o in outbounds}
        return [(cid, sent[0]) for cid, sent in self._deferred.items() if cid in conversations]

    async def _perform_in_order(
        self, group: list[tuple[Outbound, bool, str]], left: set[str]
    ) -> None:
        """Send a conversation's sends in order. Those not made go into ``left``, the
        first of them and every one after it: as the process stops, or behind a send a
        crash cut short that cannot be settled yet."""
        async with self._parallel:
            for n, (outbound, claimed, _) in enumerate(group):
                with bound(
                    conversation_id=outbound.conversation_id,
                    send_id=outbound.send_id,
                    channel=outbound.channel,
                ):
                    try:
                        if self._stopping.is_set():
                            raise NotStartedError
                        if claimed:
                            settled = await self._settle_interrupted(outbound)
                            if settled is None:
                                self._held[outbound.conversation_id] = outbound.send_id
                                raise NotStartedError
                            if not settled:
                                continue
                        await self._perform(outbound)
                    except NotStartedError:
                        left.update(entry for *_, entry in group[n:])
                        return

    async def _settle_interrupted(self, outbound: Outbound) -> bool | None:
        """A send found claimed when its entry is redone: the attempt that claimed it was
        cut short inside its API call, so whether it went out is unknown. It is failed with
        a reason, never sent again (REL-3), once its claim is older than any attempt
        lasts; None until then. True when the claim was let go meanwhile: the send is
        still to be made."""
        check = await self.conversations.settle_claim(
            outbound.conversation_id,
            outbound.send_id,
            older_than=INTERRUPTED_AFTER,
            reason=INTERRUPTED,
        )
        if check.state == "claimed":
            return None
        if check.state == "failed":
            log.warning("send %s failed: %s", outbound.send_id, INTERRUPTED)
            await self._report_failure(outbound, INTERRUPTED)
        return check.state == "free"

    async def _perform(self, outbound: Outbound) -> None:
        transport = self.transports.get(outbound.channel)
        if transport is None:
            await self._fail(outbound, f"channel {outbound.channel} is not configured")
            return
        sent = outbound
        if self.links and outbound.profile:
            sent = with_tracked_links(outbound, await self.links.signer())
        try:
            provider_id = await retrying(
                lambda: self._attempt(transport, outbound, sent),
                attempts=MAX_SEND_ATTEMPTS,
                backoff=send_backoff,
                sleep=self._pause,
            )
        except CustomerErasedError:
            # Nothing is kept of it: a failure's record and event would name the person.
            # A campaign's counts and the cost ledger hear of it, by its send id alone, so
            # that it is in flight no more.
            log.info("send %s dropped: its customer was erased", outbound.send_id)
            self.meters.sends.labels(outbound.channel, "erased").inc()
            async with self.store.batch() as pipe:
                self.queue_receipt(pipe, outbound.number, outbound.send_id, "failed", code=ERASED)
            return
        except CustomerOptedOutError as error:
            await self._fail(outbound, str(error), OPTED_OUT)
            return
        except WindowClosedAtSendError as error:  # WhatsApp would refuse it (131047)
            await self._fail(outbound, f"{error}: WhatsApp takes only templates now", WINDOW_CLOSED)
            return
        except CampaignEndedError:
            log.info("send %s withdrawn: its campaign was stopped", outbound.send_id)
            await self._fail(outbound, CAMPAIGN_ENDED, WITHDRAWN)
            return
        except SendFailedError as error:
            if error.unsent and time.time() - outbound.created_at < UNREACHABLE_PATIENCE:
                if (more := _UNREACHABLE.due(time.monotonic())) is not None:
                    log.warning(
                        "%s; its sends wait in the outbox and are tried again%s", error, more
                    )
                # It, and its conversation's later ones (in this batch and the next), wait.
                cid = outbound.conversation_id
                self._deferred.setdefault(cid, (outbound.send_id, outbound.created_at))
                raise NotStartedError from None
            log.warning("send %s failed: %s", outbound.send_id, error)
            await self._fail(outbound, str(error), error.code, carrier_opt_out=error.opted_out)
            return
        if provider_id is not None:
            await self._completed(outbound, provider_id, sent)
            self.meters.sends.labels(outbound.channel, "sent").inc()

    async def _take_turn(
        self, turn: AsyncExitStack, transport: Transport, sent: Outbound, campaign: str | None
    ) -> bool:
        """Wait for ``sent``'s turn on the channel, kept on ``turn`` until the call is over;
        NotStartedError when a graceful stop comes while it waits (``stop``). False, with
        no turn, for a send of a ``campaign`` found stopped (before or while it waits)."""
        if campaign is None:
            await self._until_stopped(turn.enter_async_context(transport.turn(sent)))
            return True
        if campaign in self._withdrawn:
            return False
        waits = self._turns_of.setdefault(campaign, set())
        try:
            await self._until_stopped(turn.enter_async_context(transport.turn(sent)), waits)
        except CampaignEndedError:
            return False
        finally:
            if not waits and self._turns_of.get(campaign) is waits:
                del self._turns_of[campaign]
        return True

    def _withdraw(self, campaign: str) -> None:
        """A claim found ``campaign`` stopped or cancelled: its sends waiting for a turn
        give it up, and those to come take none (both go to their claims)."""
        self._withdrawn[campaign] = None
        self._withdrawn.move_to_end(campaign)
        while len(self._withdrawn) > MAX_WITHDRAWN:
            self._withdrawn.popitem(last=False)
        now = asyncio.get_running_loop().time()
        for waiting in self._turns_of.pop(campaign, set()):
            waiting.reschedule(now)

    async def _pause(self, seconds: float) -> None:
        """A retry's wait (a provider's Retry-After, a minute maybe), which a graceful stop
        ends: the send, let go of, waits in the outbox for the next holder of its shard."""
        if self._stopping.is_set():
            raise NotStartedError
        await self._until_stopped(asyncio.sleep(seconds))

    async def _until_stopped(
        self, wait: Awaitable[T], campaigns: set[asyncio.Timeout] | None = None
    ) -> T:
        """``await wait``, which a graceful stop ends (``stop_starting``): NotStartedError
        then. Registered in ``campaigns`` too (a campaign's waits), it is ended when its
        campaign is found stopped: CampaignEndedError then."""
        try:
            async with asyncio.timeout(None) as waiting:
                self._waiting.add(waiting)
                if campaigns is not None:
                    campaigns.add(waiting)
                try:
                    return await wait
                finally:
                    self._waiting.discard(waiting)
                    if campaigns is not None:
                        campaigns.discard(waiting)
        except TimeoutError:
            if waiting.expired():  # the stop came while it waited, or its campaign's
                if self._stopping.is_set():
                    raise NotStartedError from None
                raise CampaignEndedError from None
            raise

    async def _attempt(
        self, transport: Transport, outbound: Outbound, sent: Outbound
    ) -> str | None:
        """One try: wait for the channel's limits, then claim the send and call the API; the
        provider's id, or None when another attempt claimed the send first.

        Claimed after the wait and right before the call: a crash while waiting leaves the
        send unclaimed and pending in the outbox, and the next holder of the shard sends it;
        a crash between the claim and the call never sends twice (REL-3). A refusal that
        is retried lets go of the claim while it waits for the next try.
        """
        cid, send_id = outbound.conversation_id, outbound.send_id
        attempt = str(secrets.randbits(64))  # digits: see CLAIM_SEND
        if self._stopping.is_set():  # a retry's wait ended past the stop
            raise NotStartedError
        outcomes = self.outcomes
        campaign = outcomes.campaign(send_id) if outcomes is not None else None
        async with AsyncExitStack() as turn:
            taken = await self._take_turn(turn, transport, sent, campaign)
            if self._stopping.is_set():  # it waited its turn, or a retry's, past the stop
                raise NotStartedError
            async with self.store.round_trip() as pipe:
                self.conversations.queue_claim_send(
                    pipe,
                    cid,
                    send_id,
                    despite_opt_out=outbound.required,
                    window=WINDOW_SECONDS if free_form_whatsapp(outbound) else 0,
                    attempt=attempt,
                )
                # A campaign stopped while its send waited: read in the same round trip.
                asked = outcomes is not None and outcomes.queue_ended(pipe, send_id)
                # Which services hear of this send, read in the same round trip (SN-7).
                self.events.queue_versions(pipe, [outbound.number])
                try:
                    answer, *versions = await pipe.execute()
                except Exception:
                    # On a Redis Cluster the claim's node may have taken it while another
                    # node failed the round trip: no API call started, so the claim goes.
                    await self._let_go(cid, send_id, attempt)
                    raise
            ended = asked and outcomes is not None and outcomes.ended(versions.pop(0))
            await self.events.take_versions([outbound.number], versions)
            if not self.conversations.claimed(answer):
                return None
            if ended:  # claimed, and failed as withdrawn by the caller: never made
                if campaign is not None:
                    self._withdraw(campaign)
                raise CampaignEndedError
            if not taken and campaign is not None:  # never so: a stopped campaign stays so
                self._withdrawn.pop(campaign, None)
                await self._take_turn(turn, transport, sent, campaign)
            call = asyncio.ensure_future(self._call(transport, outbound, sent))
            try:
                return await asyncio.shield(call)
            except asyncio.CancelledError:
                if not call.cancelled():  # the worker went (its lease lost): the call goes on
                    self._outlive(call, outbound, sent)
                raise

    def _outlive(self, call: asyncio.Future[str], outbound: Outbound, sent: Outbound) -> None:
        """An API call under way when its shard's worker was cancelled (the shard's lease
        lost in a store outage): cut short, the provider might have taken the message, and
        it would be failed as interrupted by the shard's next holder. It goes on, and what
        it came to is recorded, in a task of its own (``settled`` waits for it)."""

        async def finish() -> None:
            try:
                provider_id = await call
            except SendFailedError as error:
                if not error.retryable:  # a retried one was let go of: its next holder sends it
                    log.warning("send %s failed: %s", outbound.send_id, error)
                    await self._fail(outbound, str(error), error.code)
                return
            await self._record_completion(outbound, provider_id, sent)
            self.meters.sends.labels(outbound.channel, "sent").inc()

        task = asyncio.create_task(finish())
        self._completing.add(task)
        task.add_done_callback(self._completing.discard)
        task.add_done_callback(_said_if_lost)

    async def _call(self, transport: Transport, outbound: Outbound, sent: Outbound) -> str:
        """The API call of a claimed send: the provider's id; SendFailedError when it
        refused (the claim let go of when that is retried) or did not answer in time."""
        call = self.meters.send_call_seconds
        started = time.perf_counter()
        try:
            async with asyncio.timeout(CALL_SECONDS):
                provider_id = await transport.deliver(sent)
            call.labels(outbound.channel, "sent").observe(time.perf_counter() - started)
            return provider_id
        except TimeoutError:
            call.labels(outbound.channel, "timeout").observe(time.perf_counter() - started)
            raise SendFailedError(
                f"no answer from the {outbound.channel} API in {CALL_SECONDS:g} s: " + UNANSWERED,
                retryable=False,
            ) from None
        except SendFailedError as error:
            call.labels(outbound.channel, "refused").observe(time.perf_counter() - started)
            if error.retryable:
                await self.conversations.release_send(outbound.conversation_id, outbound.send_id)
            raise

    async def _let_go(self, conversation_id: str, send_id: str, attempt: str) -> None:
        """Let go of the claim ``attempt`` may have made before its API call; a claim left
        (the store out of reach) is settled as interrupted when its entry is redone."""
        try:
            await self.conversations.release_send(conversation_id, send_id, attempt)
        except Exception:
            log_failure(log, "could not let go of the claim of a send not started")

    async def _completed(
        self, outbound: Outbound, provider_id: str, sent: Outbound | None = None
    ) -> None:
        """Record a send that went out, and tell the services; retried, as it must not be lost.

        Both steps are idempotent (hash fields and a derived event id), so retrying is safe.
        The record goes on in a task of its own when the shard's worker is cancelled (its
        lease lost while the store was out of reach): cut short, the send would be failed
        as interrupted, though the customer got it.
        """
        task = asyncio.create_task(self._record_completion(outbound, provider_id, sent or outbound))
        self._completing.add(task)
        task.add_done_callback(self._completing.discard)
        task.add_done_callback(_said_if_lost)
        await asyncio.shield(task)

    async def settled(self, grace: float) -> None:
        """Wait (at most ``grace`` seconds) for the records of sends that went out."""
        if self._completing:
            await asyncio.wait(list(self._completing), timeout=grace)

    async def _record_completion(
        self, outbound: Outbound, provider_id: str, sent: Outbound
    ) -> None:
        async def record() -> EarlyReceipt | None:
            async with self.store.round_trip() as pipe:
                self.conversations.queue_complete_send(
                    pipe, outbound.conversation_id, outbound.send_id, provider_id
                )
                await self.events.queue_events(pipe, [outbound_event(outbound, provider_id, sent)])
                if outbound.channel == "sms" and sent.text != outbound.text:
                    # Its links tracked, it went as a longer text: the timeline says so.
                    encoding, segments = sms_parts(sent)
                    self.conversations.queue_sent_as(
                        pipe, outbound.conversation_id, outbound.send_id, encoding, segments
                    )
                self.queue_receipt(pipe, outbound.number, outbound.send_id, "sent")
                early, *_ = await pipe.execute()
            return self.conversations.early_receipt(early)

        early = await retrying(record, attempts=COMPLETION_ATTEMPTS, backoff=store_backoff)
        if early is not None:  # its receipt came first, under the provider's id alone
            await retrying(
                lambda: self._tell_early_receipt(outbound, provider_id, early),
                attempts=COMPLETION_ATTEMPTS,
                backoff=store_backoff,
            )

    async def _tell_early_receipt(
        self, outbound: Outbound, provider_id: str, receipt: EarlyReceipt
    ) -> None:
        """Tell the services and the send's outcomes (a campaign's counts, the ledger) of a
        receipt that came before the send was recorded, now under our id, with Meta's
        pricing and error as it brought them."""
        event = send_status_event(
            outbound,
            receipt.status,
            error=receipt.error,
            error_code=receipt.error_code,
            provider_id=provider_id,
        )
        async with self.store.batch() as pipe:
            await self.events.queue_events(pipe, [event])
            self.queue_receipt(
                pipe,
                outbound.number,
                outbound.send_id,
                receipt.status,
                receipt.pricing,
                outbound.recipient.key,
                receipt.error_code,
            )
            if receipt.status == "failed":
                self.queue_refusal(
                    pipe,
                    outbound.channel,
                    outbound.conversation_id,
                    outbound.send_id,
                    receipt.error_code,
                    time.time(),
                )

    def queue_refusal(
        self, pipe: Pipe, channel: str, conversation_id: str, message_id: str, code: str, at: float
    ) -> None:
        """A send's failure (``code``) that says the customer told the provider to stop,
        kept on its conversation: Meta's 131050 (the number's marketing stopped), later
        campaigns skip them; Twilio's 21610 (a STOP we never saw: texted to another number
        of a Messaging Service, or while the bot was down), unless they opted in again
        after the message went."""
        if code == MARKETING_STOPPED:
            self.conversations.queue_marketing(pipe, conversation_id, True, at)
        elif channel == "sms" and code == str(sms.OPTED_OUT_CODE):
            self.conversations.queue_carrier_opt_out(pipe, conversation_id, message_id)

    async def _fail(
        self, outbound: Outbound, reason: str, code: str = "", *, carrier_opt_out: bool = False
    ) -> None:
        await self.conversations.fail_send(outbound.conversation_id, outbound.send_id, reason)
        await self._report_failure(outbound, reason, code, carrier_opt_out=carrier_opt_out)

    async def _report_failure(
        self, outbound: Outbound, reason: str, code: str = "", *, carrier_opt_out: bool = False
    ) -> None:
        """Tell the services and the send's outcomes (a notification's counts) it failed."""
        self.meters.sends.labels(outbound.channel, "failed").inc()
        async with self.store.batch() as pipe:
            if carrier_opt_out:
                # The carrier holds a STOP we never saw: so do we now, unless the customer
                # opted in again after the message went, as for a status callback's 21610.
                self.conversations.queue_carrier_opt_out(
                    pipe, outbound.conversation_id, outbound.send_id
                )
            if code == MARKETING_STOPPED:  # Meta said so at once, not in a status webhook
                # The customer stopped the number's marketing messages: later campaigns
                # skip them, as when the send's failed status says so.
                cid = outbound.conversation_id
                self.conversations.queue_marketing(pipe, cid, True, time.time())
            if outbound.channel == "telegram" and code == BLOCKED:
                # The customer blocked the bot (or deleted their account): later
                # notifications skip them, until Telegram says they restarted it.
                cid = outbound.conversation_id
                self.conversations.queue_blocked(pipe, cid, True, time.time())
            await self.events.queue_events(
                pipe, [send_status_event(outbound, "failed", error=reason, error_code=code)]
            )
            self.queue_receipt(pipe, outbound.number, outbound.send_id, "failed", code=code)


def _said_if_lost(task: asyncio.Task[None]) -> None:
    """A record of a sent message that failed every try: said, whoever awaits it (its
    worker may be gone)."""
    if not task.cancelled() and (error := task.exception()) is not None:
        log.error("a send went out but could not be recorded: %s", error)


def send_backoff(error: Exception, attempt: int) -> float | None:
    """A provider's refusal that may pass: after its Retry-After, else 1, 2, 4... 30 s."""
    if not isinstance(error, SendFailedError) or not error.retryable:
        return None
    return min(2.0**attempt, 30.0) if error.retry_after is None else error.retry_after


_UNREACHABLE = Quiet(QUIET_SECONDS)
"""Every send waiting for an unreachable provider says so: once in a while, counted."""

_STORE_RETRIES = Quiet(QUIET_SECONDS, "retries")
"""Every send in flight retries its record in an outage: said once in a while, counted."""


def store_backoff(error: Exception, attempt: int) -> float | None:
    """A store briefly out of reach: 0.5, 1, 2... s; the work is idempotent."""
    if not isinstance(error, ConnectionError | TimeoutError | StoreError):
        return None
    more = _STORE_RETRIES.due(time.monotonic())
    if more is not None:
        log.warning("the store failed (%s); trying again%s", type(error).__name__, more)
    return 0.5 * 2**attempt
