"""A campaign drafted, reviewed, tested and sent (AU-4): the review decides the audience
as a send would and freezes its decisions in one step with its status; the send goes to
exactly the eligible, and its report counts the skipped as the review did; a test goes to
a few of the team's phones, marked and not counted."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any

from bot.config.notifications import MICROS, NotificationSettings, RateCard
from bot.config.settings import TeamMember
from bot.core.links import urls_in
from bot.core.sender import fits
from bot.model import Identity, Outbound, new_id
from bot.outreach.audience import SKIP_REASONS, Verdict, skipped_entry
from bot.outreach.campaigns import CampaignView, NoTeamPhoneError, shown_status, team_phones
from bot.outreach.runs import Runs
from bot.outreach.spec import NotificationSpec, first_run
from stores.campaigns import CampaignStore
from stores.notifications import NotificationStore

TEST_SEND = "tst_"
"""How a test send's id starts: it belongs to no run, and its template is billed to the
number alone."""

TEST_RECIPIENTS = 5
"""A test send goes to at most this many numbers."""


class NotificationStateError(ValueError):
    """The notification is not in a state that allows this (a send before a review)."""


@dataclass(frozen=True, slots=True)
class Created:
    """A notification stored and scheduled."""

    id: str
    status: str
    """``draft``, ``scheduled`` (for later) or ``sending`` (due now)."""
    first_run: float
    new: bool
    """False when it existed already (a workflow event posted twice)."""


def amount(micros: int) -> float:
    """Millionths of the currency as an amount, exactly as far as a float shows it."""
    return round(micros / MICROS, 6)


class Drafts:
    """The draft's steps of ``Notifications``, over what it holds."""

    store: NotificationStore
    campaigns: CampaignStore
    campaigns_view: CampaignView
    runs: Runs
    settings: NotificationSettings
    rate_card: RateCard
    team: tuple[TeamMember, ...]
    wake: Callable[[], None]

    async def spec(self, nid: str, numbers: list[str] | None = None) -> NotificationSpec:
        """The notification's definition, as ``Notifications.spec`` reads it."""
        raise NotImplementedError

    async def review(
        self, nid: str, numbers: list[str] | None = None, now: float | None = None
    ) -> dict[str, Any]:
        """Decide about a draft's audience as a send would, queueing nothing: recipients,
        the eligible, the skips by reason, the consent and the estimated cost. The
        eligible entries are kept (frozen) in one step with the review, and only while
        it is a draft: ``send`` evaluates exactly those. Once sent, the last review."""
        spec = await self.spec(nid, numbers)
        record = await self.store.record(nid)
        status = shown_status(record.get("status", ""))
        if status not in ("draft", "reviewed"):
            if record.get("review"):
                shown: dict[str, Any] = json.loads(record["review"])
                return shown | {"status": status}
            raise NotificationStateError(f"{nid} is {status}, not a draft")
        now = time.time() if now is None else now
        audience, frozen = self.campaigns.stage_key(nid), self.campaigns.stage_key(nid)
        try:
            tally = await self._decide_draft(nid, spec, audience, now)
            await self.campaigns.stage(frozen, tally.frozen)
            review = {
                "id": nid,
                "status": "reviewed",
                "reviewed_at": now,
                **spec.public(),
                **tally.shown(spec.topic),
                "consent": tally.consent(spec.category == "marketing"),
                "cost": {"currency": self.rate_card.currency, **tally.cost()},
            }
            refused = await self.campaigns.commit_review(nid, frozen, json.dumps(review), now)
        finally:
            await self.campaigns.drop(audience)
            await self.campaigns.drop(frozen)
        if refused:
            raise NotificationStateError(
                f"{nid} is {shown_status(refused)}: it goes to the audience its last review "
                "froze, and a review now would change nothing"
            )
        return review

    async def _decide_draft(
        self, nid: str, spec: NotificationSpec, staged: str, now: float
    ) -> _Review:
        """Each recipient of a draft decided once; a topic's, a filter's or a campaign
        response's audience is read into ``staged`` first, so that reviews at once each
        read their own."""
        if spec.listed:
            total = await self.store.listed_total(nid)
        elif spec.audience == "response":
            entries = await self.campaigns_view.response_entries(spec)
            await self.campaigns.stage(staged, entries)
            total = len(entries)
        else:
            conversations = self.store.keys.conversations(spec.number)
            total = await self.campaigns.stage_from(staged, conversations)
        tally = _Review()
        for start in range(0, total, self.settings.batch):
            if spec.listed:
                entries = await self.store.entries(nid, 0, True, start, self.settings.batch)
            else:
                entries = await self.campaigns.staged(staged, start, self.settings.batch)
            for verdict in await self.runs.audience.decide(spec, entries, now):
                tally.count(verdict)
        return tally

    async def send(
        self, nid: str, numbers: list[str] | None = None, now: float | None = None
    ) -> Created:
        """Schedule a reviewed draft's one run, over the audience frozen at its review.
        The status moves from ``reviewed`` in one step: of two sends at once, or a send
        and a review, one wins and the other is refused."""
        spec = await self.spec(nid, numbers)
        record = await self.store.record(nid)
        status = shown_status(record.get("status", ""))
        if status == "draft":
            raise NotificationStateError(f"review {nid} before sending it")
        if status != "reviewed":
            raise NotificationStateError(f"{nid} is {status or 'not a draft'}, not reviewed")
        now = time.time() if now is None else now
        first = max(first_run(spec, self.settings.timezone, now), now)
        status = "scheduled" if first > now + 1 else "sending"
        moved, before = await self.campaigns.transition(
            nid, ["reviewed"], status, frozen="1", next_at=repr(first)
        )
        if not moved:
            raise NotificationStateError(f"{nid} is {before or 'not a draft'}, not reviewed")
        record = await self.store.record(nid)
        run = int(float(record.get("reviewed_at") or json.loads(record["review"])["reviewed_at"]))
        await self.store.schedule(nid, run, first)
        await self.store.undraft(nid)  # on the schedule now, where an erasure finds it
        if status == "sending":
            self.wake()
        return Created(nid, status, first, True)

    def test_phones(self, members: Sequence[str], phones: Sequence[str]) -> list[str]:
        """The phones a test goes to: the team members named (by email or name), and
        ``phones`` as given; with neither, the team members who have a phone. ValueError
        when a member has none, or for more than five."""
        found = team_phones(self.team, members, TEST_RECIPIENTS) if members or not phones else []
        keys = list(dict.fromkeys([phone for _, phone in found] + list(phones)))
        if not keys:
            raise NoTeamPhoneError(
                "no team member has a phone in the config: name 'members' or give 'to'"
            )
        if len(keys) > TEST_RECIPIENTS:
            raise ValueError(f"a test goes to at most {TEST_RECIPIENTS} phone numbers")
        return keys

    async def test(
        self, nid: str, phones: list[str], numbers: list[str] | None = None
    ) -> list[dict[str, str]]:
        """Send the message as each of ``phones`` would get it (a text marked ``[test]``),
        decided as any recipient is; not counted or billed in the notification's report.
        What became of each: its send id, or the reason it was skipped."""
        spec = await self.spec(nid, numbers)
        if not 1 <= len(phones) <= TEST_RECIPIENTS:
            raise ValueError(f"a test goes to 1 to {TEST_RECIPIENTS} phone numbers")
        verdicts = await self.runs.audience.decide(
            spec, [f"p:{phone}" for phone in phones], time.time(), refilter=False
        )
        # The team's own phones need no lawful basis for marketing: the test of a
        # marketing campaign reaches them (an opt-out, the window and the rest still
        # hold). A number given with ``to`` is decided as any customer is.
        team = {f"phone:{member.phone}" for member in self.team if member.phone}
        if spec.category == "marketing" and team & set(phones):
            own = await self.runs.audience.decide(
                replace(spec, category="utility"),
                [f"p:{phone}" for phone in phones],
                time.time(),
                refilter=False,
            )
            verdicts = [
                mine if phone in team else theirs
                for phone, mine, theirs in zip(phones, own, verdicts, strict=True)
            ]
        answers = []
        async with self.runs.client.round_trip() as pipe:
            for phone, verdict in zip(phones, verdicts, strict=True):
                if verdict.kind not in ("q", "d"):
                    answers.append({"to": phone, "skipped": verdict.kind or "no_channel"})
                    continue
                send_id = new_id(TEST_SEND.rstrip("_"))
                outbound = Outbound(
                    send_id=send_id,
                    conversation_id=verdict.conversation,
                    channel=spec.channel,
                    number=spec.number,
                    recipient=Identity.parse(verdict.identity),
                    text=verdict.text if verdict.template else f"[test] {verdict.text}",
                    service=spec.service,
                    template=verdict.template,
                    profile=verdict.profile,
                    tracked=tuple(urls_in(spec.text)),  # as the campaign's own sends
                )
                if not fits(outbound, outbound.text):  # marked, it would be too long to go
                    outbound = replace(outbound, text=verdict.text)
                self.runs.sender.queue(pipe, outbound, self.runs.shard_of(verdict.conversation))
                # Meta bills a test's template as any other: the number, not the campaign.
                self.runs.queue_price(pipe, spec, send_id, verdict)
                answers.append({"to": phone, "id": send_id})
            await pipe.execute()
        return answers


class _Review:
    """A draft's audience decided: each recipient once (the first entry naming them), as
    a send's run counts them."""

    def __init__(self) -> None:
        self.seen: set[str] = set()
        self.eligible: list[str] = []
        self.frozen: list[str] = []
        """Every recipient decided, in order: the eligible, and the skipped with their
        reason (``skipped_entry``), so that the send's report counts and lists them too."""
        self.deferred = 0
        self.skipped = dict.fromkeys(SKIP_REASONS, 0)
        self.by_category: dict[str, list[int]] = {}
        self.by_country: dict[str, int] = {}
        self.bases: dict[str, int] = {}

    def count(self, verdict: Verdict) -> None:
        if not verdict.kind or verdict.key in self.seen:
            return  # outside the filter, or a recipient decided already
        self.seen.add(verdict.key)
        if verdict.kind not in ("q", "d"):
            self.skipped[verdict.kind] += 1
            self.frozen.append(skipped_entry(verdict.kind, verdict.entry))
            return
        basis = verdict.consent or "none"
        self.bases[basis] = self.bases.get(basis, 0) + 1
        self.eligible.append(verdict.entry)
        self.frozen.append(verdict.entry)
        self.deferred += verdict.kind == "d"
        if verdict.template is not None:
            priced = self.by_category.setdefault(verdict.category or "template", [0, 0])
            priced[0] += verdict.price
            priced[1] += 1
            country = verdict.country or "unknown"
            self.by_country[country] = self.by_country.get(country, 0) + verdict.price

    def shown(self, topic: str) -> dict[str, Any]:
        return {
            "recipients": len(self.seen),
            "eligible": len(self.eligible),
            "deferred": self.deferred,
            "skipped": self.skipped,
            "topic_conflicts": {topic: self.skipped["topic_conflict"]} if topic else {},
        }

    def consent(self, required: bool) -> dict[str, Any]:
        """The eligible by lawful basis (``none`` for those without one), and those
        skipped for the lack of one when the campaign needs it (marketing)."""
        return {
            "required": required,
            "by_basis": dict(sorted(self.bases.items())),
            "no_consent": self.skipped["no_consent"],
        }

    def cost(self) -> dict[str, Any]:
        return {
            "amount": amount(sum(price for price, _ in self.by_category.values())),
            "by_category": {
                category: {"amount": amount(price), "messages": messages}
                for category, (price, messages) in sorted(self.by_category.items())
            },
            "by_country": {cc: amount(price) for cc, price in sorted(self.by_country.items())},
        }
