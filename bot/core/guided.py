"""The pipeline's side of guided conversations (AU-2): each conversation's flow state
through a batch, answers saved on profiles, and hand-offs posted to the team chat.

The engine (handlers/flows.py) decides; this module keeps what it decided: the state is
written on the batch's own pipeline, in order, so two quick messages meet fresh state.
What a batch learns lives in its own ``GuidedBatch``: one ``GuidedConversations`` serves
every shard worker at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import weakref
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Protocol

from bot.core.records import reply_id
from bot.core.retry import retrying
from bot.core.sender import SendFailedError, send_backoff
from bot.model import Identity, Inbound, display_name
from handlers.autoreply import AutoReply
from handlers.command_kit import shown_identity
from handlers.flows import ASKED_KEPT, FlowEngine, FlowOutcome, FlowState
from stores.conversations import ConversationStore
from stores.flows import FlowStateStore
from stores.profile_records import Resolution, Sighting, consent_trail
from stores.profiles import ProfileStore
from stores.redis import Pipe

log = logging.getLogger(__name__)

POST_ATTEMPTS = 5
SHOWN_ANSWER = 200
"""Characters of each answer shown in a hand-off post."""


class HandoffRoom(Protocol):
    """Where hand-offs are posted: the team's chat (bot.team.chat.TeamChat)."""

    async def post_about(self, conversation_id: str, text: str, *, key: str) -> None:
        """Post; replying to the post answers the conversation's customer."""
        ...


@dataclass(frozen=True, slots=True)
class Handoff:
    """A customer a flow handed to a person, for the team chat."""

    message: Inbound
    flow: str
    reason: str
    answers: dict[str, str]
    profile: str = ""

    def post(self, name: str = "") -> str:
        """Plain text (never parsed by Telegram), so answers cannot format or hide; the
        customer named as the channel names them, else ``name`` (their profile's)."""
        # A web visitor's id opens their chat: only its first characters show.
        who = self.message.name or name or shown_identity(self.message.sender.key)
        cid = self.message.conversation_id
        why = f"Flow {self.flow!r}: {self.reason}." if self.flow else f"{self.reason.capitalize()}."
        lines = [f"Hand-off: {who} on {self.message.channel} · {cid}", why]
        for name, value in self.answers.items():
            shown = value if len(value) <= SHOWN_ANSWER else value[:SHOWN_ANSWER] + "…"
            lines.append(f"{name}: {shown}")
        lines.append("(reply to this message to answer them)")
        return "\n".join(lines)


@dataclass(slots=True)
class GuidedBatch:
    """One batch's guided conversations, made for that batch alone."""

    states: dict[str, FlowState | None] = field(default_factory=dict)
    """Each conversation's flow state as the batch's messages so far left it."""
    saves: list[tuple[str, dict[str, str]]] = field(default_factory=list)
    """The answers to save on profiles: (profile, fields)."""
    handoffs: list[Handoff] = field(default_factory=list)
    pressed: dict[str, str] = field(default_factory=dict)
    """Our id of the message each button press of the batch names, by the press's id."""
    joins: list[tuple[Inbound, Identity]] = field(default_factory=list)
    """Answers that join their customer's profile as identities, with their messages."""


class GuidedConversations:
    """Runs the parent's flows for the pipeline; holds nothing of any one batch, whose
    state is in the ``GuidedBatch`` each call is given."""

    def __init__(
        self,
        store: FlowStateStore,
        profiles: ProfileStore,
        region: str,
        conversations: ConversationStore,
    ) -> None:
        self.store = store
        self.profiles = profiles
        self.conversations = conversations
        self.region = region
        self._engines: weakref.WeakKeyDictionary[AutoReply, FlowEngine] = (
            weakref.WeakKeyDictionary()
        )
        self._posting: dict[asyncio.Task[None], str] = {}
        """Hand-off posts under way, each with its conversation."""

    def queue_lookups(self, pipe: Pipe, messages: Sequence[Inbound]) -> None:
        """Queue the read of each message's flow state, one answer per message, then of
        our id of the message each button press names, one answer per press."""
        for message in messages:
            self.store.queue_lookup(pipe, message.conversation_id)
        for message in _presses(messages):
            self.conversations.queue_message_lookup(pipe, message.conversation_id, message.reply_to)

    def take_lookups(
        self, batch: GuidedBatch, messages: Sequence[Inbound], found: Sequence[Any]
    ) -> None:
        """Start ``batch`` from the states read; later messages of a conversation see the
        state its earlier ones left, not the one read before the batch."""
        presses = _presses(messages)
        for press, answer in zip(presses, found[len(messages) :], strict=True):
            if pressed := self.conversations.message_found(answer):
                batch.pressed[press.provider_id] = pressed[0]
        for message, raw in zip(messages, found[: len(messages)], strict=True):
            if message.conversation_id in batch.states:
                continue
            document = self.store.decode(raw)
            try:
                state = FlowState.from_dict(document) if document else None
            except ValueError:
                log.warning("dropped a broken flow state of %s", message.conversation_id)
                state = None
            batch.states[message.conversation_id] = state

    def run(
        self,
        batch: GuidedBatch,
        pipe: Pipe,
        message: Inbound,
        automation: AutoReply,
        owner: str,
        profile: str,
        now: float,
        *,
        no_answer: bool = False,
    ) -> FlowOutcome:
        """Let the parent's flows take ``message``; queue the state it leaves. With
        ``no_answer`` (an opt-in word), a flow under way asks its question again."""
        cid = message.conversation_id
        before = batch.states.get(cid)
        state = before if before is not None and before.owner == owner else None
        engine = self._engine(automation)
        pressed_on = batch.pressed.get(message.provider_id, "")
        outcome = engine.step(state, message, now=now, pressed_on=pressed_on, no_answer=no_answer)
        after = replace(outcome.state, owner=owner) if outcome.state else None
        if after is not None and outcome.replies and not _asked_unnoted(state, after):
            # The flow's last reply asks the step it is at: its send's id (the pipeline
            # queues the flow's replies first) is what a press of its buttons names.
            asked = (*after.asked, reply_id(message, len(outcome.replies) - 1))
            after = replace(after, asked=asked[-ASKED_KEPT:])
        if after is not None:
            self.store.queue_save(pipe, cid, after.to_dict(), engine.timeout(after))
        elif before is not None:
            self.store.queue_clear(pipe, cid)  # ended, expired, or a former parent's
        batch.states[cid] = after
        if outcome.saves and profile:
            fields = {f"!f:{name}": value for name, value in outcome.saves.items()}
            if "consent" in outcome.saves:  # the lawful basis, and where it came from
                step = state.step if state is not None else ""
                fields |= consent_trail(f"flow:{outcome.flow}:{step}", now, overwrite=True)
            if name := display_name(outcome.saves.get("name", "")):
                fields["!f:name"] = name  # shown as a channel's names are
                fields["name"] = name  # only where the profile has none
            batch.saves.append((profile, fields))
        batch.joins.extend((message, identity) for identity in outcome.identities)
        if outcome.handoff is not None:
            answers = dict(state.answers) if state else {}
            answers |= dict(outcome.saves)
            handoff = Handoff(message, outcome.flow, outcome.handoff, answers, profile)
            batch.handoffs.append(handoff)
        if outcome.ended:
            log.info("flow %s %s in %s", outcome.flow, outcome.ended, cid)
        return outcome

    def drop_former(self, batch: GuidedBatch, pipe: Pipe, conversation_id: str, owner: str) -> None:
        """Forget a flow that is not ``owner``'s (the parent's now, '' with none): a parent
        without flows of its own runs no ``run`` to drop it, and the former parent's
        question, were it parent again, would take the customer's next message."""
        state = batch.states.get(conversation_id)
        if state is not None and state.owner != owner:
            self.store.queue_clear(pipe, conversation_id)
            batch.states[conversation_id] = None

    def stop(self, batch: GuidedBatch, pipe: Pipe, conversation_id: str) -> None:
        """The customer opted out (STOP): no flow goes on asking them."""
        if batch.states.get(conversation_id) is not None:
            self.store.queue_clear(pipe, conversation_id)
            batch.states[conversation_id] = None

    async def save_answers(self, batch: GuidedBatch) -> list[Resolution]:
        """Write the batch's answers to the profiles, before the batch's state is: after a
        crash in between, the redo finds the old state and saves the same again. The
        answers that are identities join their customers' profiles, as a sighting of the
        customer with them does (merging a profile that holds one already, within the
        merge rules); what that came to, for the merges' events."""
        if batch.saves:
            await self.profiles.fill(batch.saves)
        if not batch.joins:
            return []
        sightings = [
            Sighting((message.sender, identity), message.channel, "", message.timestamp)
            for message, identity in batch.joins
        ]
        return await self.profiles.resolve_many(sightings)

    def post_handoffs(self, batch: GuidedBatch, room: HandoffRoom | None) -> None:
        """Tell the team about the batch's hand-offs, in the background: the team chat's
        limits (20 posts a minute in a group) must not hold up the customers' messages."""
        for handoff in batch.handoffs:
            log.info("hand-off in %s: %s", handoff.message.conversation_id, handoff.reason)
            if room is None:
                continue
            task = asyncio.create_task(self._post(room, handoff))
            self._posting[task] = handoff.message.conversation_id
            task.add_done_callback(self._posted)

    def _posted(self, task: asyncio.Task[None]) -> None:
        self._posting.pop(task, None)

    async def settled(self, grace: float | None = None) -> None:
        """Wait for the hand-off posts under way (tests, and a graceful stop: for at most
        ``grace`` seconds, and those left are said)."""
        loop = asyncio.get_running_loop()
        deadline = None if grace is None else loop.time() + grace
        while self._posting:
            left = None if deadline is None else deadline - loop.time()
            if left is not None and left <= 0:
                for cid in sorted(set(self._posting.values())):
                    log.warning("hand-off post about %s not made at the stop", cid)
                for task in list(self._posting):
                    task.cancel()
                return
            await asyncio.wait(list(self._posting), timeout=left)

    def _engine(self, automation: AutoReply) -> FlowEngine:
        engine = self._engines.get(automation)
        if engine is None:
            rules = [compiled.rule for compiled in automation.rules]
            engine = FlowEngine(rules, region=self.region)
            self._engines[automation] = engine
        return engine

    async def _post(self, room: HandoffRoom, handoff: Handoff) -> None:
        cid, key = handoff.message.conversation_id, f"handoff:{handoff.message.provider_id}"
        name = ""
        if not handoff.message.name:  # the name a flow saved is the profile's
            with contextlib.suppress(Exception):  # without it, the post still goes
                name = await self.profiles.name_of(handoff.profile)
        try:
            await retrying(
                lambda: room.post_about(cid, handoff.post(name), key=key),
                attempts=POST_ATTEMPTS,
                backoff=send_backoff,
            )
        except SendFailedError as error:
            log.warning("hand-off post failed: %s", error)
        except Exception:
            log.exception("hand-off post failed")


def _presses(messages: Sequence[Inbound]) -> list[Inbound]:
    """The button presses that name the message pressed (WhatsApp's and Telegram's)."""
    return [m for m in messages if m.kind in ("button", "list") and m.reply_to]


def _asked_unnoted(before: FlowState | None, after: FlowState) -> bool:
    """Whether ``after``'s step was asked before its messages were noted (by the version
    before): it is never held to them, the first not being among them."""
    if before is None or (before.flow, before.step) != (after.flow, after.step):
        return False
    return not before.asked
