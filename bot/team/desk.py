"""The team's desk: what slash commands may do (OPS-1), through the same actions as the /v1
API. Commands see it through ``handlers.ports.DeskPort``; the team acts as the service ``team``.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Sequence
from typing import Any

from adapters import sms
from bot.config.flows import Flow
from bot.config.settings import SERVICE_NAME
from bot.core.directory import Directory
from bot.core.sender import SendFailedError, WindowClosedError
from bot.model import AUTOMATION_SERVICE, Claim, number_named
from bot.team.actions import (
    ConversationActions,
    ConversationClosedError,
    NotHeldError,
    collision_message,
)
from bot.team.roles import TeamRoster
from handlers.command_kit import one_line, shown_identity
from handlers.commands import has_control_characters
from handlers.ports import (
    CHAT,
    Attachment,
    Caller,
    Claimed,
    InboxItem,
    RefusedError,
    Sent,
    TeamRole,
)
from stores.claims import ClaimStore
from stores.conversations import ConversationStore
from stores.notes import MAX_NOTE, NoteStore
from stores.profiles import ProfileStore
from stores.services import ServiceStore

TEAM_SERVICE = "team"
"""The service name of what the team does: its claims, replies and notes."""
MIN_PREFIX = 6
"""Characters of a conversation id that a command may give instead of all of it."""
MAX_INBOX = 50


async def team_among(services: ServiceStore, attached: Sequence[str]) -> bool:
    """Whether the team works a number of these services: its service is one, or was never
    defined (the team chat's service is defined when the team chat starts)."""
    return TEAM_SERVICE in attached or await services.get(TEAM_SERVICE) is None


class TeamDesk:
    """The team's commands' view of the runtime; every process sees one state."""

    def __init__(
        self,
        actions: ConversationActions,
        conversations: ConversationStore,
        claims: ClaimStore,
        profiles: ProfileStore,
        notes: NoteStore,
        roster: TeamRoster,
        directory: Directory,
    ) -> None:
        self.actions = actions
        self.conversations = conversations
        self.claims = claims
        self.profiles = profiles
        self.notes_store = notes
        self.roster = roster
        self.directory = directory

    # --- Conversations ------------------------------------------------------------

    async def numbers(self) -> list[str]:
        """Every number of the deployment: configured, or known to the store."""
        return await self.actions.numbers()

    async def find_conversation(self, reference: str) -> tuple[str, dict[str, str]]:
        """A conversation by its id or an unambiguous prefix of it, with its meta.

        Raises ValueError for what cannot be an id, LookupError when none or several match."""
        reference = reference.strip()
        if not re.fullmatch(r"[A-Za-z0-9_]{1,64}", reference):  # an id is c_ and 20 hex
            raise ValueError(f"{reference[:40]!r} is not a conversation id")
        numbers = await self.numbers()
        meta = await self.conversations.meta(reference)
        if meta and meta.get("number") in numbers:
            return reference, meta
        if len(reference) < MIN_PREFIX:
            raise ValueError(f"give at least {MIN_PREFIX} characters of a conversation id")
        pattern = reference if reference.startswith("c_") else f"c_{reference}"
        found: set[str] = set()
        for number in numbers:
            found.update(await self.conversations.find_by_prefix(number, pattern, 2))
            if len(found) > 1:
                raise LookupError(
                    f"{reference} is ambiguous: several conversations start with it; "
                    "give more of the id"
                )
        if not found:
            raise LookupError(f"no conversation {reference}")
        conversation = found.pop()
        return conversation, await self.conversations.meta(conversation)

    async def inbox(self, limit: int = 10) -> list[InboxItem]:
        """The most recently active conversations across the numbers, newest first."""
        limit = max(1, min(limit, MAX_INBOX))
        conversations = self.conversations
        ids = []
        for number in await self.team_numbers():
            ids += await conversations.list_for_number(number, limit)
        metas = await asyncio.gather(*(conversations.meta(cid) for cid in ids))
        recent = sorted(
            ((cid, meta) for cid, meta in zip(ids, metas, strict=True) if meta),
            key=lambda item: float(item[1].get("last_at", 0)),
            reverse=True,
        )[:limit]
        return list(await asyncio.gather(*(self._inbox_item(cid, meta) for cid, meta in recent)))

    async def _inbox_item(self, cid: str, meta: dict[str, str]) -> InboxItem:
        last = await self.conversations.timeline(cid, limit=1)
        return InboxItem(
            id=cid,
            number=meta["number"],
            channel=meta.get("channel", ""),
            customer=await self.customer(meta),
            last_at=float(meta.get("last_at", 0)),
            preview=preview(last[-1]) if last else "",
            holder=await self.claims.holder(cid),
            opted_out=meta.get("opted_out") == "1",
            blocked=meta.get("blocked") == "1",
        )

    async def customer(self, meta: dict[str, str]) -> str:
        """Who the customer is, for people: ``Ann (wa:447911123456)``."""
        identity = shown_identity(meta.get("customer", ""))
        if identity == "erased":
            return "(erased)"
        name = await self.profile_name(meta.get("profile", ""))
        return one_line(f"{name} ({identity})" if name else identity)

    async def profile_name(self, profile_id: str) -> str:
        """The name on the profile (the one it was merged into); '' when it has none."""
        return one_line(await self.profiles.name_of(profile_id))

    async def _served(self, meta: dict[str, str], refused: str) -> None:
        """RefusedError when no service is attached to the conversation's number: the
        runtime serves it no more (SN-8), and the team's replies and claims, like its
        notifications, go while any service is."""
        number = meta.get("number", "")
        attached = await self.actions.services.order(number)
        if not attached:
            raise RefusedError(
                f"{refused}: no service is attached to {number}, so it is not served "
                f"(attach one first: /attach <service> {number})."
            )
        await self._ours(number, attached, refused)

    async def acting_on(self, number: str, refused: str, *, sending: bool) -> None:
        """RefusedError unless the team acts on ``number`` (``_ours``); what sends
        (``sending``) needs a service attached there too (``_served``). /notify's scope."""
        if sending:
            await self._served({"number": number}, refused)
        else:
            await self._ours(number, await self.actions.services.order(number), refused)

    async def _ours(self, number: str, attached: list[str], refused: str) -> None:
        """RefusedError when the team's service, defined (the team chat's), was detached
        from ``number``: the team acts on the numbers it is attached to, as every service
        does through the API."""
        if await self._team_on(attached):
            return
        raise RefusedError(
            f"{refused}: the team is not attached to {number} "
            f"(/attach {TEAM_SERVICE} {number} attaches it)."
        )

    async def team_numbers(self) -> list[str]:
        """The numbers the team works: those its service is attached to (every number,
        while the team chat's service is not defined)."""
        order = self.actions.services.order
        return [n for n in await self.numbers() if await self._team_on(await order(n))]

    async def _team_on(self, attached: list[str]) -> bool:
        return await team_among(self.actions.services, attached)

    async def claim(self, conversation: str, agent: str) -> Claimed:
        """Claim for ``agent`` of the team, as the API claims for a service's agent."""
        cid, meta = await self.find_conversation(conversation)
        await self._served(meta, "Not claimed")
        try:
            claimed = await self.actions.claim(cid, meta, service=TEAM_SERVICE, agent=agent)
        except ConversationClosedError:
            raise RefusedError("Not claimed: the customer was erased.") from None
        return Claimed(cid, claimed.claim, warning(claimed.collision))

    async def release(self, conversation: str, agent: str) -> str:
        """Release ``agent``'s claim; refused when nobody, or somebody else, holds it."""
        cid, meta = await self.find_conversation(conversation)
        try:
            await self.actions.release(cid, meta, service=TEAM_SERVICE, agent=agent)
        except NotHeldError as error:
            holder = error.holder
            if holder is None:
                raise RefusedError(f"Nobody holds {cid}.") from None
            raise RefusedError(
                f"{holder.agent} of {holder.service} holds {cid}, not you."
            ) from None
        return cid

    async def team_sender(self, conversation_id: str, send_id: str) -> str | None:
        """The team member who made a send of the conversation; None when the team did not
        make it (or it is no longer in the conversation's last messages)."""
        for message in reversed(await self.conversations.timeline(conversation_id)):
            if message.get("id") == send_id:
                if message.get("service") != TEAM_SERVICE:
                    return None
                return str(message.get("agent") or "the team")
        return None

    async def reply(self, conversation: str, text: str, agent: str) -> Sent:
        """Send the customer ``text`` from the number, as the API's reply does."""
        text = checked_text(text, "reply")
        cid, meta = await self.find_conversation(conversation)
        await self._served(meta, "Not sent")
        if meta.get("channel") == "sms" and (problem := sms.body_problem(text)):
            raise RefusedError(f"Not sent: {problem}.")
        customer = await self.customer(meta)  # read before the send, as actions.reply does
        try:
            replied = await self.actions.reply(cid, meta, text, service=TEAM_SERVICE, agent=agent)
        except ConversationClosedError as error:
            why = "opted out (STOP)" if error.reason == "opted_out" else "was erased"
            raise RefusedError(f"Not sent: the customer {why}: nothing can be sent.") from None
        except (WindowClosedError, SendFailedError) as error:
            raise RefusedError(f"Not sent: {error}.") from None
        return Sent(cid, customer, replied.outbound, warning(replied.collision))

    async def note(self, conversation: str, text: str, author: str) -> tuple[str, dict[str, Any]]:
        """Keep a note for the team on a conversation; the customer never sees it."""
        text = checked_text(text, "note")
        cid, meta = await self.find_conversation(conversation)
        number = meta.get("number", "")
        await self._ours(number, await self.actions.services.order(number), "Not noted")
        if meta.get("customer") == "erased":  # the same phone writing again is a new customer
            raise RefusedError("Not noted: the customer was erased.")
        note = await self.notes_store.append(cid, author=author, service=TEAM_SERVICE, text=text)
        return cid, note

    async def notes(self, conversation: str, limit: int = 20) -> tuple[str, list[dict[str, Any]]]:
        """The conversation's last notes, the newest last."""
        cid, meta = await self.find_conversation(conversation)
        number = meta.get("number", "")
        await self._ours(number, await self.actions.services.order(number), "Not shown")
        return cid, await self.notes_store.read(cid, limit)

    async def optout(self, conversation: str, on: bool) -> tuple[str, bool]:
        """Record that the customer wants no messages (or wants them again), as STOP and
        START do; (the conversation, whether that changed anything)."""
        cid, meta = await self.find_conversation(conversation)
        number = meta.get("number", "")
        await self._ours(number, await self.actions.services.order(number), "Not changed")
        if meta.get("customer") == "erased":  # the same phone writing again is a new customer
            raise RefusedError("Not changed: the customer was erased.")
        if (meta.get("opted_out") == "1") == on:
            return cid, False
        await self.conversations.set_opt_out(cid, on)
        return cid, True

    # --- Services -----------------------------------------------------------------

    async def services(self) -> list[tuple[str, list[str]]]:
        """Each number with its services in attach order: the first is the parent."""
        store = self.actions.services
        return [(number, await store.order(number)) for number in await self.numbers()]

    async def flows(self) -> list[tuple[str, str, list[Flow]]]:
        """Each number, its parent, and the guided conversations the parent runs there
        (only the parent's automation runs, SN-6)."""
        directory = self.directory
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
        await self._known_service(service)
        numbers = [await self._number(number)] if number else list(self.actions.configured)
        return [await self.actions.attach(each, service) for each in numbers]

    async def attached_to(self, service: str, number: str | None = None) -> list[str]:
        """The numbers ``service`` would be detached from; LookupError when none."""
        if not SERVICE_NAME.fullmatch(service):  # said back as typed, it could be pages long
            raise LookupError(f"No service named {service[:40]!r}; /services lists them.")
        numbers = [await self._number(number)] if number else await self.numbers()
        order = self.actions.services.order
        found = [each for each in numbers if service in await order(each)]
        if not found:
            where = number or "any number"
            raise LookupError(f"{service} is not attached to {where}.")
        return found

    async def detach(self, service: str, number: str | None = None) -> list[Attachment]:
        """Detach through the Directory: the next service becomes parent, and every
        service hears of it (SN-7, SN-8)."""
        return [
            await self.actions.detach(each, service)
            for each in await self.attached_to(service, number)
        ]

    async def _known_service(self, service: str) -> None:
        if service == AUTOMATION_SERVICE:
            return
        known = SERVICE_NAME.fullmatch(service) and await self.actions.services.get(service)
        if not known:
            raise LookupError(f"No service named {service[:40]!r}; /services lists them.")

    async def _number(self, number: str) -> str:
        """``number``, or the one number that starts with it (``wa`` for WhatsApp), as
        /stats and /notify take it."""
        found = number_named(await self.numbers(), number)
        if not found:
            raise LookupError(f"No number {number[:60]!r}; /services lists them.")
        return found

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

    async def audit(self, who: str, command: str, outcome: str, via: str = CHAT) -> None:
        """Keep one entry of the audit trail: ``via`` the team chat or the command line."""
        await self.roster.audit(who, command, outcome, via)

    async def audit_trail(self, limit: int = 50) -> list[dict[str, Any]]:
        """The last entries of the audit trail, the newest first."""
        return await self.roster.audit_trail(limit)

    async def first_use(self, digest: str, seconds: int) -> bool:
        """Whether a confirmation is used for the first time (then it is used)."""
        return await self.roster.first_use(digest, seconds)


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


def warning(holder: Claim | None) -> str:
    """The collision warning's words, or "" when nobody else held the conversation."""
    return collision_message(holder) if holder else ""


NOTICES_SHOWN = {"revoke": "deleted a message", "request_welcome": "opened the chat"}
"""WhatsApp's notices as a post says them; another type of message we do not read (an
``order``, a ``system`` notice) by its name."""


def shown_content(message: dict[str, Any]) -> str:
    """What a customer's message says, for its post: its text; a file's kind in brackets,
    and its caption; what else it carries (a place, a contact card's name, phones and
    emails, a reaction's emoji), else its kind, or the provider's type of a message we do
    not read, in brackets."""
    kind = message.get("kind", "message")
    location = message.get("location")
    if kind == "location" and isinstance(location, dict):
        place = ", ".join(str(p) for p in (location.get("name"), location.get("address")) if p)
        where = f"{location.get('latitude')}, {location.get('longitude')}"
        return f"[location] {place} ({where})" if place else f"[location] {where}"
    cards = message.get("contacts")
    if kind == "contact" and isinstance(cards, list):
        lines = [f"[contact] {_card_line(card)}" for card in cards if isinstance(card, dict)]
        return "\n".join(lines) or "[contact]"
    reaction = message.get("reaction")
    if kind == "reaction" and isinstance(reaction, dict):
        emoji = reaction.get("emoji")
        return f"[reaction] {emoji}" if emoji else "[reaction taken off]"
    provider_type = str(message.get("provider_type") or "")
    if kind == "unsupported" and provider_type:  # an order, a notice: named, not "unsupported"
        return f"[{NOTICES_SHOWN.get(provider_type, provider_type)}]"
    text = str(message.get("text") or "")
    if kind in FILE_KINDS:  # a caption: what came is said before it
        return f"[{kind}] {text}" if text else f"[{kind}]"
    return text or f"[{kind}]"


FILE_KINDS = frozenset(("image", "document", "audio", "video", "sticker"))
"""The kinds of message that carry a file, whose text is the file's caption."""


def _card_line(card: dict[str, Any]) -> str:
    """A shared contact card in one line: its name, phones, emails and company."""
    phones = [
        p.get("phone") or p.get("wa_id") for p in card.get("phones") or [] if isinstance(p, dict)
    ]
    parts = [card.get("name"), *phones, *(card.get("emails") or []), card.get("organization")]
    return " ".join(str(part) for part in parts if part)


def preview(message: dict[str, Any], width: int = 80) -> str:
    """A message in one short line: who sent it and the start of its text (or of what
    else it says: a place, a card, an emoji)."""
    if message.get("erased"):
        return "(erased)"
    text = one_line(shown_content(message))
    if len(text) > width:
        text = text[: width - 3] + "..."
    if message.get("direction") == "outbound":
        sender = message.get("service") or "bot"
        if message.get("agent"):
            sender += f"/{message['agent']}"
        return f"{sender}: {text}"
    return f"customer: {text}"
