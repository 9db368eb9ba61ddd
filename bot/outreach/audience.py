"""Who gets a notification, and why not (AU-4): each audience entry is decided once, as
queued, deferred by quiet hours, or skipped for one reason, in this order of precedence:
``suppressed``, ``invalid_number``, ``no_channel``, ``opted_out``, ``blocked``,
``topic_conflict``, ``no_consent``, ``marketing_stopped``, ``outside_window_no_template``,
``missing_variable``."""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import phonenumbers
from phonenumbers import timezone as phone_timezones

from bot.config.notifications import LAWFUL_BASES, NotificationSettings, RateCard
from bot.core.sender import text_fits
from bot.identities import (
    InvalidIdentityError,
    InvalidPhoneError,
    parse_identity,
    phone_of_whatsapp_id,
)
from bot.model import Identity, conversation_id
from bot.outreach.spec import NotificationSpec
from handlers.workflows import fill
from stores.audience import AudienceReader
from stores.conversations import WINDOW_SECONDS

SKIP_REASONS = (
    "suppressed",
    "invalid_number",
    "no_channel",
    "opted_out",
    "blocked",
    "topic_conflict",
    "no_consent",
    "marketing_stopped",
    "outside_window_no_template",
    "missing_variable",
    "too_long",
    "superseded",
    "ended",
)
SUPERSEDED = "superseded"
"""A recipient a recurring notification's run deferred past quiet hours, whose next run
came meanwhile: that run decides for them, so that quiet hours send one, not a pile."""
ENDED_ENROLMENT = "ended"
"""A recipient of a drip step that quiet hours deferred, whose enrolment ended meanwhile
(a reply, an opt-out, a conversion, an unenrolment): no later step goes."""
SKIPPED = "skip:"
"""A frozen audience's entry the review skipped: ``skip:<reason>|<entry>``."""


def skipped_entry(reason: str, entry: str) -> str:
    """``entry`` as a frozen audience keeps one its review skipped for ``reason``."""
    return f"{SKIPPED}{reason}|{entry}"


REACHES = {
    "whatsapp": ("wa", "wauser", "phone"),
    "sms": ("phone",),
    "telegram": ("tg",),
    "web": ("vid",),
}
"""The identities a channel can reach a customer by; the first is its own."""
OPEN_TO_NEW = frozenset({"whatsapp", "sms"})
"""Channels where the business may write first (WhatsApp with templates)."""


@functools.lru_cache(maxsize=65536)
def phone_facts(e164: str) -> tuple[bool, str]:
    """(whether the phone is a valid number today, its country calling code)."""
    try:
        parsed = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return False, ""
    return phonenumbers.is_valid_number(parsed), str(parsed.country_code)


@functools.lru_cache(maxsize=256)
def _zone(name: str) -> ZoneInfo | None:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None


def _phone_zone(identity: str, now: float) -> ZoneInfo | None:
    """The time zone of a WhatsApp or phone identity's number, where the number names
    zones that all show one time at ``now`` (a US area code's, London's and the Channel
    Islands'); None for several clocks (Australia's mobiles), an unknown one, or no
    phone."""
    if not identity.startswith(("wa:", "phone:")):
        return None
    phone = identity.partition(":")[2]
    try:
        number = phonenumbers.parse(phone if phone.startswith("+") else f"+{phone}")
    except phonenumbers.NumberParseException:
        return None
    names = tuple(phone_timezones.time_zones_for_number(number))
    return _one_clock(names, int(now // 3600))


@functools.lru_cache(maxsize=1024)
def _one_clock(names: tuple[str, ...], hour: int) -> ZoneInfo | None:
    """The first of the zones ``names`` when they all show one time in the hour ``hour``
    (since the epoch; a daylight-saving change may part them), else None."""
    zones = [_zone(name) for name in names]
    if not zones or any(zone is None for zone in zones):
        return None  # "Etc/Unknown" is no zone
    moment = datetime.fromtimestamp(hour * 3600, UTC)
    offsets = {moment.astimezone(zone).utcoffset() for zone in zones if zone is not None}
    return zones[0] if len(offsets) == 1 else None


@dataclass(slots=True)
class Verdict:
    """What becomes of one audience entry."""

    entry: str
    key: str = ""
    """The recipient: its conversation, else ``p:<profile>``, else ``x:<entry>``."""
    kind: str = ""
    """``q`` queued, ``d`` deferred, a skip reason, or '' (not in the segment)."""
    until: float = 0.0
    conversation: str = ""
    identity: str = ""
    profile: str = ""
    text: str = ""
    template: dict[str, Any] | None = None
    """The Cloud API template body when a template goes; None for a text."""
    price: int = 0
    country: str = ""
    category: str = ""
    """The category Meta bills the template as (``authentication-international``...)."""
    rates: dict[str, int] = field(default_factory=dict)
    """The country's prices per category (``RateCard.rates_of``), for the ledger."""
    consent: str = ""
    """The recipient's lawful basis for marketing, as their profile records it."""

    @property
    def state(self) -> str:
        if self.kind == "q":
            return f"q|{self.conversation}|{self.identity}|{self.profile}"
        if self.kind == "d":
            return f"d|{self.until!r}|{self.entry}"
        if self.kind == "suppressed" or not (self.identity or self.profile):
            return f"s|{self.kind}"  # an erased identity is never kept, even in a skip
        # Whom a skip would have gone to, as its conversation may never have begun: their
        # profile, or the identity of nobody known (a profile's erasure finds the
        # campaigns it names, and would have to find its identities in their skips).
        return f"s|{self.kind}|{'' if self.profile else self.identity}|{self.profile}"


@dataclass(slots=True)
class _Person:
    verdict: Verdict
    profile: dict[str, str]
    meta: dict[str, str]
    new_conversation: bool = False


@dataclass(slots=True)
class _Named:
    """A batch's entries by what each names, keyed by its place in the batch."""

    conversations: dict[int, str] = field(default_factory=dict)
    profiles: dict[int, str] = field(default_factory=dict)
    identities: dict[int, Identity] = field(default_factory=dict)
    bad: set[int] = field(default_factory=set)
    """Entries whose identity does not parse."""


@dataclass(slots=True)
class _Known:
    """What the store holds about a batch's entries."""

    metas: dict[int, dict[str, str]]
    """Each conversation entry's conversation (empty when there is none)."""
    owners: dict[int, str | None]
    """Each identity entry's profile, if it has one."""
    held_as: dict[int, Identity]
    """Identity entries whose profile holds them in another form: that form."""
    roots: dict[str, str]
    """Each profile asked about, followed through merges to the one it lives on."""
    erased_at: dict[Identity, float]
    """Unowned identities that were erased, and when."""
    hashes: dict[str, dict[str, str]]
    """The profiles, by id."""


class Audience:
    """Decides about batches of entries against the store as it is now."""

    def __init__(
        self,
        reader: AudienceReader,
        settings: NotificationSettings,
        rate_card: RateCard,
        region: str,
    ) -> None:
        self.reader = reader
        self.settings = settings
        self.rate_card = rate_card
        self.region = region

    async def decide(
        self, spec: NotificationSpec, entries: list[str], now: float, *, refilter: bool = True
    ) -> list[Verdict]:
        """A verdict per entry, in order; five round trips per batch. Without
        ``refilter`` a filter is not applied again (the recipient is in the segment)."""
        people = await self._resolve(spec, entries)
        return [self._judge(spec, person, now, refilter) for person in people]

    async def decide_frozen(
        self, spec: NotificationSpec, entries: list[str], now: float
    ) -> list[Verdict]:
        """A verdict per entry of a reviewed draft's frozen audience: the eligible decided
        again (an opt-out since is honoured), the review's skips kept as it gave them, so
        the send goes to no one the review left out."""
        plain = [
            entry.partition("|")[2] if entry.startswith(SKIPPED) else entry for entry in entries
        ]
        verdicts = await self.decide(spec, plain, now, refilter=False)
        for n, entry in enumerate(entries):
            if entry.startswith(SKIPPED):
                reason = entry[len(SKIPPED) :].partition("|")[0]
                verdicts[n] = replace(verdicts[n], kind=reason, until=0.0)
        return verdicts

    async def _resolve(self, spec: NotificationSpec, entries: list[str]) -> list[_Person]:
        named = self._name_entries(entries)
        known = await self._look_up(named)
        people = [self._person(spec, n, entry, named, known) for n, entry in enumerate(entries)]
        await self._read_targeted_conversations(people)
        return people

    def _name_entries(self, entries: list[str]) -> _Named:
        named = _Named()
        for n, entry in enumerate(entries):
            kind, _, value = entry.partition(":")
            if kind == "c":
                named.conversations[n] = value
            elif value.startswith("p_") and ":" not in value:
                named.profiles[n] = value
            else:
                try:
                    named.identities[n] = parse_identity(value, self.region)
                except (InvalidPhoneError, InvalidIdentityError):
                    named.bad.add(n)
        return named

    async def _look_up(self, named: _Named) -> _Known:
        """Four round trips: conversations, identities' owners, merge roots, profiles."""
        conversations, identities = named.conversations, named.identities
        metas = dict(
            zip(
                conversations,
                await self.reader.conversations(list(conversations.values())),
                strict=True,
            )
        )
        # A WhatsApp id not held as written is looked up by the phone it is, in the same
        # read: Brazil's ids with or without the mobile 9, Mexico's 521 or 52, are one phone.
        phones = {n: phone for n, i in identities.items() if (phone := _phone_of(i))}
        found = await self.reader.owners([*identities.values(), *phones.values()])
        owners = dict(zip(identities, found[: len(identities)], strict=True))
        held_as: dict[int, Identity] = {}
        for (n, phone), owner in zip(phones.items(), found[len(identities) :], strict=True):
            if owner and not owners[n]:
                owners[n], held_as[n] = owner, phone
        asked = {meta["profile"] for meta in metas.values() if meta.get("profile")}
        asked |= set(named.profiles.values()) | {owner for owner in owners.values() if owner}
        unowned = [identities[n] for n, owner in owners.items() if not owner]
        roots, erased_at = await self.reader.roots(asked, unowned)
        wanted = sorted({root for root in roots.values() if root})
        wanted += sorted({p for p in named.profiles.values() if not roots.get(p)})
        hashes = dict(zip(wanted, await self.reader.profiles_of(wanted), strict=True))
        return _Known(metas, owners, held_as, roots, erased_at, hashes)

    def _person(
        self, spec: NotificationSpec, n: int, entry: str, named: _Named, known: _Known
    ) -> _Person:
        person = _Person(Verdict(entry, key=f"x:{entry[2:]}"), {}, {})
        if n in named.bad:
            person.verdict.kind = "invalid_number"
        elif n in named.conversations:
            _by_conversation(spec, person, named.conversations[n], known.metas[n], known)
        else:
            pid = named.profiles.get(n) or known.owners.get(n) or ""
            identity = known.held_as.get(n) or named.identities.get(n)
            self._by_profile_or_identity(spec, person, pid, identity, known)
        return person

    def _by_profile_or_identity(
        self,
        spec: NotificationSpec,
        person: _Person,
        pid: str,
        identity: Identity | None,
        known: _Known,
    ) -> None:
        """An entry naming a profile, or an identity (``pid`` is then its owner, if any)."""
        verdict = person.verdict
        root = known.roots.get(pid, "") if pid else ""
        if root:
            verdict.key, verdict.profile = f"p:{root}", root
            person.profile = known.hashes.get(root, {})
            self._target(spec, person, identity)
        elif identity is not None and not pid:
            if identity in known.erased_at:
                # Under its digest, as the suppression keeps it: never the erased identity.
                verdict.kind, verdict.key = "suppressed", f"x:{self.reader.suppressed_as(identity)}"
            else:
                self._target(spec, person, identity)
        elif known.hashes.get(pid, {}).get("erased_at"):
            verdict.kind = "suppressed"
        else:
            verdict.kind = "no_channel"  # a profile that does not exist

    async def _read_targeted_conversations(self, people: list[_Person]) -> None:
        """The fifth round trip: the conversations ``_target`` picked, which may be new."""
        targets = [
            p for p in people if p.verdict.conversation and not p.meta and not p.verdict.kind
        ]
        found = await self.reader.conversations([p.verdict.conversation for p in targets])
        for person, meta in zip(targets, found, strict=True):
            person.meta = meta
            person.new_conversation = not meta
            if meta.get("customer") == "erased":
                person.verdict.kind = "suppressed"

    def _target(self, spec: NotificationSpec, person: _Person, asked: Identity | None) -> None:
        """Pick the identity the number reaches the person by: an existing conversation
        first, then an identity the channel may write to first."""
        verdict, profile = person.verdict, person.profile
        kinds = REACHES.get(spec.channel, ())
        known = [Identity.parse(f[2:]) for f in sorted(profile) if f.startswith("i:")]
        if asked is not None and asked not in known:
            known.insert(0, asked)
        candidates = []
        for identity in known:
            if identity.kind not in kinds:
                continue
            if spec.channel == "whatsapp" and identity.kind == "phone":
                identity = Identity("wa", identity.value.lstrip("+"))
            cid = conversation_id(spec.number, identity)
            candidates.append((f"c:{cid}" not in profile, identity.kind != kinds[0], cid, identity))
        if not candidates:
            verdict.kind = "no_channel"
            return
        missing, _, cid, identity = min(candidates, key=lambda c: c[:3])
        if missing and spec.channel not in OPEN_TO_NEW:
            verdict.kind = "no_channel"  # a bot cannot write first on Telegram or the web
            return
        verdict.key, verdict.conversation, verdict.identity = cid, cid, identity.key

    def _judge(
        self, spec: NotificationSpec, person: _Person, now: float, refilter: bool
    ) -> Verdict:
        """Decide about one person: the first skip reason that applies, in the order of
        SKIP_REASONS, else queued now or deferred past quiet hours."""
        verdict = person.verdict
        if spec.audience == "filter" and refilter and not _in_filter(spec, person.profile):
            verdict.kind = ""
            return verdict
        if verdict.kind:
            return verdict
        phone = _phone_facts_of(verdict.identity)
        if phone is not None and person.new_conversation and not phone[0]:
            verdict.kind = "invalid_number"
            return verdict
        verdict.country = phone[1] if phone is not None else ""
        verdict.consent = person.profile.get("f:consent", "")
        reason = _lacking_consent(spec, person) or self._compose(spec, person, now)
        if reason:
            verdict.kind = reason
            return verdict
        until = self._quiet_until(spec, person.profile, now, verdict.identity)
        if until is None:
            verdict.kind = "q"
        else:
            verdict.kind, verdict.until = "d", until
        return verdict

    def _compose(self, spec: NotificationSpec, person: _Person, now: float) -> str:
        """Fill the verdict's text, and its template and price when a template goes; the
        skip reason when nothing can be sent."""
        verdict, profile = person.verdict, person.profile
        last_inbound = float(person.meta.get("last_inbound_at") or 0)
        in_window = bool(last_inbound) and now - last_inbound <= WINDOW_SECONDS
        use_template = spec.template is not None and (
            spec.channel == "whatsapp" and not (in_window and spec.text)
        )
        if spec.channel == "whatsapp" and not use_template and not in_window:
            return "outside_window_no_template"
        context = {"profile": _profile_context(verdict.profile, profile)}
        if use_template and spec.template is not None:
            values = [fill(variable, context) for variable in spec.template.variables]
            if any(missing for _, missing in values):
                return "missing_variable"
            filled = [text for text, _ in values]
            verdict.template = spec.template.graph_body(filled)
            verdict.text = f"[template {spec.template.name}] " + " | ".join(filled)
            # "Utility templates delivered within an open customer service window are
            # free" (Meta's pricing page). Should Meta bill them after all (a change
            # reported for 1 October 2026, not on that page), the pricing object of the
            # receipt bills them and records the disagreement.
            free = _in_free_entry_point(person.meta, now) or (
                spec.template.category == "utility" and in_window
            )
            category = spec.template.category
            verdict.category = self.rate_card.category_of(verdict.country, category)
            verdict.rates = self.rate_card.rates_of(verdict.country)
            verdict.price = 0 if free else self.rate_card.price(verdict.country, category)
        else:
            verdict.text, missing = fill(spec.text, context)
            if missing or not verdict.text.strip():
                return "missing_variable"
            if not text_fits(spec.channel, verdict.text):
                # A profile's field made it longer than the channel takes (4,096 characters;
                # an SMS 1,600): the provider would refuse it.
                return "too_long"
        return ""

    def _quiet_until(
        self, spec: NotificationSpec, profile: dict[str, str], now: float, identity: str = ""
    ) -> float | None:
        """When the recipient's quiet hours end, if ``now`` is in them and they count: on
        the clock of the profile's ``timezone``, else of their phone's (a country's or a
        US area code's, where all its zones show one time), else ``notifications.timezone``."""
        quiet = self.settings.quiet_hours
        if not spec.respect_quiet_hours or quiet is None:
            return None
        zone = (
            _zone(profile.get("f:timezone", ""))
            or _phone_zone(identity, now)
            or _zone(self.settings.timezone)
        )
        local = datetime.fromtimestamp(now, zone)
        return quiet.ends_after(local).timestamp() if quiet.contains(local) else None


def _by_conversation(
    spec: NotificationSpec, person: _Person, cid: str, meta: dict[str, str], known: _Known
) -> None:
    """An entry naming a conversation: reachable if it is on the notification's number."""
    verdict = person.verdict
    person.meta = meta
    root = known.roots.get(meta.get("profile", ""), "")
    person.profile = known.hashes.get(root, {}) if root else {}
    verdict.profile = root
    # One person is one recipient, however many conversations of theirs the audience has
    # (two WhatsApp ids of one customer): the first reaches them, the others are them.
    verdict.key = f"p:{root}" if root else cid
    if not meta or meta.get("number") != spec.number:
        verdict.kind = "no_channel"
    elif meta.get("customer") == "erased":
        verdict.kind = "suppressed"
    else:
        verdict.conversation = cid
        verdict.identity = meta["customer"]


ENTRY_POINT_ANSWER, ENTRY_POINT_WINDOW = 24 * 3600, 72 * 3600


def _in_free_entry_point(meta: dict[str, str], now: float) -> bool:
    """Whether a message sent ``now`` is free as part of a free entry point window.

    Meta's pricing page (https://developers.facebook.com/documentation/business-messaging/whatsapp/pricing):
    "All messages are free for 72 hours, including template messages, if sent within an
    open free entry point window"; the window opens when "a user messages a business
    from an ad that clicks to WhatsApp or a Facebook Page action button, and the
    business responds within 24 hours". The conversation keeps when the customer wrote
    from one (``referral_at``) and until when the window the business's answer opened
    lasts (``free_until``); a send within 24 hours of the ad's message is that answer.
    """
    if now < float(meta.get("free_until") or 0):
        return True
    referral_at = float(meta.get("referral_at") or 0)
    opened = float(meta.get("entry_point_opened_at") or 0)
    return opened < referral_at <= now <= referral_at + ENTRY_POINT_ANSWER


def _in_filter(spec: NotificationSpec, profile: dict[str, str]) -> bool:
    value = profile.get(f"f:{spec.filter_field}", profile.get(spec.filter_field))
    return value is not None and value.strip().lower() == spec.filter_value.strip().lower()


def _phone_of(identity: Identity) -> Identity | None:
    """The phone a WhatsApp id is; None for another identity, or an id that is no phone's."""
    if identity.kind != "wa":
        return None
    try:
        return phone_of_whatsapp_id(identity.value)
    except InvalidPhoneError:
        return None


def _phone_facts_of(identity: str) -> tuple[bool, str] | None:
    """``phone_facts`` of a WhatsApp or phone identity; None for any other."""
    if not identity.startswith(("wa:", "phone:")):
        return None
    phone = identity.partition(":")[2]
    return phone_facts(phone if phone.startswith("+") else f"+{phone}")


def _lacking_consent(spec: NotificationSpec, person: _Person) -> str:
    """Why the customer does not want this: opted out, the bot blocked, its topic turned
    off, no lawful basis for marketing, or marketing stopped on this number; '' when none
    of those."""
    if person.meta.get("opted_out") == "1":
        return "opted_out"
    if person.meta.get("blocked") == "1":
        return "blocked"  # the Telegram customer blocked the bot: Telegram would refuse it
    if spec.topic and spec.topic in topics_of(person.profile.get("f:topics_off", "")):
        return "topic_conflict"
    if spec.category == "marketing" and person.profile.get("f:consent", "") not in LAWFUL_BASES:
        return "no_consent"
    if spec.category == "marketing" and person.meta.get("marketing_off") == "1":
        return "marketing_stopped"  # "Stop promotions" in WhatsApp, for this number
    return ""


def topics_of(value: str) -> set[str]:
    """The topics of a profile's ``topics_off`` field (comma separated; any case, or ``;``
    between them, as a field written by hand may have them)."""
    return {topic for topic in re.split(r"[,;\s]+", value.lower()) if topic}


def _profile_context(profile_id: str, profile: dict[str, str]) -> dict[str, Any]:
    """``{profile.name}``, ``{profile.city}`` (a custom field), ``{profile.id}``."""
    context: dict[str, Any] = {f[2:]: v for f, v in profile.items() if f.startswith("f:")}
    for name in ("name", "stage", "owner", "source"):
        if profile.get(name):
            context[name] = profile[name]
    if profile_id:
        context["id"] = profile_id
    return context
