"""Who gets a notification, and why not (AU-4): each audience entry is decided once, as
queued, deferred by quiet hours, or skipped for one reason, in this order of precedence:
``suppressed``, ``invalid_number``, ``no_channel``, ``opted_out``, ``topic_conflict``,
``no_consent``, ``outside_window_no_template``, ``missing_variable``."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import phonenumbers

from bot.config.notifications import LAWFUL_BASES, NotificationSettings, RateCard
from bot.identities import InvalidIdentityError, InvalidPhoneError, parse_identity
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
    "topic_conflict",
    "no_consent",
    "outside_window_no_template",
    "missing_variable",
)
REACHES = {"whatsapp": ("wa", "phone"), "sms": ("phone",), "telegram": ("tg",), "web": ("vid",)}
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

    @property
    def state(self) -> str:
        if self.kind == "q":
            return f"q|{self.conversation}|{self.identity}|{self.profile}"
        if self.kind == "d":
            return f"d|{self.until!r}|{self.entry}"
        return f"s|{self.kind}"


@dataclass(slots=True)
class _Person:
    verdict: Verdict
    profile: dict[str, str]
    meta: dict[str, str]
    new_conversation: bool = False


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

    async def _resolve(self, spec: NotificationSpec, entries: list[str]) -> list[_Person]:
        conversations: dict[int, str] = {}
        profiles: dict[int, str] = {}
        identities: dict[int, Identity] = {}
        bad: set[int] = set()
        for n, entry in enumerate(entries):
            kind, _, value = entry.partition(":")
            if kind == "c":
                conversations[n] = value
            elif value.startswith("p_") and ":" not in value:
                profiles[n] = value
            else:
                try:
                    identities[n] = parse_identity(value, self.region)
                except (InvalidPhoneError, InvalidIdentityError):
                    bad.add(n)
        metas = dict(
            zip(
                conversations,
                await self.reader.conversations(list(conversations.values())),
                strict=True,
            )
        )
        owners = dict(
            zip(identities, await self.reader.owners(list(identities.values())), strict=True)
        )
        asked = {meta["profile"] for meta in metas.values() if meta.get("profile")}
        asked |= set(profiles.values()) | {owner for owner in owners.values() if owner}
        unowned = [identities[n] for n, owner in owners.items() if not owner]
        roots, erased_at = await self.reader.roots(asked, unowned)
        wanted = sorted({root for root in roots.values() if root})
        wanted += sorted({p for p in profiles.values() if not roots.get(p)})
        hashes = dict(zip(wanted, await self.reader.profiles_of(wanted), strict=True))

        people: list[_Person] = []
        for n, entry in enumerate(entries):
            verdict = Verdict(entry, key=f"x:{entry[2:]}")
            person = _Person(verdict, {}, {})
            people.append(person)
            if n in bad:
                verdict.kind = "invalid_number"
            elif n in conversations:
                meta = metas[n]
                verdict.key = conversations[n]
                person.meta = meta
                root = roots.get(meta.get("profile", ""), "")
                person.profile = hashes.get(root, {}) if root else {}
                verdict.profile = root
                if not meta or meta.get("number") != spec.number:
                    verdict.kind = "no_channel"
                elif meta.get("customer") == "erased":
                    verdict.kind = "suppressed"
                else:
                    verdict.conversation = conversations[n]
                    verdict.identity = meta["customer"]
            else:
                pid = profiles.get(n) or owners.get(n) or ""
                root = roots.get(pid, "") if pid else ""
                if root:
                    verdict.key, verdict.profile = f"p:{root}", root
                    person.profile = hashes.get(root, {})
                    self._target(spec, person, identities.get(n))
                elif n in identities and not pid:
                    identity = identities[n]
                    if identity in erased_at:
                        verdict.kind = "suppressed"
                    else:
                        self._target(spec, person, identity)
                elif hashes.get(pid, {}).get("erased_at"):
                    verdict.kind = "suppressed"
                else:
                    verdict.kind = "no_channel"  # a profile that does not exist
        targets = [
            p for p in people if p.verdict.conversation and not p.meta and not p.verdict.kind
        ]
        found = await self.reader.conversations([p.verdict.conversation for p in targets])
        for person, meta in zip(targets, found, strict=True):
            person.meta = meta
            person.new_conversation = not meta
            if meta.get("customer") == "erased":
                person.verdict.kind = "suppressed"
        return people

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
        verdict, profile, meta = person.verdict, person.profile, person.meta
        if spec.audience == "filter" and refilter:
            value = profile.get(f"f:{spec.filter_field}", profile.get(spec.filter_field))
            if value is None or value.strip().lower() != spec.filter_value.strip().lower():
                verdict.kind = ""
                return verdict
        if verdict.kind:
            return verdict
        country = ""
        if verdict.identity.startswith(("wa:", "phone:")):
            phone = verdict.identity.partition(":")[2]
            valid, country = phone_facts(phone if phone.startswith("+") else f"+{phone}")
            if person.new_conversation and not valid:
                verdict.kind = "invalid_number"
                return verdict
        verdict.country = country
        if meta.get("opted_out") == "1":
            verdict.kind = "opted_out"
            return verdict
        if spec.topic and spec.topic in topics_of(profile.get("f:topics_off", "")):
            verdict.kind = "topic_conflict"
            return verdict
        if spec.category == "marketing" and profile.get("f:consent", "") not in LAWFUL_BASES:
            verdict.kind = "no_consent"
            return verdict
        last_inbound = float(meta.get("last_inbound_at") or 0)
        in_window = bool(last_inbound) and now - last_inbound <= WINDOW_SECONDS
        use_template = spec.template is not None and (
            spec.channel == "whatsapp" and not (in_window and spec.text)
        )
        if spec.channel == "whatsapp" and not use_template and not in_window:
            verdict.kind = "outside_window_no_template"
            return verdict
        context = {"profile": _profile_context(verdict.profile, profile)}
        if use_template and spec.template is not None:
            values = [fill(variable, context) for variable in spec.template.variables]
            if any(missing for _, missing in values):
                verdict.kind = "missing_variable"
                return verdict
            filled = [text for text, _ in values]
            verdict.template = spec.template.graph_body(filled)
            verdict.text = f"[template {spec.template.name}] " + " | ".join(filled)
            free = spec.template.category == "utility" and in_window
            verdict.price = 0 if free else self.rate_card.price(country, spec.template.category)
        else:
            verdict.text, missing = fill(spec.text, context)
            if missing or not verdict.text.strip():
                verdict.kind = "missing_variable"
                return verdict
        quiet = self.settings.quiet_hours
        if spec.respect_quiet_hours and quiet is not None:
            zone = _zone(profile.get("f:timezone", "")) or _zone(self.settings.timezone)
            local = datetime.fromtimestamp(now, zone)
            if quiet.contains(local):
                verdict.kind, verdict.until = "d", quiet.ends_after(local).timestamp()
                return verdict
        verdict.kind = "q"
        return verdict


def topics_of(value: str) -> set[str]:
    """The topics of a profile's ``topics_off`` field (comma separated)."""
    return {topic for topic in value.replace(",", " ").split() if topic}


def _profile_context(profile_id: str, profile: dict[str, str]) -> dict[str, Any]:
    """``{profile.name}``, ``{profile.city}`` (a custom field), ``{profile.id}``."""
    context: dict[str, Any] = {f[2:]: v for f, v in profile.items() if f.startswith("f:")}
    for name in ("name", "stage", "owner", "source"):
        if profile.get(name):
            context[name] = profile[name]
    if profile_id:
        context["id"] = profile_id
    return context
