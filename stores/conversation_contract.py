"""The conversation store's contract and the values it answers with: threads, timelines,
delivery states and sends (``stores.conversations.ConversationStore`` implements it)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from bot.model import Claim, Pricing
from stores.redis import Pipe


class CustomerOptedOutError(Exception):
    """The customer asked for no more messages (STOP or UNSUBSCRIBE)."""


class CustomerErasedError(CustomerOptedOutError):
    """The customer was erased (PS-7) after the send was queued: it goes to nobody."""


class WindowClosedAtSendError(Exception):
    """The customer's 24-hour window closed after a free-form WhatsApp send was queued,
    before its turn came: WhatsApp would refuse it (131047)."""


@dataclass(frozen=True, slots=True)
class Recorded:
    """The outcome of appending a message: whether it was new, and its ordinal (1 = first)."""

    new: bool
    count: int
    answered_at: float = 0.0
    """When the contact last got an automated answer (0 when never)."""
    dripped: bool = False
    """Whether a drip step went to the contact since their last message."""
    opted_out: bool = False
    """Whether the contact had opted out before this message."""


@dataclass(frozen=True, slots=True)
class ClaimCheck:
    """What ``settle_claim`` found of a claimed send."""

    state: str
    """``free`` (the claim was let go), ``done`` (it went out or failed), ``failed`` (the
    claim was old enough: failed just now) or ``claimed`` (not that old yet)."""
    wait: float = 0.0
    """For ``claimed``: the seconds until it is that old."""


@dataclass(frozen=True, slots=True)
class ErasedContent:
    """What ``erase_content`` took out of a conversation."""

    messages: int
    """Messages stripped of their content."""
    files: list[str]
    """The files the customer sent in them (their ``media.ref``, or an upload's id)."""
    number: str = ""
    ended: Claim | None = None
    """The claim the erasure ended, for the caller to announce; None when nobody held the
    conversation, or when the lapse sweeper took it first (it announces it then)."""


@dataclass(frozen=True, slots=True)
class EarlyReceipt:
    """A receipt of a send that came before the send's record (Meta may post one before
    its API's answer to the send): kept under the provider's id, and handed over by
    ``complete_send`` to be told as any other."""

    status: str
    pricing: Pricing | None = None
    """How Meta bills the send, when a receipt said: the ledger bills it so."""
    error: str = ""
    """The provider's title of a failure."""
    error_code: str = ""
    """The provider's code of a failure (Meta's ``errors[].code``)."""


class BaseConversationStore(Protocol):
    """Threads, timelines, delivery states and sends, and each number's conversations."""

    async def record(
        self,
        conversation_id: str,
        message: dict[str, Any],
        *,
        direction: str,
        number: str,
        customer: str,
        channel: str,
        profile: str = "",
    ) -> Recorded:
        """Append ``message`` (which carries its own ``id``) unless it is already there."""

    def queue_record(
        self,
        pipe: Pipe,
        conversation_id: str,
        message: dict[str, Any],
        *,
        direction: str,
        number: str,
        customer: str,
        channel: str,
        profile: str = "",
    ) -> None:
        """``record`` queued on a pipeline the caller executes; ``recorded`` reads its
        answer."""

    @staticmethod
    def recorded(answer: Any) -> Recorded:
        """What ``queue_record`` answered on the pipeline."""

    def queue_edit(
        self, pipe: Pipe, conversation_id: str, message_id: str, text: str, at: float
    ) -> None:
        """Keep the customer's new wording of a message; the timeline shows the latest."""

    def queue_drip_mark(self, pipe: Pipe, conversation_id: str, on: bool) -> None:
        """Note that a drip step went to the contact (``on``), or that their message
        after it has been seen (off): only a marked contact's message stops a drip."""

    def queue_auto_reply(self, pipe: Pipe, conversation_id: str, at: float) -> None:
        """Note that the contact got an automated answer ``at``."""

    def queue_fallback_lookup(self, pipe: Pipe, conversation_id: str) -> None:
        """Queue the read of [opted out, when a service last replied, when the fallback
        last went] (each None when never)."""

    def queue_fallback_sent(self, pipe: Pipe, conversation_id: str, at: float) -> None:
        """Note that the fallback answer went ``at``."""

    def queue_service_reply(self, pipe: Pipe, conversation_id: str, at: float) -> None:
        """Note that a service or the team wrote to the customer ``at``."""

    def queue_choices(self, pipe: Pipe, conversation_id: str, choices: Sequence[str]) -> None:
        """Remember the choices last offered, for channels where the answer is typed."""

    async def choices(self, conversation_ids: Sequence[str]) -> list[list[str]]:
        """The choices last offered in each conversation ([] when none, or when the
        customer has opted out since: nothing offered is theirs to pick then)."""

    def queue_status(self, pipe: Pipe, conversation_id: str, message_id: str, status: str) -> None:
        """``set_status`` queued on a pipeline the caller executes."""

    def queue_opt_out(self, pipe: Pipe, conversation_id: str, opted_out: bool) -> None:
        """``set_opt_out`` queued on a pipeline the caller executes."""

    def queue_carrier_opt_out(self, pipe: Pipe, conversation_id: str, message_id: str) -> None:
        """Record that the carrier refused the message ``message_id`` as the customer opted
        out with it (a STOP we never saw, told after the send), unless they opted in again
        after it went: a conversation that does not exist keeps nothing."""

    def queue_marketing(self, pipe: Pipe, conversation_id: str, stopped: bool, at: float) -> None:
        """Record that the customer stopped (or resumed) the number's marketing messages
        ``at`` (WhatsApp's "Stop promotions"), unless a later change is recorded: a
        conversation that does not exist, or whose customer was erased, keeps nothing."""

    async def set_marketing(self, changes: Sequence[tuple[str, bool, float]]) -> None:
        """``queue_marketing`` of each (conversation id, stopped, at), in one round trip."""

    def queue_blocked(self, pipe: Pipe, conversation_id: str, blocked: bool, at: float) -> None:
        """Record that the customer blocked (or unblocked) the bot ``at`` (Telegram's), unless
        a later change is recorded: a conversation that does not exist, or whose customer
        was erased, keeps nothing."""

    async def set_blocked(self, changes: Sequence[tuple[str, bool, float]]) -> None:
        """``queue_blocked`` of each (conversation id, blocked, at), in one round trip."""

    async def set_opt_out(self, conversation_id: str, opted_out: bool) -> None:
        """Record that the customer said STOP (or START again)."""

    def queue_message_lookup(self, pipe: Pipe, conversation_id: str, provider_id: str) -> None:
        """Queue the lookup of ``message_for_provider_id`` and of that message's status;
        ``message_found`` reads the answer."""

    def message_found(self, answer: Any) -> tuple[str, str, bool] | None:
        """Our id of the message, its status ('' for none yet), and whether its customer
        was erased, from the answer of ``queue_message_lookup``; None when the provider's
        id is unknown."""

    async def set_status(self, conversation_id: str, message_id: str, status: str) -> bool:
        """Move a message forward to ``status``; False if it was already there or beyond."""

    async def claim_send(
        self, conversation_id: str, send_id: str, *, despite_opt_out: bool = False
    ) -> bool:
        """Mark a send as started; False if it was before. CustomerOptedOutError after STOP."""

    def queue_claim_send(
        self,
        pipe: Pipe,
        conversation_id: str,
        send_id: str,
        *,
        despite_opt_out: bool = False,
        window: float = 0,
    ) -> None:
        """``claim_send`` queued on a round trip the caller makes; its answer to ``claimed``.
        With a ``window`` (seconds), refused past it from the customer's last message."""

    def claimed(self, answer: Any) -> bool:
        """What ``claim_send`` returns, from the answer to ``queue_claim_send``."""

    async def release_send(self, conversation_id: str, send_id: str) -> None:
        """Let go of a send's claim after a refusal that is retried: it is not started."""

    async def send_states(self, sends: Sequence[tuple[str, str]]) -> list[str]:
        """Where each (conversation, send id) is: '', claimed, sent or failed."""

    async def settle_claim(
        self, conversation_id: str, send_id: str, *, older_than: float, reason: str
    ) -> ClaimCheck:
        """Fail a send for ``reason`` if its claim is ``older_than`` seconds."""

    async def complete_send(self, conversation_id: str, send_id: str, provider_id: str) -> None:
        """Record the provider's id of a sent message, and that it was sent."""

    def queue_complete_send(
        self, pipe: Pipe, conversation_id: str, send_id: str, provider_id: str
    ) -> None:
        """``complete_send`` queued on a pipeline the caller executes; its answer, read by
        ``early_receipt``, is the receipt past "sent" (delivered, read, failed) that came
        under the provider's id before this record was made, now the send's own."""

    async def fail_send(self, conversation_id: str, send_id: str, reason: str) -> None:
        """Record that a send failed, and why."""

    async def abandon_sends(self, sends: Sequence[tuple[str, str]], reason: str) -> list[bool]:
        """Fail each (conversation, send id) nobody started yet; which were taken."""

    async def message_for_provider_id(self, conversation_id: str, provider_id: str) -> str:
        """Our id of a sent message, from the provider's id (the one receipts name)."""

    async def meta(self, conversation_id: str) -> dict[str, str]:
        """Number, customer, channel, profile, counts and times of a conversation; {} if none."""

    async def last_inbound_at(self, conversation_id: str) -> float | None:
        """When the customer last wrote; None when never."""

    async def timeline(self, conversation_id: str, limit: int = 100) -> list[dict[str, Any]]:
        """The last ``limit`` messages, oldest first, each with its delivery status."""

    async def erase_content(self, conversation_id: str) -> ErasedContent:
        """Strip every message of its content and the customer, and end its claim."""

    async def list_for_number(self, number: str, limit: int = 50) -> list[str]:
        """Conversation ids of a number, the most recently active first."""

    async def find_by_prefix(self, number: str, prefix: str, limit: int) -> list[str]:
        """Up to ``limit`` conversations of ``number`` whose id starts with ``prefix``."""

    def touch(self, pipe: Pipe, number: str, conversation_id: str, at: float) -> None:
        """Queue an update of the number's conversation index on a pipeline."""
