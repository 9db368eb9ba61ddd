"""Profiles as services and the team use them: lookup, merge, convert, erase, daily notes.

The HTTP API, the CLI and slash commands all go through ``ProfileBook``.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from bot.config.notifications import LAWFUL_BASES
from bot.core.lifecycle import merged_event
from bot.core.redaction import hides, masked
from bot.core.retry import retrying
from bot.core.sender import store_backoff
from bot.identities import (
    InvalidIdentityError,
    InvalidPhoneError,
    parse_identity,
    phone_alias,
    phone_of_whatsapp_id,
    with_its_phone,
)
from bot.model import Claim, Event, Identity, Service, compact_json, derived_id, indented
from stores.activity import ActivityStore
from stores.conversations import ConversationStore
from stores.profile_records import consent_trail
from stores.profiles import Merge, ProfileStore, Refusal

log = logging.getLogger(__name__)

CHANNEL_NAMES = {"whatsapp": "WhatsApp", "telegram": "Telegram", "sms": "SMS", "web": "Web"}
MAX_NOTE_MESSAGES = 10_000
"""Messages read per conversation to build notes."""


def check_lawful_basis(basis: str) -> None:
    """ValueError unless ``basis`` is one a profile may record: a lawful basis for
    marketing, or ``none``."""
    if basis not in LAWFUL_BASES and basis != "none":
        bases = ", ".join(sorted(LAWFUL_BASES))
        raise ValueError(f"the lawful basis is one of {bases}, or none")


class ProfileNotFoundError(LookupError):
    """No live profile answers to that id or identity."""


class ProfileErasedError(LookupError):
    """The profile was erased (PS-7)."""

    def __init__(self, profile_id: str, erased_at: float) -> None:
        super().__init__(f"profile {profile_id} was erased")
        self.erased_at = erased_at


class IdentityErasedError(ProfileErasedError):
    """An identity of a person who was erased (PS-7): no one to reach or enrol."""

    def __init__(self, identity: Identity, erased_at: float) -> None:
        LookupError.__init__(self, f"the person with that {identity.kind} was erased")
        self.erased_at = erased_at


MAX_TRIES = 8
"""Times an erasure looks again at a person whose profiles a merge kept changing."""
SHOWN_REFUSALS = 20
"""Refusals a profile shows, newest first (``ProfileRecords.get`` reads as many)."""


class ProfileBook:
    """The operations on profiles, over the stores; events go out through ``publish``."""

    def __init__(
        self,
        profiles: ProfileStore,
        conversations: ConversationStore,
        activity: ActivityStore,
        publish: Callable[[list[Event]], Awaitable[None]],
        region: str,
        notes_timezone: str = "UTC",
        forget_queued: Callable[[list[str], list[str]], Awaitable[int]] | None = None,
        forget_campaigns: Callable[[list[str], Callable[[str], bool]], Awaitable[int]]
        | None = None,
        forget_media: Callable[[list[str]], Awaitable[None]] | None = None,
        forget_answers: Callable[[list[str]], Awaitable[int]] | None = None,
        forget_enrolments: Callable[[list[str], list[Identity], list[str]], Awaitable[int]]
        | None = None,
    ) -> None:
        self.forget_media = forget_media
        """Deletes the files the erased person sent, and keeps them from being fetched."""
        self.forget_answers = forget_answers
        """Replaces the answers kept for services' retries (``Idempotency-Key``) that name
        the erased profiles or conversations, so that a retry does not give them back."""
        self.profiles = profiles
        self.conversations = conversations
        self.activity = activity
        self.publish = publish
        self.forget_queued = forget_queued
        """Strips the erased person's content from the events still queued for services."""
        self.forget_campaigns = forget_campaigns
        """Strips the erased person's identities from the campaigns queued to them."""
        self.forget_enrolments = forget_enrolments
        """Takes the erased person off every drip sequence, under each of their names."""
        self.region = region
        self.zone = ZoneInfo(notes_timezone)
        profiles.erased_link = self._erase_late

    async def find(self, reference: str) -> str:
        """The live profile behind a profile id or any identity (``phone:+44…``, an
        email, a phone typed any way). Raises ProfileNotFoundError, ProfileErasedError,
        or ValueError for an identity that cannot be read."""
        reference = reference.strip()
        if reference.startswith("p_") and ":" not in reference:
            root = await self.profiles.root(reference)
            if not root:
                stored = await self.profiles.get(reference)
                if stored.get("erased_at"):
                    raise ProfileErasedError(reference, float(stored["erased_at"]))
                raise ProfileNotFoundError(f"no profile {reference}")
            return root
        try:
            identity = parse_identity(reference, self.region)
        except (InvalidIdentityError, InvalidPhoneError) as error:
            raise ValueError(str(error)) from None
        root = await self.profiles.lookup(identity)
        if not root and (alias := phone_alias(identity)) is not None:
            root = await self.profiles.lookup(alias)  # held in its other form
        if not root and identity.kind == "wa":
            # A WhatsApp id in another of its forms (Brazil's with or without the mobile
            # 9, Mexico's 521 or 52) is the same phone, which the profile holds.
            with contextlib.suppress(InvalidPhoneError):
                root = await self.profiles.lookup(phone_of_whatsapp_id(identity.value))
        if not root:
            raise ProfileNotFoundError(f"no profile with {identity.key}")
        return root

    async def refuse_erased(self, identity: Identity) -> None:
        """IdentityErasedError if ``identity`` (in any of its forms: a WhatsApp id is its
        phone) was an erased person's (PS-7)."""
        forms = with_its_phone([identity], identity)
        if identity.kind == "phone":
            forms.append(Identity("wa", identity.value.lstrip("+")))
        erased = await self.profiles.suppression.erased_at(forms)
        if erased:
            raise IdentityErasedError(identity, max(erased.values()))

    async def view(self, reference: str) -> dict[str, Any]:
        profile_id = await self.find(reference)
        profile = await self.profiles.get(profile_id)
        if profile.get("merged"):
            profile["refusals"] = await self._refusals_with_merged(profile)
        if reference.startswith("p_") and reference != profile_id:
            profile["requested"] = reference  # merged into this one since
        return profile

    async def _refusals_with_merged(self, profile: dict[str, Any]) -> list[dict[str, Any]]:
        """The refusals kept on ``profile`` and on every profile merged into it, however
        deep: the person's, newest first, as many as one profile shows. An erasure takes a
        refusal off the lists of both profiles it names, so none of another person's is
        read through a merge."""
        found, pending = {profile["id"]}, list(profile["merged"])
        refusals: dict[str, dict[str, Any]] = {}
        for refusal in profile["refusals"]:
            refusals.setdefault(compact_json(refusal), refusal)
        while pending and len(found) < 1000:
            merged = await asyncio.gather(*(self.profiles.get(p) for p in pending))
            found.update(pending)
            for refusal in (r for m in merged for r in m.get("refusals", [])):
                refusals.setdefault(compact_json(refusal), refusal)
            pending = [p for m in merged for p in m.get("merged", []) if p not in found]
        newest = sorted(refusals.values(), key=lambda r: -float(r.get("at") or 0))
        return newest[:SHOWN_REFUSALS]

    async def merge(self, first: str, second: str) -> Merge | Refusal | None:
        """Merge two profiles (the older survives); tells every service (PS-2)."""
        a, b = await self.find(first), await self.find(second)
        try:
            result = await self.profiles.merge(a, b)
        except LookupError as error:  # one was erased meanwhile: say so, as a lookup would
            await self.find(first)
            await self.find(second)
            raise ProfileNotFoundError(str(error)) from None
        if isinstance(result, Merge):
            # Merged, a retry finds one profile and tells nothing: told now, over an outage.
            event = merged_event(result)
            await _outlasting(lambda: self.publish([event]))
        return result

    async def convert(self, reference: str) -> dict[str, Any]:
        """A lead becomes a contact; its identities, and so its messages, stay with it."""
        profile_id = await self.find(reference)
        if not await self.profiles.update(profile_id, {"stage": "contact"}):
            raise ProfileNotFoundError(f"no profile {reference}")
        return await self.profiles.get(profile_id)

    async def set_consent(self, reference: str, basis: str, source: str) -> dict[str, Any]:
        """Record the profile's lawful basis for marketing (``consent``, ``contract``,
        ``legitimate_interest``, or ``none``), who set it and when; the profile after."""
        check_lawful_basis(basis)
        profile_id = await self.find(reference)
        values = {"f:consent": basis} | consent_trail(source, time.time(), overwrite=False)
        if not await self.profiles.update(profile_id, values):
            raise ProfileNotFoundError(f"no profile {reference}")
        return await self.profiles.get(profile_id)

    async def erase(self, reference: str) -> dict[str, Any]:
        """Erase a person (PS-7): fields, identity index entries, visitor data and the
        content of their conversations, in the timeline and in the events still queued
        for services. Suppression entries come first, so a message in flight from them is
        dropped rather than re-creating the profile."""
        root = await self.find(reference)
        for _ in range(MAX_TRIES):
            every = await self.with_merged(root)
            # Held against a merge of any of them meanwhile, in any process: one that got
            # in between would carry the erased person's identities onto its survivor.
            async with self.profiles.holding(every):
                now_root = await self.find(reference)
                if now_root == root and await self.with_merged(root) == every:
                    return await self._erase(root, every)
            root = now_root  # merged (or into) meanwhile: the whole person now
        raise TimeoutError(f"{reference} kept being merged while being erased")

    async def _erase(self, root: str, every: list[str]) -> dict[str, Any]:
        """Erase ``root`` and the profiles merged into it, ``every`` of them."""
        stored = {profile_id: await self.profiles.get(profile_id) for profile_id in every}
        identities = sorted(
            {Identity.parse(key) for profile in stored.values() for key in profile["identities"]},
            key=lambda identity: identity.key,
        )
        conversations = sorted({c for p in stored.values() for c in p["conversations"]})
        now = time.time()
        await self.profiles.suppress(identities, every, now)
        erased_messages = 0
        files: list[str] = []
        releases: list[Event] = []
        for conversation_id in conversations:
            erased = await self.conversations.erase_content(conversation_id)
            erased_messages += erased.messages
            files += erased.files
            if erased.ended is not None:  # the services would show its holder still
                releases.append(_released(conversation_id, erased.number, erased.ended))
        if self.forget_media is not None:
            await self.forget_media(files)
        visitors = [i.value for i in identities if i.kind == "vid"]
        for profile_id in every:
            await self.activity.erase(visitors, profile_id)
        if self.forget_campaigns:
            keys = {identity.key for identity in identities}
            marks = _marks(identities)
            await self.forget_campaigns(every, lambda entry: self._names(entry, keys, marks))
        if self.forget_enrolments is not None:
            await self.forget_enrolments(every, identities, conversations)
        begun = await self.profiles.mark_erased(every, now)
        # Marked erased, a retry of the erasure is refused (410): what follows is done now,
        # over a short outage (a Redis restart), or the services never hear of it.
        for conversation_id in sorted(begun - set(conversations)):
            # A message stitched to the person just before the suppression began a
            # conversation after the profiles were read: erased as the others were.
            messages, released = await self._erase_begun(conversation_id)
            erased_messages += messages
            releases += released
            conversations.append(conversation_id)
        if (forget_answers := self.forget_answers) is not None:
            # Kept by the ids they named, or by an identity a request's body named.
            subjects = every + conversations + [identity.key for identity in identities]
            await _outlasting(lambda: forget_answers(subjects))
        if (forget_queued := self.forget_queued) is not None:  # before profile.erased
            await _outlasting(lambda: forget_queued(every, conversations))
        event = Event.new(
            "profile.erased",
            "",
            {"profile": root, "erased": every, "erased_at": now},
            id=derived_id("evt", "erased", root),
        )
        await _outlasting(lambda: self.publish([*releases, event]))
        return {
            "profile": root,
            "erased": every,
            "identities": len(identities),
            "conversations": len(conversations),
            "messages": erased_messages,
            "erased_at": now,
        }

    async def _erase_late(self, profile_id: str, conversation_id: str) -> None:
        """A conversation recorded for ``profile_id`` after its erasure (its message was
        stitched to the person just before it): erased too, and the events queued about
        it stripped, as the erasure's own were."""
        log.info("a conversation begun as %s was erased is erased too", profile_id)
        _, releases = await self._erase_begun(conversation_id)
        if (forget_queued := self.forget_queued) is not None:
            await _outlasting(lambda: forget_queued([profile_id], [conversation_id]))
        if releases:
            await _outlasting(lambda: self.publish(releases))

    async def _erase_begun(self, conversation_id: str) -> tuple[int, list[Event]]:
        """Erase a conversation begun as its customer was being erased, over a short
        outage: (the messages erased, the release of its claim if it had one)."""
        erase = functools.partial(self.conversations.erase_content, conversation_id)
        erased = await retrying(erase, attempts=OUTAGE_ATTEMPTS, backoff=store_backoff)
        if self.forget_media is not None and erased.files:
            forget = functools.partial(self.forget_media, erased.files)
            await retrying(forget, attempts=OUTAGE_ATTEMPTS, backoff=store_backoff)
        if erased.ended is None:
            return erased.messages, []
        return erased.messages, [_released(conversation_id, erased.number, erased.ended)]

    def _names(self, entry: str, keys: set[str], marks: list[str]) -> bool:
        """Whether a campaign's audience entry (``p:<identity as written>``) is one of
        the identities ``keys``; one that bears none of their ``marks`` is not, read
        without parsing it (an erasure reads every pending campaign's audience)."""
        if not entry.startswith("p:") or entry.startswith("p:p_"):
            return False
        digits = "".join(c for c in entry if c.isdigit())
        lowered = entry.lower()
        if not any(mark in (digits if mark.isdigit() else lowered) for mark in marks):
            return False
        try:
            return parse_identity(entry[2:], self.region).key in keys
        except ValueError:
            return False

    async def shown_messages(self, reference: str, viewer: Service, numbers: set[str]) -> set[str]:
        """The ids of the profile's outbound messages whose content ``viewer`` sees: those
        of its ``numbers`` it does not mask (SN-3), as its notes and timelines show them."""
        root = await self.find(reference)
        return {
            str(message["id"])
            async for _, timeline in self._timelines(root, numbers)
            for message in timeline
            if message["direction"] == "outbound" and not hides(viewer, message)
        }

    async def _timelines(
        self, root: str, numbers: set[str] | None
    ) -> AsyncIterator[tuple[dict[str, str], list[dict[str, Any]]]]:
        """The meta and the timeline of each conversation of ``root`` (and of the profiles
        merged into it), only of ``numbers`` when given."""
        every = await self.with_merged(root)
        profiles = [await self.profiles.get(profile_id) for profile_id in every]
        for conversation_id in sorted({c for p in profiles for c in p["conversations"]}):
            meta = await self.conversations.meta(conversation_id)
            if numbers is not None and meta.get("number") not in numbers:
                continue
            yield meta, await self.conversations.timeline(conversation_id, MAX_NOTE_MESSAGES)

    async def with_merged(self, root: str) -> list[str]:
        """``root`` and every profile merged into it, however deep."""
        found, pending = [root], [root]
        while pending and len(found) < 1000:
            profiles = await asyncio.gather(*(self.profiles.get(p) for p in pending))
            pending = [m for profile in profiles for m in profile.get("merged", [])]
            found += [m for m in pending if m not in found]
        return found

    async def notes(
        self,
        reference: str,
        viewer: Service | None = None,
        day: str = "",
        numbers: set[str] | None = None,
    ) -> list[dict[str, Any]]:
        """One note per channel per day (PS-6), built from the profile's conversations
        (and those of profiles merged into it), masked for ``viewer`` like its timeline,
        and only from ``numbers`` when given (a service reads its numbers' messages).
        ValueError for a ``day`` that is not a real date in the notes' YYYY-MM-DD."""
        if day and not _a_day(day):
            raise ValueError("day is a date, YYYY-MM-DD")
        root = await self.find(reference)
        first = await self.profiles.get(root)
        person = first.get("name") or shown_person((first["identities"] or [""])[0])
        notes: dict[tuple[str, str], dict[str, Any]] = {}
        async for meta, timeline in self._timelines(root, numbers):
            channel = meta.get("channel", "web")
            for message in timeline:
                when = datetime.fromtimestamp(float(message["timestamp"]), self.zone)
                date = when.strftime("%Y-%m-%d")
                if day and date != day:
                    continue
                outbound = message["direction"] == "outbound" and not message.get("erased")
                if viewer and outbound and hides(viewer, message):
                    message = masked(message)
                note = notes.setdefault(
                    (date, channel),
                    {
                        "title": f"{CHANNEL_NAMES.get(channel, channel.title())} Chat with "
                        f"{person} ({when.strftime('%d/%m/%Y')})",
                        "channel": channel,
                        "date": date,
                        "messages": [],
                    },
                )
                note["messages"].append(_note_line(message, when, person))
        ordered = sorted(notes.values(), key=lambda note: (note["date"], note["channel"]))
        for note in ordered:
            note["messages"].sort(key=lambda line: line["timestamp"])
            lines = note["messages"]
            note["body"] = "\n".join(_body_line(m) for m in lines)
        return ordered


def _marks(identities: list[Identity]) -> list[str]:
    """What any way of writing each identity holds: a phone's last six digits (written
    with spaces, a trunk 0 or another of its forms, those stay), else its value."""
    return [
        identity.value[-6:] if identity.kind in ("phone", "wa") else identity.value.lower()
        for identity in identities
    ]


OUTAGE_ATTEMPTS = 5
"""Tries at a step that must follow a change made (an erasure's mark, a merge) while the
store is out of reach: their waits add up to about 8 s (a Redis restart), as a claim's
do."""


async def _outlasting(step: Callable[[], Awaitable[object]]) -> None:
    """``step`` (safe to redo), tried again while the store is briefly out of reach."""
    await retrying(step, attempts=OUTAGE_ATTEMPTS, backoff=store_backoff)


def _released(conversation_id: str, number: str, ended: Claim) -> Event:
    """``conversation.released`` of a claim an erasure ended: who held it, nothing of the
    customer."""
    data = {
        "conversation_id": conversation_id,
        "service": ended.service,
        "agent": ended.agent,
        "reason": "erased",
    }
    return Event.new("conversation.released", number, data)


def _body_line(line: dict[str, Any]) -> str:
    """A message as the note's text: ``HH:MM <from>: <text>``, each further line of its
    text indented, so that no line of a message reads as another message."""
    return f"{line['time']} {line['from']}: " + indented(line["text"])


def _note_line(message: dict[str, Any], when: datetime, person: str) -> dict[str, Any]:
    if message.get("erased"):
        text = "[erased]"
    elif message.get("masked"):
        text = "[reply sent]"
    elif not message.get("text") and isinstance(message.get("template"), dict):
        text = f"[template {message['template'].get('name', '')}]".replace(" ]", "]")
    else:
        text = message.get("text") or f"[{message.get('kind', 'message')}]"
    if message["direction"] == "inbound":
        author = person
    else:
        author = message.get("agent") or message.get("service") or "bot"
    return {
        "id": message["id"],
        "timestamp": float(message["timestamp"]),
        "time": when.strftime("%H:%M"),
        "direction": message["direction"],
        "from": author,
        "text": text,
    }


def _a_day(text: str) -> bool:
    """Whether ``text`` is a real date as notes file it: YYYY-MM-DD in ASCII digits
    (strptime also takes ``2026-1-5`` and digits of other scripts)."""
    if len(text) != 10 or not text.isascii():
        return False
    try:
        return datetime.strptime(text, "%Y-%m-%d").strftime("%Y-%m-%d") == text
    except ValueError:
        return False


def shown_person(identity: str) -> str:
    """Who a profile with no name is, in a note's title: its first identity as a person
    writes it (``+447700900123``, not ``phone:+447700900123``); a web visitor's id, the
    key to their chat, never."""
    kind, _, value = identity.partition(":")
    if kind == "vid" or not value:
        return "a web visitor" if kind == "vid" else "a customer"
    if kind == "wa":
        return f"+{value}"
    if kind == "tg":
        return f"Telegram user {value}"
    return value
