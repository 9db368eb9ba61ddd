"""Conversations: one thread per (number, customer), its timeline, delivery states and sends."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import asdict
from typing import Any

from redis.asyncio import Redis

from bot.model import Pricing, compact_json
from stores.claims import ClaimStore
from stores.conversation_contract import (
    BaseConversationStore,
    ClaimCheck,
    CustomerErasedError,
    CustomerOptedOutError,
    EarlyReceipt,
    ErasedContent,
    Recorded,
    WindowClosedAtSendError,
)
from stores.conversation_scripts import (
    CARRIER_OPT_OUT,
    CLAIM_SEND,
    COMPLETE_SEND,
    EARLY_KEPT_MS,
    EARLY_STATUS,
    EDIT,
    OPT_IN,
    RECORD,
    RECORD_PARTS,
    RELEASE_SEND,
    SET_FLAG_AT,
    SETTLE_CLAIM,
    STATUS,
    STATUS_OF,
    STATUS_RANK,
)
from stores.redis import Keys, Pipe

_GLOB = re.compile(r"([*?\[\]\\])")
"""Characters a SCAN pattern reads as wildcards, escaped to match themselves."""

WINDOW_SECONDS = 24 * 3600
NOTICES = frozenset({"system", "revoke"})
"""Inbound items that are the provider's notices, not the customer's words (WhatsApp's
``system`` messages: a change of number; its ``revoke``: the customer deleted a message):
they open no 24-hour window (CH-2)."""
ERASURE_KEEPS = ("id", "direction", "kind", "timestamp", "service", "agent", "send_id")
"""What erasure leaves of a message: no text, payload, media, caption or name."""

__all__ = [
    "ERASURE_KEEPS",
    "NOTICES",
    "STATUS_RANK",
    "WINDOW_SECONDS",
    "BaseConversationStore",
    "ClaimCheck",
    "ConversationStore",
    "CustomerErasedError",
    "CustomerOptedOutError",
    "EarlyReceipt",
    "ErasedContent",
    "Recorded",
    "WindowClosedAtSendError",
]


class ConversationStore(BaseConversationStore):
    """Threads, timelines and per-message delivery state, each conversation under one tag."""

    def __init__(self, redis: Redis, keys: Keys) -> None:
        self.redis = redis
        self.keys = keys

    def _k(self, conversation_id: str, part: str) -> str:
        return self.keys.conversation(conversation_id, part)

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
        keys, args = self._record_call(
            conversation_id, message, direction, number, customer, channel, profile
        )
        return self.recorded(await RECORD(self.redis, keys, args))

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
        keys, args = self._record_call(
            conversation_id, message, direction, number, customer, channel, profile
        )
        RECORD.queue(pipe, keys, args)

    @staticmethod
    def recorded(answer: Any) -> Recorded:
        """What ``queue_record`` answered on the pipeline."""
        new, count, answered_at, dripped, opted_out = answer
        return Recorded(
            bool(new), int(count), float(answered_at or 0), bool(dripped), opted_out == "1"
        )

    def _record_call(
        self,
        conversation_id: str,
        message: dict[str, Any],
        direction: str,
        number: str,
        customer: str,
        channel: str,
        profile: str,
    ) -> tuple[list[str], list[Any]]:
        keys = [self._k(conversation_id, part) for part in RECORD_PARTS]
        args = [
            message["id"],
            compact_json(message),
            message["timestamp"],
            direction,
            number,
            customer,
            channel,
            profile,
            message.get("referral", "") if direction == "inbound" else "",
            # A provider's notice, or an edit kept as the message it edits (the original
            # never came here), opens no window: the customer wrote nothing new.
            "0" if message.get("provider_type") in NOTICES or message.get("edited") else "1",
        ]
        return keys, args

    def queue_sent_as(
        self, pipe: Pipe, conversation_id: str, message_id: str, encoding: str, segments: int
    ) -> None:
        """How an SMS went, where it went longer than it was written (its links tracked):
        the timeline shows its encoding and segments from this."""
        sent_as = json.dumps({"encoding": encoding, "segments": segments})
        pipe.hset(self._k(conversation_id, "edits"), message_id, sent_as)

    def queue_edit(
        self, pipe: Pipe, conversation_id: str, message_id: str, text: str, at: float
    ) -> None:
        """Keep the customer's new wording of a message; the timeline shows the latest, by
        its time: an earlier edit that comes later is not kept."""
        edit = json.dumps({"text": text, "edited_at": at}, ensure_ascii=False)
        EDIT.queue(pipe, [self._k(conversation_id, "edits")], [message_id, edit, repr(at)])

    def queue_drip_mark(self, pipe: Pipe, conversation_id: str, on: bool) -> None:
        key = self._k(conversation_id, "meta")
        if on:
            pipe.hset(key, "drip", "1")
        else:
            pipe.hdel(key, "drip")

    def queue_auto_reply(self, pipe: Pipe, conversation_id: str, at: float) -> None:
        pipe.hset(self._k(conversation_id, "meta"), "auto_at", repr(at))

    def queue_fallback_lookup(self, pipe: Pipe, conversation_id: str) -> None:
        """Queue the read of [opted out, when a service last replied, when the fallback
        last went] (each None when never)."""
        pipe.hmget(self._k(conversation_id, "meta"), ["opted_out", "replied_at", "fallback_at"])

    def queue_fallback_sent(self, pipe: Pipe, conversation_id: str, at: float) -> None:
        pipe.hset(self._k(conversation_id, "meta"), "fallback_at", repr(at))

    def queue_service_reply(self, pipe: Pipe, conversation_id: str, at: float) -> None:
        """Note that a service or the team wrote to the customer ``at``."""
        pipe.hset(self._k(conversation_id, "meta"), "replied_at", repr(at))

    def queue_choices(self, pipe: Pipe, conversation_id: str, choices: Sequence[str]) -> None:
        """Remember the choices last offered, for channels where the answer is typed."""
        pipe.hset(self._k(conversation_id, "meta"), "choices", json.dumps(list(choices)))

    async def choices(self, conversation_ids: Sequence[str]) -> list[list[str]]:
        """The choices last offered in each conversation ([] when none, or when the
        customer has opted out since: nothing offered is theirs to pick then)."""
        async with self.redis.pipeline(transaction=False) as pipe:
            for conversation_id in conversation_ids:
                pipe.hmget(self._k(conversation_id, "meta"), ["choices", "opted_out"])
            found = await pipe.execute()
        return [json.loads(offered) if offered and not out else [] for offered, out in found]

    def queue_status(self, pipe: Pipe, conversation_id: str, message_id: str, status: str) -> None:
        """``set_status`` queued on a pipeline the caller executes."""
        STATUS.queue(pipe, [self._k(conversation_id, "status")], [message_id, status])

    def queue_early_status(
        self, pipe: Pipe, conversation_id: str, provider_id: str, receipt: EarlyReceipt
    ) -> None:
        """Keep a receipt of a message not recorded when it was looked up under the
        provider's id, for the send's record to take; its answer says, with
        ``recorded_meanwhile``, whether the record was made in between (nothing kept)."""
        keys = [self._k(conversation_id, part) for part in ("provider_ids", "early")]
        kept: dict[str, Any] = {"status": receipt.status}
        if receipt.pricing is not None:
            kept["pricing"] = asdict(receipt.pricing)
        if receipt.error or receipt.error_code:
            kept["error"], kept["error_code"] = receipt.error, receipt.error_code
        EARLY_STATUS.queue(pipe, keys, [provider_id, compact_json(kept), EARLY_KEPT_MS])

    @staticmethod
    def recorded_meanwhile(answer: Any) -> bool:
        return answer == 1

    @staticmethod
    def early_receipt(answer: Any) -> EarlyReceipt | None:
        """The receipt that came before a send's record, from ``queue_complete_send``'s
        answer (None when none past "sent" came)."""
        if not answer:
            return None
        kept = answer.decode() if isinstance(answer, bytes) else str(answer)
        if not kept.startswith("{"):  # kept by the version before: its status alone
            return EarlyReceipt(kept)
        data = json.loads(kept)
        pricing = data.get("pricing")
        return EarlyReceipt(
            data["status"],
            Pricing(**pricing) if pricing else None,
            data.get("error", ""),
            data.get("error_code", ""),
        )

    def queue_opt_out(self, pipe: Pipe, conversation_id: str, opted_out: bool) -> None:
        """Record that the customer said STOP (or START again), on the caller's pipeline."""
        key = self._k(conversation_id, "meta")
        if opted_out:
            pipe.hset(key, "opted_out", "1")
        else:
            OPT_IN.queue(pipe, [key], [])

    def queue_carrier_opt_out(self, pipe: Pipe, conversation_id: str, message_id: str) -> None:
        """Record that the carrier refused the message ``message_id`` as the customer opted
        out with it (a STOP we never saw), unless they opted in again since it went."""
        keys = [self._k(conversation_id, part) for part in ("meta", "ids")]
        CARRIER_OPT_OUT.queue(pipe, keys, [message_id])

    def queue_marketing(self, pipe: Pipe, conversation_id: str, stopped: bool, at: float) -> None:
        """Record that the customer stopped (or resumed) the number's marketing messages
        ``at``, unless a later change is recorded, on the caller's pipeline."""
        self._queue_flag(pipe, conversation_id, ("marketing_off", "marketing_at"), stopped, at)

    async def set_marketing(self, changes: Sequence[tuple[str, bool, float]]) -> None:
        """``queue_marketing`` of each (conversation id, stopped, at), in one round trip."""
        await self._set_flags(("marketing_off", "marketing_at"), changes)

    def queue_blocked(self, pipe: Pipe, conversation_id: str, blocked: bool, at: float) -> None:
        """Record that the customer blocked (or unblocked) the bot ``at``, unless a later
        change is recorded, on the caller's pipeline."""
        self._queue_flag(pipe, conversation_id, ("blocked", "blocked_at"), blocked, at)

    async def set_blocked(self, changes: Sequence[tuple[str, bool, float]]) -> None:
        """``queue_blocked`` of each (conversation id, blocked, at), in one round trip."""
        await self._set_flags(("blocked", "blocked_at"), changes)

    def _queue_flag(
        self, pipe: Pipe, conversation_id: str, fields: tuple[str, str], on: bool, at: float
    ) -> None:
        """A flag a provider tells with its time: (the flag's field, its time's field)."""
        keys = [self._k(conversation_id, "meta")]
        SET_FLAG_AT.queue(pipe, keys, ["1" if on else "0", int(at), *fields])

    async def _set_flags(
        self, fields: tuple[str, str], changes: Sequence[tuple[str, bool, float]]
    ) -> None:
        async with self.redis.pipeline(transaction=False) as pipe:
            for conversation_id, on, at in changes:
                self._queue_flag(pipe, conversation_id, fields, on, at)
            await pipe.execute()

    async def set_opt_out(self, conversation_id: str, opted_out: bool) -> None:
        """Record that the customer said STOP (or START again), in one round trip."""
        key = self._k(conversation_id, "meta")
        if opted_out:
            await self.redis.hset(key, "opted_out", "1")
        else:
            await OPT_IN(self.redis, [key], [])

    def queue_message_lookup(self, pipe: Pipe, conversation_id: str, provider_id: str) -> None:
        parts = ("provider_ids", "status", "meta")
        STATUS_OF.queue(pipe, [self._k(conversation_id, part) for part in parts], [provider_id])

    def message_found(self, answer: Any) -> tuple[str, str, bool] | None:
        if not answer:
            return None
        return str(answer[0]), str(answer[1]), len(answer) > 2 and answer[2] == "1"

    async def set_status(self, conversation_id: str, message_id: str, status: str) -> bool:
        """Move a message forward to ``status``; False if it was already there or beyond."""
        changed = await STATUS(
            self.redis, [self._k(conversation_id, "status")], [message_id, status]
        )
        return bool(changed)

    async def claim_send(
        self, conversation_id: str, send_id: str, *, despite_opt_out: bool = False
    ) -> bool:
        """Mark a send as started; False if it was started before (never send twice, REL-3).

        Raises CustomerOptedOutError when the customer said STOP after the send was queued,
        unless the send is one the channel's rules require (an answer to HELP).
        """
        keys = [self._k(conversation_id, "meta"), self._k(conversation_id, "sent")]
        flag = "1" if despite_opt_out else "0"
        return self.claimed(await CLAIM_SEND(self.redis, keys, [send_id, flag]))

    def queue_claim_send(
        self,
        pipe: Pipe,
        conversation_id: str,
        send_id: str,
        *,
        despite_opt_out: bool = False,
        window: float = 0,
        attempt: str = "",
    ) -> None:
        """``claim_send`` queued on a round trip the caller makes; its answer to ``claimed``.
        With a ``window`` (seconds), refused past it from the customer's last message; with
        an ``attempt`` (a token of the caller's, digits), ``release_send`` may name the claim's
        maker.
        """
        keys = [self._k(conversation_id, "meta"), self._k(conversation_id, "sent")]
        args = [send_id, "1" if despite_opt_out else "0", f"{window:g}", attempt]
        CLAIM_SEND.queue(pipe, keys, args)

    def claimed(self, answer: Any) -> bool:
        """What ``claim_send`` returns, from the answer to ``queue_claim_send``."""
        if int(answer) == -3:
            raise WindowClosedAtSendError("the customer's 24-hour window closed before it went")
        if int(answer) == -2:
            raise CustomerErasedError("the customer was erased")
        if int(answer) < 0:
            raise CustomerOptedOutError("the customer opted out (STOP)")
        return int(answer) == 1

    async def release_send(self, conversation_id: str, send_id: str, attempt: str = "") -> None:
        """Let go of a send's claim after a refusal that is retried: it is not started, and
        whoever tries it next claims it again. A send that went out or failed stays so.
        With an ``attempt``, only the claim that attempt made is let go."""
        args = [send_id, attempt] if attempt else [send_id]
        # EVAL, which ships the script: loading it for EVALSHA asks every node of a Redis
        # Cluster, and this runs when one of them may be down.
        async with self.redis.pipeline(transaction=False) as pipe:
            RELEASE_SEND.queue(pipe, [self._k(conversation_id, "sent")], args)
            await pipe.execute()

    async def send_states(self, sends: Sequence[tuple[str, str]]) -> list[str]:
        """Where each (conversation, send id) is, in one round trip: '' (not started),
        ``claimed`` (its API call began), ``sent`` or ``failed``."""
        if not sends:
            return []
        async with self.redis.pipeline(transaction=False) as pipe:
            for conversation_id, send_id in sends:
                pipe.hget(self._k(conversation_id, "sent"), send_id)
            found = await pipe.execute()
        return [_send_state(value) for value in found]

    async def settle_claim(
        self, conversation_id: str, send_id: str, *, older_than: float, reason: str
    ) -> ClaimCheck:
        """Fail a claimed send for ``reason`` once its claim is ``older_than`` seconds (an
        attempt a crash cut short); or say how long until then, or that it is not claimed."""
        keys = [self._k(conversation_id, "sent"), self._k(conversation_id, "status")]
        found = int(await SETTLE_CLAIM(self.redis, keys, [send_id, int(older_than * 1000), reason]))
        if found > 0:
            return ClaimCheck("claimed", found / 1000)
        return ClaimCheck({-1: "free", -2: "done"}.get(found, "failed"))

    async def complete_send(self, conversation_id: str, send_id: str, provider_id: str) -> None:
        async with self.redis.pipeline(transaction=False) as pipe:
            self.queue_complete_send(pipe, conversation_id, send_id, provider_id)
            await pipe.execute()

    def queue_complete_send(
        self, pipe: Pipe, conversation_id: str, send_id: str, provider_id: str
    ) -> None:
        """Record the provider's id of a sent message, on a pipeline the caller executes;
        its answer, read by ``early_receipt``, is the receipt past "sent" that came before
        this record."""
        parts = ("sent", "provider_ids", "status", "early")
        keys = [self._k(conversation_id, part) for part in parts]
        COMPLETE_SEND.queue(pipe, keys, [send_id, provider_id])

    async def fail_send(self, conversation_id: str, send_id: str, reason: str) -> None:
        async with self.redis.pipeline(transaction=False) as pipe:
            pipe.hset(self._k(conversation_id, "sent"), send_id, f"failed:{reason}")
            self.queue_status(pipe, conversation_id, send_id, "failed")
            await pipe.execute()

    async def abandon_sends(self, sends: Sequence[tuple[str, str]], reason: str) -> list[bool]:
        """Mark each (conversation, send id) failed for ``reason`` unless the sender
        claimed it first (the claim ``claim_send`` makes); which were taken, one round trip."""
        async with self.redis.pipeline(transaction=False) as pipe:
            for conversation_id, send_id in sends:
                pipe.hsetnx(self._k(conversation_id, "sent"), send_id, f"failed:{reason}")
            taken = await pipe.execute()
        return [bool(ours) for ours in taken]

    async def message_for_provider_id(self, conversation_id: str, provider_id: str) -> str:
        """Our id of a sent message, from the provider's id (the one receipts name)."""
        send_id = await self.redis.hget(self._k(conversation_id, "provider_ids"), provider_id)
        return str(send_id) if send_id else provider_id

    async def hold_opening(self, conversation_id: str) -> bool:
        """Hold the opening of a new conversation, for a minute at most: False when it
        exists, or another caller holds its opening now (two starts at once send one
        first message). ``let_go_of_opening`` when the start is over."""
        if await self.redis.exists(self._k(conversation_id, "meta")):
            return False
        held = await self.redis.set(self._k(conversation_id, "opening"), "1", nx=True, ex=60)
        return bool(held)

    async def let_go_of_opening(self, conversation_id: str) -> None:
        await self.redis.delete(self._k(conversation_id, "opening"))

    async def meta(self, conversation_id: str) -> dict[str, str]:
        meta: Any = await self.redis.hgetall(self._k(conversation_id, "meta"))
        return meta

    async def last_inbound_at(self, conversation_id: str) -> float | None:
        value = await self.redis.hget(self._k(conversation_id, "meta"), "last_inbound_at")
        return float(value) if value else None

    async def timeline(self, conversation_id: str, limit: int = 100) -> list[dict[str, Any]]:
        """The last ``limit`` messages, oldest first, each with its delivery status."""
        async with self.redis.pipeline(transaction=False) as pipe:
            pipe.lrange(self._k(conversation_id, "log"), -limit, -1)
            pipe.hgetall(self._k(conversation_id, "status"))
            pipe.hgetall(self._k(conversation_id, "sent"))
            pipe.hgetall(self._k(conversation_id, "edits"))
            raw, statuses, sent, edits = await pipe.execute()
        messages = []
        for item in raw:
            message = json.loads(item)
            if message["id"] in edits and not message.get("erased"):
                message |= json.loads(edits[message["id"]])
            if message["id"] in statuses:
                message["status"] = statuses[message["id"]]
            provider_id = sent.get(message["id"], "")
            if provider_id and not provider_id.startswith(("sending", "failed:")):
                message["provider_id"] = provider_id
            messages.append(message)
        return messages

    async def erase_content(self, conversation_id: str) -> ErasedContent:
        """Strip every message of its content and the customer's identity (PS-7); the
        skeleton (ids, directions, times, statuses) stays for the services' records.
        Appends only add at the end, so rewriting by index is safe beside them."""
        raw: Any = await self.redis.lrange(self._k(conversation_id, "log"), 0, -1)
        erased = 0
        files: list[str] = []
        async with self.redis.pipeline(transaction=True) as pipe:
            for index, item in enumerate(raw):
                message = json.loads(item)
                if message.get("erased"):
                    continue
                if message.get("direction") == "inbound":
                    for media in [message.get("media"), *(message.get("attachments") or [])]:
                        if isinstance(media, dict):
                            files += [str(media[k]) for k in ("ref", "id") if media.get(k)]
                kept = {key: message[key] for key in ERASURE_KEEPS if key in message}
                pipe.lset(
                    self._k(conversation_id, "log"), index, json.dumps(kept | {"erased": True})
                )
                erased += 1
            pipe.hset(self._k(conversation_id, "meta"), "customer", "erased")
            pipe.hget(self._k(conversation_id, "meta"), "number")
            pipe.hgetall(self._k(conversation_id, "claim"))
            # The team's notes on the conversation may quote the customer too.
            pipe.delete(
                self._k(conversation_id, "edits"),
                self._k(conversation_id, "notes"),
                self._k(conversation_id, "flow"),  # a guided conversation's answers so far
                self._k(conversation_id, "claim"),  # nobody works an erased customer
                self._k(conversation_id, "early"),  # receipts of sends not yet recorded
            )
            *_, number, held, _ = await pipe.execute()
        (holder,) = ClaimStore.take_holders([held])
        # Whoever takes the claim off the lapse index announces its end, once: the sweeper
        # took it first when it is gone (as "lapsed"), and a claim that lapsed before the
        # erasure is left there for the sweeper to announce.
        if holder is not None and not await self.redis.zrem(
            self.keys.claim_lapses(), conversation_id
        ):
            holder = None
        return ErasedContent(erased, list(dict.fromkeys(files)), str(number or ""), holder)

    async def list_for_number(self, number: str, limit: int = 50) -> list[str]:
        """Conversation ids of a number, the most recently active first."""
        ids: Any = await self.redis.zrevrange(self.keys.conversations(number), 0, limit - 1)
        return ids

    async def find_by_prefix(self, number: str, prefix: str, limit: int) -> list[str]:
        """Up to ``limit`` conversations of ``number`` whose id starts with ``prefix``.

        A scan of the number's index: for people typing ids, never for the message path."""
        found: dict[str, None] = {}
        match = _GLOB.sub(r"\\\1", prefix) + "*"
        async for member, _ in self.redis.zscan_iter(self.keys.conversations(number), match=match):
            found[str(member)] = None  # a scan may answer a member twice
            if len(found) >= limit:
                break  # the scan holds no connection between pages: leaving it is free
        return list(found)

    def touch(self, pipe: Pipe, number: str, conversation_id: str, at: float) -> None:
        """Queue an update of the number's conversation index on a pipeline."""
        pipe.zadd(self.keys.conversations(number), {conversation_id: at}, gt=True)

    def list_new(self, pipe: Pipe, number: str, conversation_id: str, at: float) -> None:
        """Queue the listing of a conversation in the number's index, at ``at``, unless it
        is listed."""
        pipe.zadd(self.keys.conversations(number), {conversation_id: at}, nx=True)


def _send_state(value: str | None) -> str:
    """A send's state from its field in ``:sent``: the claim, the provider's id, or why
    it failed."""
    if not value:
        return ""
    if value.startswith("sending"):
        return "claimed"
    return "failed" if value.startswith("failed:") else "sent"
