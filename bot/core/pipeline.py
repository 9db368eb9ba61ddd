"""The per-conversation pipeline: stitch -> thread -> automation -> outbox and fan-out."""

from __future__ import annotations

import functools
import logging
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, NamedTuple, Protocol

from adapters import sms
from bot.core.directory import Directory, VersionsRead
from bot.core.fallback import FallbackGate, Quiet
from bot.core.fanout import Fanout
from bot.core.guided import GuidedBatch, GuidedConversations
from bot.core.keywords import (
    DEFAULT_KEYWORDS,
    DEFAULT_SMS_HELP,
    Keyword,
    keyword_of,
    names_another_bot,
)
from bot.core.lifecycle import Lifecycle, OwnersRead
from bot.core.links import urls_in
from bot.core.metrics import Meters
from bot.core.records import (
    decode_item,
    inbound_event,
    inbound_record,
    reply_id,
    status_event,
)
from bot.core.sender import Sender
from bot.identities import identities_of
from bot.logs import bound
from bot.model import (
    AUTOMATION_SERVICE,
    Event,
    Inbound,
    Outbound,
    StatusUpdate,
    conversation_id,
)
from handlers.autoreply import AutoReply
from handlers.base import Context
from stores.conversations import (
    NOTICES,
    STATUS_RANK,
    WINDOW_SECONDS,
    ConversationStore,
    EarlyReceipt,
)
from stores.pipeline import Rider, ride
from stores.profiles import ProfileStore, Resolution, Sighting
from stores.redis import Pipe, StoreClient
from stores.streams import Entry, entry_time

log = logging.getLogger(__name__)

WELCOME_REQUEST = "request_welcome"
"""WhatsApp's notice that a customer opened the chat with the number, with its welcome
messages on: on their first visit, after they deleted the chat, and for every customer
of before the feature was turned on."""


class TeamRoom(Protocol):
    """The team chat as the pipeline sees it (bot.team.chat.TeamChat)."""

    async def split(self, messages: Sequence[Inbound]) -> tuple[list[Inbound], list[Inbound]]: ...

    async def handle(self, message: Inbound) -> None: ...

    async def post_about(self, conversation_id: str, text: str, *, key: str) -> None: ...


class FirstContacts(Protocol):
    """What a customer's first message starts (``bot.outreach.sequences.Sequences``)."""

    def queue_first_contact(
        self, pipe: Pipe, message: Inbound, profile: str, now: float
    ) -> None: ...

    def queue_answered(
        self,
        pipe: Pipe,
        message: Inbound,
        profile: str,
        stop: bool,
        now: float,
        *,
        replied: bool = True,
    ) -> None:
        """The customer wrote (``stop``: opted out), after a drip step went to them
        (``replied``) or before."""


Reply = tuple[str, tuple[str, ...]]
"""An automated answer's text and the choices it offers as buttons."""


def _set_edits_apart(
    messages: list[Inbound], resolutions: list[Resolution]
) -> tuple[list[Inbound], list[Resolution], list[tuple[Inbound, str]]]:
    """The new messages with their resolutions, and the edits with their profiles.

    An edit changes the wording of a message already in the thread: no new message, no
    automation; the services hear the new text.
    """
    edits = [(m, r.profile) for m, r in zip(messages, resolutions, strict=True) if m.edit_of]
    if edits:
        kept = [(m, r) for m, r in zip(messages, resolutions, strict=True) if not m.edit_of]
        messages, resolutions = [m for m, _ in kept], [r for _, r in kept]
    return messages, resolutions, edits


def _carrier_help(message: Inbound, keyword: str | None) -> bool:
    """Whether the message is HELP on SMS, which carriers expect answered, always; but for
    one the provider answered (``answered_by_provider``)."""
    return keyword == "help" and message.channel == "sms" and not answered_by_provider(message)


def answered_by_provider(message: Inbound) -> bool:
    """Whether the provider answered the message's HELP itself: Twilio's Advanced Opt-Out
    replies with the Messaging Service's help message, and says so in ``OptOutType``."""
    return message.keyword == "help"


def in_a_group(message: Inbound) -> bool:
    """Whether a Telegram message was written in a group (or a channel), not in private."""
    return message.channel == "telegram" and message.chat.startswith("-")


@dataclass(slots=True)
class Batch:
    """What one batch learns on its way through the pipeline, made for that batch alone:
    one Pipeline serves every shard worker at once, and a batch awaits Redis between
    reading this state and using it."""

    untyped: dict[str, Inbound] = field(default_factory=dict)
    """SMS messages by provider id as typed, before a typed number became a choice."""
    answered: dict[str, float] = field(default_factory=dict)
    """When each conversation was last answered by automation; kept up to date across
    the batch, so two quick messages get one answer."""
    flows: GuidedBatch = field(default_factory=GuidedBatch)
    quiet: dict[str, Quiet] = field(default_factory=dict)
    """What stands against the fallback answer in each conversation."""
    dripped: set[str] = field(default_factory=set)
    """The conversations a drip step went to since the customer last wrote."""
    opted_out: set[str] = field(default_factory=set)
    """The conversations whose customer had opted out before the batch."""
    taken_at: dict[str, float] = field(default_factory=dict)
    """When each message (by provider id) was taken into the inbound log: its event's
    time, the same when the batch is redone."""


class Pipeline:
    """Processes batches of the inbound log; safe to redo after a crash at any point."""

    def __init__(
        self,
        profiles: ProfileStore,
        conversations: ConversationStore,
        fanout: Fanout,
        sender: Sender,
        directory: Directory,
        region: str,
        shard_of: Any,
        lifecycle: Lifecycle,
        numbers: Callable[[], list[str]],
        guided: GuidedConversations,
        fallback: FallbackGate,
        store: StoreClient,
        meters: Meters,
        team: TeamRoom | None = None,
        keywords: Mapping[str, Mapping[str, Keyword]] = DEFAULT_KEYWORDS,
        first_contacts: FirstContacts | None = None,
        sms_help: str = DEFAULT_SMS_HELP,
    ) -> None:
        self.sms_help = sms_help
        """What HELP gets by SMS: carriers expect it answered, always."""
        self.first_contacts = first_contacts
        """Drip sequences a first contact enrols the customer in (the parent's, SN-6)."""
        self.meters = meters
        self.store = store
        self.keywords = keywords
        """Each channel's opt-out, opt-in and help words (``bot.core.keywords``)."""
        """Round trips that carry several stores' commands."""
        self.profiles = profiles
        self.conversations = conversations
        self.fanout = fanout
        self.sender = sender
        self.directory = directory
        self.region = region
        self.shard_of = shard_of
        self.lifecycle = lifecycle
        self.numbers = numbers
        self.guided = guided
        """Guided conversations (AU-2): flow state through a batch, answers, hand-offs."""
        self.fallback = fallback
        self.team = team
        """The team's chat, whose messages are replies and commands, not customers'."""

    async def process(self, entries: Sequence[Entry]) -> None:
        """Process a batch of one shard in three round trips, whatever its size: stitching,
        the threads, then the automation's writes (none when it has nothing to write).

        Each phase queues its commands in log order on one pipeline, and Redis runs a
        pipeline in order, so every conversation still sees its messages in order. The
        numbers' versions ride stitching's round trip, so the messages' events go out with
        the threads, to the services attached now (SN-2), a round trip before the writes.
        """
        started = time.perf_counter()
        batch = Batch()
        items = [decode_item(entry.data) for entry in entries]
        batch.taken_at = {
            item.provider_id: entry_time(entry.id)
            for entry, item in zip(entries, items, strict=True)
            if isinstance(item, Inbound)
        }
        statuses = [item for item in items if isinstance(item, StatusUpdate)]
        numbers = sorted({item.number for item in items})
        customers = await self._hand_team_messages_over(
            [item for item in items if isinstance(item, Inbound)]
        )
        versions = self.directory.versions_rider(numbers)
        messages, resolutions = await self._stitch_identities(customers, versions)
        messages, resolutions, edits = _set_edits_apart(messages, resolutions)
        # A flow reads an SMS answer as typed: "2" may answer a question, not an old choice.
        batch.untyped = {m.provider_id: m for m in messages if m.channel == "sms"}
        messages = await self._typed_choices(messages)
        profiles = [resolution.profile for resolution in resolutions]
        owners = self.lifecycle.owners_rider(messages, resolutions)
        records = [inbound_record(m, keyword_of(m, self.keywords)) for m in messages]
        events = [
            inbound_event(message, record, profile, batch.taken_at.get(message.provider_id, 0))
            for message, record, profile in zip(messages, records, profiles, strict=True)
        ]
        # Reloads only what changed since this process read it (SN-7): the versions of
        # the numbers were read with stitching, else they are read with the threads.
        early = versions.read
        if early:
            await self.directory.refresh(numbers)
        counts, targets = await self._thread_and_look_up(
            batch, messages, records, profiles, statuses, events, versions, owners
        )
        now = time.time()
        if not early and versions.read:  # they rode the threads' round trip
            await self.directory.refresh(numbers)
        elif not early:  # a pipeline that takes no riders
            await self.directory.catch_up(numbers)
        async with self.store.round_trip() as pipe:
            for message, record, event, profile, count in zip(
                messages, records, events, profiles, counts, strict=True
            ):
                with bound(conversation_id=message.conversation_id, event_id=event.id):
                    keyword = record.get("keyword")  # the word the record says it is
                    await self._queue_message(
                        batch, pipe, message, profile, count == 1, now, keyword
                    )
                    if not early:
                        await self._tell(pipe, message, event, now)
            unrecorded: list[tuple[int, StatusUpdate]] = []
            for status, target in zip(statuses, targets, strict=True):
                if not target.known:
                    unrecorded.append((len(pipe), status))
                await self._queue_status(pipe, status, target)
            for message, profile in edits:
                await self._queue_edit(pipe, message, profile, batch)
            self._queue_profile_links(
                pipe, messages, resolutions, await self.lifecycle.owners(owners), counts
            )
            # The merges of the batch's stitching, and of flows' answers that joined a
            # profile holding them.
            joined = await self.guided.save_answers(batch.flows)
            merges = self.lifecycle.merge_events([*resolutions, *joined])
            await self.fanout.queue_broadcast(pipe, self.numbers(), merges)
            answers = await pipe.execute()
        late = [s for at, s in unrecorded if self.conversations.recorded_meanwhile(answers[at])]
        if late:
            await self._tell_statuses(late)
        self.guided.post_handoffs(batch.flows, self.team)
        self.meters.pipeline_processed.inc(len(items))
        self.meters.pipeline_batch_seconds.observe(time.perf_counter() - started)

    async def _hand_team_messages_over(self, messages: list[Inbound]) -> list[Inbound]:
        """The customers' messages; the team chat's are handled by the team room, and
        those of other Telegram groups are nobody's."""
        if self.team and messages:
            team, messages = await self.team.split(messages)
            for message in team:
                try:
                    await self.team.handle(message)
                except Exception:  # one team message must not hold up the customers'
                    log.exception("team chat message %s failed", message.provider_id)
        # A customer writes to the bot in private: one who writes in a group the bot is
        # in talks to that group. Taken as theirs, they got answers in private they never
        # asked for, and a /stop there opted them out.
        customers = [m for m in messages if not in_a_group(m)]
        if len(customers) < len(messages):
            log.info("%d messages in Telegram groups left be", len(messages) - len(customers))
        return customers

    async def _stitch_identities(
        self, messages: list[Inbound], also: Rider
    ) -> tuple[list[Inbound], list[Resolution]]:
        """Each message's profile, and the messages still to process; ``also`` rides the
        round trip, where there is one."""
        resolutions = await self.profiles.resolve_many(
            [
                Sighting(
                    identities_of(message, self.region),
                    message.channel,
                    message.name,
                    message.timestamp,
                )
                for message in messages
            ],
            also,
        )
        # A message older than its sender's erasure is a replay or a late retry: keeping
        # it would bring back what was erased (PS-7).
        kept = [(m, r) for m, r in zip(messages, resolutions, strict=True) if not r.suppressed]
        if len(kept) < len(messages):
            log.info("dropped %d messages of erased customers", len(messages) - len(kept))
            messages = [m for m, _ in kept]
            resolutions = [r for _, r in kept]
        return messages, resolutions

    async def _thread_and_look_up(
        self,
        batch: Batch,
        messages: list[Inbound],
        records: list[dict[str, Any]],
        profiles: list[str],
        statuses: list[StatusUpdate],
        events: list[Event],
        versions: VersionsRead,
        owners: OwnersRead,
    ) -> tuple[list[int], list[Target]]:
        """The round trip after stitching: append the messages to their threads and read
        what the automation needs into ``batch``. With the ``versions`` read already (the
        directory up to date), the messages' ``events`` go to the services in it too,
        after the threads; else the versions ride this round trip. So do the ``owners``
        of the profiles the batch created, when there are some. Returns each message's
        place among its conversation's inbound messages (1 for the first) and the id in
        our timeline of each status's message, with whether the status moves it on."""
        async with self.store.round_trip() as pipe:
            for message, record, profile in zip(messages, records, profiles, strict=True):
                self._queue_inbound(pipe, message, record, profile)
            for status in statuses:
                self.conversations.queue_message_lookup(
                    pipe, status.conversation_id, status.provider_message_id
                )
            asking = self.fallback.queue_lookups(pipe, messages, self.directory.automation)
            self.guided.queue_lookups(pipe, messages)
            answered = len(pipe)  # the events' answers, after, are nobody's
            for rider in (versions, owners):
                if not rider.read:
                    ride(pipe, rider)
            if versions.read:
                now = time.time()
                for message, event in zip(messages, events, strict=True):
                    with bound(conversation_id=message.conversation_id, event_id=event.id):
                        await self._tell(pipe, message, event, now)
            results = (await pipe.execute())[:answered]
        recorded = [self.conversations.recorded(answer) for answer in results[: len(messages)]]
        quiet_at = len(messages) + len(statuses)
        found = [self.conversations.message_found(a) for a in results[len(messages) : quiet_at]]
        await self._look_up_sent_to_user_ids(statuses, found)
        targets = moving_on(statuses, found)
        flows_at = quiet_at + FallbackGate.LOOKUPS * len(asking)
        batch.answered = {
            m.conversation_id: r.answered_at
            for m, r in zip(messages, recorded, strict=True)
            if r.answered_at
        }
        batch.dripped = {
            m.conversation_id for m, r in zip(messages, recorded, strict=True) if r.dripped
        }
        batch.opted_out = {
            m.conversation_id for m, r in zip(messages, recorded, strict=True) if r.opted_out
        }
        batch.quiet = self.fallback.take_lookups(asking, results[quiet_at:flows_at])
        self.guided.take_lookups(batch.flows, messages, results[flows_at:])
        return [r.count for r in recorded], targets

    async def _look_up_sent_to_user_ids(
        self, statuses: list[StatusUpdate], found: list[tuple[str, str, bool] | None]
    ) -> None:
        """A status of a message with no record under the recipient's phone, which Meta
        also names by their business-scoped user id: the message may have gone to that id,
        and be kept in its conversation. Looked up there (a round trip more, for those
        only); found, the status is that conversation's, in place."""
        again = [n for n, known in enumerate(found) if known is None and statuses[n].also]
        if not again:
            return
        async with self.store.round_trip() as pipe:
            for n in again:
                also = statuses[n].also
                assert also is not None
                cid = conversation_id(statuses[n].number, also)
                self.conversations.queue_message_lookup(pipe, cid, statuses[n].provider_message_id)
            answers = await pipe.execute()
        for n, answer in zip(again, answers, strict=True):
            known, also = self.conversations.message_found(answer), statuses[n].also
            if known is not None and also is not None:
                found[n] = known
                statuses[n] = replace(statuses[n], recipient=also, also=None)

    async def _tell(self, pipe: Pipe, message: Inbound, event: Event, now: float) -> None:
        """Queue the message's event for the services, and its place in the number's list."""
        await self.fanout.queue_events(pipe, [event])
        self.conversations.touch(
            pipe, message.number, message.conversation_id, message.timestamp or now
        )

    def _queue_profile_links(
        self,
        pipe: Pipe,
        messages: list[Inbound],
        resolutions: list[Resolution],
        owners: list[str],
        counts: list[int],
    ) -> None:
        for message, resolution, owner, count in zip(
            messages, resolutions, owners, counts, strict=True
        ):
            # Written when the conversation or the profile is new: a merge carries the
            # link along, so later messages need not write it again.
            if resolution.profile and (count == 1 or resolution.created):
                self.profiles.queue_conversation(
                    pipe, resolution.profile, message.conversation_id, owner
                )

    async def _queue_message(
        self,
        batch: Batch,
        pipe: Pipe,
        message: Inbound,
        profile: str,
        first_contact: bool,
        now: float,
        keyword: Keyword | None,
    ) -> None:
        """Run the parent's automation and queue its replies; ``keyword``, the opt-out,
        opt-in or help word the message is (``keyword_of``, as its record says).

        A number with no service attached keeps the message in its history, and that is
        all: nobody answers and nobody hears (SN-8). A notice of the provider's
        (WhatsApp's ``system`` message, its ``revoke`` of a deleted message) is kept and
        told, and that is all too: the customer said nothing, to answer, to start a
        sequence or to end a drip. So is WhatsApp's ``request_welcome`` (the customer
        opened the chat) but on a first contact, which the welcome answers.
        """
        if message.provider_type in NOTICES:
            return
        if message.provider_type == WELCOME_REQUEST and not first_contact:
            return
        cid = message.conversation_id
        if keyword in ("stop", "start"):
            self.conversations.queue_opt_out(pipe, cid, keyword == "stop")
        parent = self.directory.parent(message.number)
        service = parent.name if parent else AUTOMATION_SERVICE
        # After a parent change, a flow of the old parent is dropped (AU-2), whether the
        # new parent runs flows or not.
        self.guided.drop_former(batch.flows, pipe, cid, parent.name if parent else "")
        replies = self._automated_replies(
            batch, pipe, message, keyword, service, profile, first_contact, now
        )
        # The customer's later messages in this batch were recorded with the opt-out as it
        # was before it: this one's word holds for them.
        if keyword == "stop":
            batch.opted_out.add(cid)
        elif keyword == "start":
            batch.opted_out.discard(cid)
        if replies and not _carrier_help(message, keyword):
            # The carriers' HELP answer is owed whatever the interval, and is no answer of
            # the automation's: the question after it still gets one.
            batch.answered[cid] = now
            self.conversations.queue_auto_reply(pipe, cid, now)
        if first_contact and parent is not None and self.first_contacts is not None:
            self.first_contacts.queue_first_contact(pipe, message, profile, now)
        stop, replied = keyword == "stop", cid in batch.dripped
        if (replied or stop) and self.first_contacts is not None:
            # A reply to a drip step (or a STOP, whether a step went or not yet) ends the
            # drip now, not when the next step comes due: the report says stopped at once.
            # Only a contact a step went to pays for a reply, once.
            if replied:
                batch.dripped.discard(cid)
                self.conversations.queue_drip_mark(pipe, cid, False)
            if parent is not None:
                self.first_contacts.queue_answered(
                    pipe, message, profile, stop, now, replied=replied
                )
        self._queue_replies(pipe, message, replies, service, profile, keyword == "help", now)

    def _automated_replies(
        self,
        batch: Batch,
        pipe: Pipe,
        message: Inbound,
        keyword: str | None,
        service: str,
        profile: str,
        first_contact: bool,
        now: float,
    ) -> list[Reply]:
        """What the parent's automation answers: a guided conversation's next step, else
        its keyword rules and welcome. A flow's state changes are queued on ``pipe``."""
        cid = message.conversation_id
        quiet = batch.quiet.get(cid)
        context = Context(
            message=message,
            first_contact=first_contact,
            now=now,
            last_auto_reply=batch.answered.get(cid),
            # Nothing was said to fall back on when the customer only opened the chat.
            may_fall_back=quiet is not None
            and quiet.allows(now)
            and message.provider_type != WELCOME_REQUEST,
        )
        automation = self.directory.automation(message.number)
        replies: list[Reply] = []
        # A customer who opted out hears nothing automated, nor starts a flow, until their
        # START; an opt-out or opt-in word is no answer to a flow's question.
        opted_out = cid in batch.opted_out and keyword != "start"
        # "Yes" on SMS, an opt-in word, from a customer who is not opted out answers a
        # flow's question; START itself is no answer.
        answering = (
            keyword == "start"
            and cid not in batch.opted_out
            and sms.keyword_word(message.text) in sms.ALSO_ANSWERS
        )
        if _carrier_help(message, keyword):
            context.reply(self.sms_help)  # carriers expect an answer to HELP, always
        elif automation is not None and not opted_out and self._may_answer(message, keyword, now):
            # A guided conversation under way, or one this message starts, comes first.
            typed = batch.untyped.get(message.provider_id, message)
            # START (or /start) answers no question: a flow under way asks its own again.
            flow = self.guided.run(
                batch.flows,
                pipe,
                typed,
                automation,
                service,
                profile,
                now,
                no_answer=keyword == "start" and not answering,
            )
            if flow.handled:
                replies = [(reply.text, reply.buttons) for reply in flow.replies]
                if message.channel == "sms" and not any(b for _, b in replies):
                    self.conversations.queue_choices(pipe, cid, [])  # "2" is typed now
            else:
                automation.handle(context)
                if context.fell_back and quiet is not None:
                    self.fallback.queue_sent(pipe, quiet, cid, now)
        elif keyword == "stop":
            self.guided.stop(batch.flows, pipe, cid)
        return replies + [(text, ()) for text in context.replies if text]

    def _queue_replies(
        self,
        pipe: Pipe,
        message: Inbound,
        replies: list[Reply],
        service: str,
        profile: str,
        required: bool,
        now: float,
    ) -> None:
        """Queue the replies for the sender, on the conversation's outbox shard."""
        # Ids derive from the message, so a redo after a crash queues the same sends and
        # events again, and their idempotency keys make that harmless.
        if not replies:  # most messages: no automation's texts to read for their links
            return
        cid = message.conversation_id
        if message.channel == "sms":  # Twilio takes 1,600 characters: a longer one in parts
            replies = [part for reply in replies for part in _sms_parts(reply)]
        automation = self.directory.automation(message.number)
        written = written_urls(automation) if automation is not None else frozenset()
        for index, (text, buttons) in enumerate(replies):
            outbound = Outbound(
                send_id=reply_id(message, index),
                conversation_id=cid,
                channel=message.channel,
                number=message.number,
                recipient=message.sender,
                text=text,
                service=service,
                created_at=now + index * 1e-6,
                profile=profile,
                required=required,
                buttons=buttons,
                # Only the links the automation's own texts hold are tracked: one an answer
                # of the customer's put in would be a link of ours to anywhere (PS-3).
                tracked=tuple(url for url in urls_in(text) if url in written),
            )
            self.sender.queue(pipe, outbound, self.shard_of(cid))

    async def _typed_choices(self, messages: list[Inbound]) -> list[Inbound]:
        """On SMS a choice is typed: "2" (or its words) picks the second offered. A
        carrier's opt-out or help word is that, whatever was offered: the carrier acts on
        it (a customer who opted out has no choices, so their YES or START opts in)."""
        typed = [
            n
            for n, m in enumerate(messages)
            if m.channel == "sms"
            and m.kind == "text"
            and keyword_of(m, self.keywords) not in ("stop", "help")
        ]
        if not typed:
            return messages
        offered = await self.conversations.choices([messages[n].conversation_id for n in typed])
        picked = list(messages)
        for n, choices in zip(typed, offered, strict=True):
            index = sms.pick_choice(messages[n].text, choices) if choices else None
            if index is not None:
                picked[n] = replace(
                    messages[n], kind="button", payload=f"b:{index}", text=choices[index]
                )
        return picked

    async def _queue_edit(self, pipe: Pipe, message: Inbound, profile: str, batch: Batch) -> None:
        """The customer's new wording of a message, and its event. An edit of a message
        that never came here (sent before the number was ours, or lost) is kept as that
        message, so that the timeline holds what the services are told; the record of one
        that came is left as it is."""
        cid = message.conversation_id
        record = inbound_record(message) | {"id": message.edit_of, "edited": True}
        self._queue_inbound(pipe, message, record, profile)
        self.conversations.queue_edit(pipe, cid, message.edit_of, message.text, message.timestamp)
        at = batch.taken_at.get(message.provider_id, 0)
        await self.fanout.queue_events(pipe, [inbound_event(message, record, profile, at)])

    def _queue_inbound(
        self, pipe: Pipe, message: Inbound, record: dict[str, Any], profile: str
    ) -> None:
        """``record``, a customer's message, appended to its thread unless it is there."""
        self.conversations.queue_record(
            pipe,
            message.conversation_id,
            record,
            direction="inbound",
            number=message.number,
            customer=message.sender.key,
            channel=message.channel,
            profile=profile,
        )

    def _may_answer(self, message: Inbound, keyword: str | None, now: float) -> bool:
        """No answer to an opt-out, a reaction or a command for another bot, nor a
        free-form one to a message past its window.

        Meta retries a webhook for days: a message delivered 25 hours late has a closed
        window, and a free-form reply would be refused (CH-2).
        """
        if keyword == "stop" or answered_by_provider(message) or names_another_bot(message):
            return False
        if message.kind == "reaction":  # an emoji on our message, or one taken off it
            return False
        if message.channel == "whatsapp" and now - message.timestamp > WINDOW_SECONDS:
            log.info("no automated answer to %s: its 24-hour window is closed", message.provider_id)
            return False
        return True

    async def _tell_statuses(self, statuses: list[StatusUpdate]) -> None:
        """Receipts whose sends were recorded between their look-up and their writing (a
        receipt that overtook the API's answer to the send): looked up again, and told
        as any other."""
        async with self.store.round_trip() as pipe:
            for status in statuses:
                self.conversations.queue_message_lookup(
                    pipe, status.conversation_id, status.provider_message_id
                )
            found = [self.conversations.message_found(a) for a in await pipe.execute()]
        async with self.store.round_trip() as pipe:
            for status, target in zip(statuses, moving_on(statuses, found), strict=True):
                await self._queue_status(pipe, status, target)
            await pipe.execute()

    async def _queue_status(self, pipe: Pipe, status: StatusUpdate, target: Target) -> None:
        cid, message_id = status.conversation_id, target.message_id
        if not target.known:
            # No record of the message yet (Meta may post a receipt before its answer to
            # the send): the send's record tells its outcomes of it, the ledger included,
            # under our id; billed here too, under the provider's, it was billed twice.
            # Meta's pricing and error go with it: billed and told as a later one would be.
            # Its refusal (131050, 21610) too: a receipt of no send of ours stops nothing.
            receipt = EarlyReceipt(status.status, status.pricing, status.error, status.error_code)
            # First on the pipeline: its answer says whether the record was made since.
            self.conversations.queue_early_status(pipe, cid, message_id, receipt)
            return
        self.conversations.queue_status(pipe, cid, message_id, status.status)
        self.sender.queue_receipt(
            pipe,
            status.number,
            message_id,
            status.status,
            status.pricing,
            status.recipient.key,
            status.error_code,
        )
        if target.news:  # a status behind the one the message has already is nobody's news
            event = status_event(status, message_id, erased=target.erased)
            await self.fanout.queue_events(pipe, [event])
        self._queue_refusal(pipe, status, message_id)

    def _queue_refusal(self, pipe: Pipe, status: StatusUpdate, message_id: str) -> None:
        """A failure that says the customer told the provider to stop: kept on the
        conversation, as when the provider's answer to the send says so (the sender)."""
        if status.status == "failed":
            self.sender.queue_refusal(
                pipe,
                status.channel,
                status.conversation_id,
                message_id,
                status.error_code,
                status.timestamp,
            )


@functools.lru_cache(maxsize=64)
def written_urls(automation: AutoReply) -> frozenset[str]:
    """The URLs the automation's texts hold (its rules, welcome, flows...), as written."""
    return frozenset(urls_in(repr(automation.settings)))


def _sms_parts(reply: Reply) -> list[Reply]:
    """An automated answer as the SMS it takes: the numbered choices with the last."""
    text, buttons = reply
    parts = sms.split_body(text, buttons)
    return [(part, ()) for part in parts[:-1]] + [(parts[-1], buttons)]


class Target(NamedTuple):
    """Where a status goes: its message by our id (the provider's when we have no record
    of it), whether it moves the message on, and whether we have the message's record."""

    message_id: str
    news: bool
    known: bool
    erased: bool = False
    """Its customer was erased since: told as ``erased``, never by their identity (PS-7)."""


def moving_on(
    statuses: Sequence[StatusUpdate], found: Sequence[tuple[str, str, bool] | None]
) -> list[Target]:
    """Each status's message, by our id (the provider's when we have no record of it),
    and whether the status moves it on: statuses arrive out of order (``delivered``
    before ``sent``), and one behind the message's own, or behind one earlier in the
    batch, is stored as nothing and told to nobody. One of a message we have no record
    of is kept under the provider's id and told to nobody: Meta may post a send's
    receipt before its answer to the send, and the send's record tells the services the
    furthest one, under our id, after ``message.outbound``.

    The provider's ``sent`` is news on a record that says ``sent`` itself: the record's
    came from the API's answer (``message.outbound`` told it), the receipt says the
    provider sent the message on. Receipts are deduplicated by id and status before
    they come here, so it is told once."""
    reached: dict[str, int] = {}
    targets = []
    for status, known in zip(statuses, found, strict=True):
        if known is None:
            targets.append(Target(status.provider_message_id, False, False))
            continue
        message_id, current, erased = known
        before = reached.get(message_id, STATUS_RANK.get(current, -1))
        rank = STATUS_RANK.get(status.status, 0)
        confirmed = status.status == current == "sent" and message_id not in reached
        targets.append(Target(message_id, rank > before or confirmed, True, erased))
        reached[message_id] = max(before, rank)
    return targets
