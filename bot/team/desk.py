"""The team's desk: what slash commands may do (OPS-1), through the same core as the /v1
API. Commands see this facade, never Redis or HTTP; the team acts as the service ``team``.
"""

from __future__ import annotations

import asyncio
import re
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from bot.config.flows import Flow
from bot.config.settings import SERVICE_NAME
from bot.core.sender import SendFailedError, WindowClosedError
from bot.model import AUTOMATION_SERVICE, Event, Outbound
from bot.team.roles import TeamRole, TeamRoster
from handlers.commands import Caller, RefusedError, has_control_characters
from stores.claims import Claim
from stores.notes import MAX_NOTE, NoteStore

if TYPE_CHECKING:
    from bot.runtime import Runtime

TEAM_SERVICE = "team"
"""The service name of what the team does: its claims, replies and notes."""
MIN_PREFIX = 6
"""Characters of a conversation id that a command may give instead of all of it."""
MAX_INBOX = 50


@dataclass(frozen=True, slots=True)
class InboxItem:
    """One conversation as the inbox lists it; the team sees every message in full."""

    id: str
    number: str
    channel: str
    customer: str
    """The profile's name with the customer's identity, or the identity alone."""
    last_at: float
    preview: str
    holder: Claim | None
    opted_out: bool


@dataclass(frozen=True, slots=True)
class Claimed:
    """A claim taken, and the warning when someone else held the conversation (SN-5)."""

    conversation: str
    claim: Claim
    warning: str


@dataclass(frozen=True, slots=True)
class Sent:
    """A reply queued to go out, and the warning when someone else holds the conversation."""

    conversation: str
    customer: str
    outbound: Outbound
    warning: str


@dataclass(frozen=True, slots=True)
class Attachment:
    """A number's services before and after an attach or a detach."""

    number: str
    before: tuple[str, ...]
    after: tuple[str, ...]


class TeamDesk:
    """A facade over the runtime for the team's commands; every process sees one state."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self.profiles = runtime.profile_book
        self.notes_store = NoteStore(runtime.redis, runtime.keys)
        self.roster = TeamRoster(runtime.redis, runtime.keys, runtime.settings.team)

    # --- Conversations ------------------------------------------------------------

    async def numbers(self) -> list[str]:
        """Every number of the deployment: configured, or known to the store."""
        runtime = self.runtime
        return sorted(set(runtime.numbers) | set(await runtime.services.numbers()))

    async def find_conversation(self, reference: str) -> tuple[str, dict[str, str]]:
        """A conversation by its id or an unambiguous prefix of it, with its meta.

        Raises ValueError for what cannot be an id, LookupError when none or several match."""
        reference = reference.strip()
        if not re.fullmatch(r"[A-Za-z0-9_]+", reference):
            raise ValueError(f"{reference[:40]!r} is not a conversation id")
        numbers = await self.numbers()
        meta = await self.runtime.conversations.meta(reference)
        if meta and meta.get("number") in numbers:
            return reference, meta
        if len(reference) < MIN_PREFIX:
            raise ValueError(f"give at least {MIN_PREFIX} characters of a conversation id")
        pattern = reference if reference.startswith("c_") else f"c_{reference}"
        found: set[str] = set()
        for number in numbers:
            key = self.runtime.keys.conversations(number)
            async for member, _ in self.runtime.redis.zscan_iter(key, match=f"{pattern}*"):
                found.add(str(member))
                if len(found) > 1:
                    raise LookupError(
                        f"{reference} is ambiguous: several conversations start with it; "
                        "give more of the id"
                    )
        if not found:
            raise LookupError(f"no conversation {reference}")
        conversation = found.pop()
        return conversation, await self.runtime.conversations.meta(conversation)

    async def inbox(self, limit: int = 10) -> list[InboxItem]:
        """The most recently active conversations across the numbers, newest first."""
        limit = max(1, min(limit, MAX_INBOX))
        conversations = self.runtime.conversations
        ids = []
        for number in await self.numbers():
            ids += await conversations.list_for_number(number, limit)
        metas = await asyncio.gather(*(conversations.meta(cid) for cid in ids))
        recent = sorted(
            ((cid, meta) for cid, meta in zip(ids, metas, strict=True) if meta),
            key=lambda item: float(item[1].get("last_at", 0)),
            reverse=True,
        )[:limit]
        return list(await asyncio.gather(*(self._inbox_item(cid, meta) for cid, meta in recent)))

    async def _inbox_item(self, cid: str, meta: dict[str, str]) -> InboxItem:
        last = await self.runtime.conversations.timeline(cid, limit=1)
        return InboxItem(
            id=cid,
            number=meta["number"],
            channel=meta.get("channel", ""),
            customer=await self.customer(meta),
            last_at=float(meta.get("last_at", 0)),
            preview=preview(last[-1]) if last else "",
            holder=await self.runtime.claims.holder(cid),
            opted_out=meta.get("opted_out") == "1",
        )

    async def customer(self, meta: dict[str, str]) -> str:
        """Who the customer is, for people: ``Ann (wa:447911123456)``."""
        identity = meta.get("customer", "")
        if identity == "erased":
            return "(erased)"
        root = await self.runtime.profiles.root(meta["profile"]) if meta.get("profile") else ""
        name: Any = (
            await self.runtime.redis.hget(self.runtime.keys.profile(root), "name") if root else ""
        )
        return one_line(f"{name} ({identity})" if name else identity)

    async def claim(self, conversation: str, agent: str) -> Claimed:
        """Claim for ``agent`` of the team, as the API claims for a service's agent."""
        runtime = self.runtime
        cid, meta = await self.find_conversation(conversation)
        before, held = await runtime.claims.claim(
            cid, TEAM_SERVICE, agent, runtime.settings.claim_idle
        )
        data = {
            "conversation_id": cid,
            **held.to_dict(),
            "previous": before.to_dict() if before else None,
        }
        await runtime.publish([Event.new("conversation.claimed", meta["number"], data)])
        return Claimed(cid, held, warning(before, agent))

    async def release(self, conversation: str, agent: str) -> str:
        """Release ``agent``'s claim; refused when nobody, or somebody else, holds it."""
        cid, meta = await self.find_conversation(conversation)
        released, holder = await self.runtime.claims.release(cid, TEAM_SERVICE, agent)
        if not released:
            if holder is None:
                raise RefusedError(f"Nobody holds {cid}.")
            raise RefusedError(f"{holder.agent} of {holder.service} holds {cid}, not you.")
        data = {
            "conversation_id": cid,
            "service": TEAM_SERVICE,
            "agent": agent,
            "reason": "released",
        }
        await self.runtime.publish([Event.new("conversation.released", meta["number"], data)])
        return cid

    async def reply(self, conversation: str, text: str, agent: str) -> Sent:
        """Send the customer ``text`` from the number, as the API's reply does."""
        runtime = self.runtime
        text = checked_text(text, "reply")
        cid, meta = await self.find_conversation(conversation)
        if meta.get("opted_out") == "1":
            raise RefusedError("Not sent: the customer opted out (STOP): nothing can be sent.")
        if meta.get("customer") == "erased":
            raise RefusedError("Not sent: the customer was erased: nothing can be sent.")
        try:
            outbound = await runtime.reply(cid, text, service=TEAM_SERVICE, agent=agent)
        except (WindowClosedError, SendFailedError) as error:
            raise RefusedError(f"Not sent: {error}.") from None
        holder = await runtime.claims.holder(cid)
        if holder and (holder.service, holder.agent) == (TEAM_SERVICE, agent):
            await runtime.claims.touch(cid, runtime.settings.claim_idle)
        return Sent(cid, await self.customer(meta), outbound, warning(holder, agent))

    async def note(self, conversation: str, text: str, author: str) -> tuple[str, dict[str, Any]]:
        """Keep a note for the team on a conversation; the customer never sees it."""
        text = checked_text(text, "note")
        cid, _ = await self.find_conversation(conversation)
        note = await self.notes_store.append(cid, author=author, service=TEAM_SERVICE, text=text)
        return cid, note

    async def notes(self, conversation: str, limit: int = 20) -> tuple[str, list[dict[str, Any]]]:
        """The conversation's last notes, the newest last."""
        cid, _ = await self.find_conversation(conversation)
        return cid, await self.notes_store.read(cid, limit)

    async def optout(self, conversation: str, on: bool) -> tuple[str, bool]:
        """Record that the customer wants no messages (or wants them again), as STOP and
        START do; (the conversation, whether that changed anything)."""
        cid, meta = await self.find_conversation(conversation)
        if (meta.get("opted_out") == "1") == on:
            return cid, False
        async with self.runtime.redis.pipeline(transaction=False) as pipe:
            self.runtime.conversations.queue_opt_out(pipe, cid, on)
            await pipe.execute()
        return cid, True

    # --- Services -----------------------------------------------------------------

    async def services(self) -> list[tuple[str, list[str]]]:
        """Each number with its services in attach order: the first is the parent."""
        store = self.runtime.services
        return [(number, await store.order(number)) for number in await self.numbers()]

    async def flows(self) -> list[tuple[str, str, list[Flow]]]:
        """Each number, its parent, and the guided conversations the parent runs there
        (only the parent's automation runs, SN-6)."""
        directory = self.runtime.directory
        found = []
        for number in await self.numbers():
            await directory.attached(number)
            parent = directory.parent(number)
            automation = directory.automation(number)
            flows = [r.rule.flow for r in automation.rules if r.rule.flow] if automation else []
            found.append((number, parent.name if parent else "", list(dict.fromkeys(flows))))
        return found

    async def attach(self, service: str, number: str | None = None) -> list[Attachment]:
        """Attach a known service to one number, or to every configured one."""
        runtime = self.runtime
        await self._known_service(service)
        numbers = [await self._number(number)] if number else runtime.numbers
        changes = []
        for each in numbers:
            before = await runtime.services.order(each)
            await runtime.publish(await runtime.directory.attach(each, service))
            changes.append(
                Attachment(each, tuple(before), tuple(await runtime.services.order(each)))
            )
        return changes

    async def attached_to(self, service: str, number: str | None = None) -> list[str]:
        """The numbers ``service`` would be detached from; LookupError when none."""
        numbers = [await self._number(number)] if number else await self.numbers()
        found = [each for each in numbers if service in await self.runtime.services.order(each)]
        if not found:
            where = number or "any number"
            raise LookupError(f"{service} is not attached to {where}.")
        return found

    async def detach(self, service: str, number: str | None = None) -> list[Attachment]:
        """Detach through the Directory: the next service becomes parent, and every
        service hears of it (SN-7, SN-8)."""
        runtime = self.runtime
        changes = []
        for each in await self.attached_to(service, number):
            before = await runtime.services.order(each)
            await runtime.publish(await runtime.directory.detach(each, service))
            changes.append(
                Attachment(each, tuple(before), tuple(await runtime.services.order(each)))
            )
        return changes

    async def _known_service(self, service: str) -> None:
        if service == AUTOMATION_SERVICE:
            return
        if not SERVICE_NAME.fullmatch(service) or await self.runtime.services.get(service) is None:
            raise LookupError(f"No service named {service[:40]!r}; /services lists them.")

    async def _number(self, number: str) -> str:
        if number not in await self.numbers():
            raise LookupError(f"No number {number[:60]!r}; /services lists them.")
        return number

    # --- Team roles and the audit trail: the roster's -------------------------------

    async def roles(self) -> list[TeamRole]:
        """The config's team with the roles /role set, then the people /role added."""
        return await self.roster.roles()

    async def set_role(self, member: str, role: str) -> tuple[TeamRole, str]:
        """Give an email or a Telegram id a role; (their role now, the role before)."""
        return await self.roster.set_role(member, role)

    async def caller_for_email(self, email: str) -> Caller | None:
        """The team member with this email and their role now; None for a stranger."""
        return await self.roster.caller_for_email(email)

    async def caller_for_telegram(self, user_id: int | str) -> Caller | None:
        """The team member with this Telegram user id; None for a stranger."""
        return await self.roster.caller_for_telegram(user_id)

    async def audit(self, who: str, command: str, outcome: str) -> None:
        """Keep one entry of the audit trail."""
        await self.roster.audit(who, command, outcome)

    async def audit_trail(self, limit: int = 50) -> list[dict[str, Any]]:
        """The last entries of the audit trail, the newest first."""
        return await self.roster.audit_trail(limit)


def checked_text(text: str, what: str) -> str:
    """A reply's or a note's text, trimmed; ValueError when it is empty, too long or has
    control characters."""
    text = text.strip()
    if not text:
        raise ValueError(f"a {what} needs some text")
    if len(text) > MAX_NOTE:
        raise ValueError(f"a {what} is at most {MAX_NOTE} characters (this one has {len(text)})")
    if has_control_characters(text):
        raise ValueError(f"a {what} may not contain control characters")
    return text


def warning(holder: Claim | None, agent: str) -> str:
    """The collision warning when someone other than ``agent`` of the team holds it."""
    if holder is None or (holder.service, holder.agent) == (TEAM_SERVICE, agent):
        return ""
    when = time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(holder.since))
    return f"{holder.agent} of {holder.service} has held this conversation since {when}"


def one_line(text: str) -> str:
    """Text a customer wrote, safe to show on one line of a chat or a terminal: its
    whitespace collapsed, and control characters (an escape sequence) replaced."""
    text = " ".join(text.split())
    return "".join("\ufffd" if has_control_characters(c) else c for c in text)


def preview(message: dict[str, Any], width: int = 80) -> str:
    """A message in one short line: who sent it and the start of its text."""
    if message.get("erased"):
        return "(erased)"
    text = one_line(str(message.get("text") or "")) or f"[{message.get('kind', 'message')}]"
    if len(text) > width:
        text = text[: width - 3] + "..."
    if message.get("direction") == "outbound":
        sender = message.get("service") or "bot"
        if message.get("agent"):
            sender += f"/{message['agent']}"
        return f"{sender}: {text}"
    return f"customer: {text}"
