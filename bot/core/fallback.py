"""When the automation's fallback answer may go (AU-1): to a customer who has not opted
out, in a conversation nobody holds, where no person answered for ``QUIET_SECONDS``, and
at most once in that time, so that a conversation a person works is not interrupted."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from bot.model import Inbound
from handlers.autoreply import AutoReply
from stores.claims import ClaimStore
from stores.conversations import ConversationStore
from stores.redis import Pipe

QUIET_SECONDS = 1800.0
"""After a reply of a service or of the team, or after the fallback itself, this long
passes before the fallback answers again."""


@dataclass(slots=True)
class Quiet:
    """What stands against the fallback in one conversation, as read with its batch."""

    opted_out: bool = False
    held: bool = False
    replied_at: float = 0.0
    """When a service or the team last wrote to the customer."""
    fallback_at: float = 0.0

    def allows(self, now: float) -> bool:
        if self.opted_out or self.held:
            return False
        return now - max(self.replied_at, self.fallback_at) >= QUIET_SECONDS


class FallbackGate:
    """Reads, in the pipeline's first round trip, what the fallback needs; notes when it went."""

    def __init__(self, conversations: ConversationStore, claims: ClaimStore) -> None:
        self.conversations = conversations
        self.claims = claims

    LOOKUPS = 2
    """Results each message's lookups take on the pipeline."""

    def queue_lookups(
        self,
        pipe: Pipe,
        messages: Sequence[Inbound],
        automation: Callable[[str], AutoReply | None],
    ) -> list[Inbound]:
        """Queue the lookups of the messages whose number's parent has a fallback, as this
        process last saw it (a parent that just gained one has it from the next batch on);
        those messages, for ``take_lookups``."""
        asking = []
        for message in messages:
            answers = automation(message.number)
            if answers and answers.fallback:
                self.conversations.queue_fallback_lookup(pipe, message.conversation_id)
                self.claims.queue_held_lookup(pipe, message.conversation_id)
                asking.append(message)
        return asking

    def take_lookups(self, messages: Sequence[Inbound], results: Sequence[Any]) -> dict[str, Quiet]:
        found = {}
        for n, message in enumerate(messages):
            (opted_out, replied_at, fallback_at), held = results[2 * n : 2 * n + 2]
            found[message.conversation_id] = Quiet(
                opted_out=opted_out == "1",
                held=bool(held),
                replied_at=float(replied_at or 0),
                fallback_at=float(fallback_at or 0),
            )
        return found

    def queue_sent(self, pipe: Pipe, quiet: Quiet, conversation_id: str, at: float) -> None:
        quiet.fallback_at = at  # a second message of the batch gets no second fallback
        self.conversations.queue_fallback_sent(pipe, conversation_id, at)
