"""Notifications as the API, the team and the CLI use them (AU-4, AU-5): create, report,
cancel, per-number statistics and customers' topics; and the hook that counts each
send's outcome and delivery receipts, and bills delivered templates."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from typing import Any, Protocol

from bot.config.notifications import NotificationSettings, RateCard
from bot.config.settings import TeamMember
from bot.model import Pricing, new_id
from bot.outreach.audience import SKIP_REASONS, phone_facts, topics_of
from bot.outreach.campaigns import (
    CANCELLABLE,
    CampaignView,
    CancelRefusedError,
    shown_status,
)
from bot.outreach.drafts import TEST_SEND, Created, Drafts, amount
from bot.outreach.runs import ENDED, Runs, parse_send_id, send_id_of
from bot.outreach.spec import NotificationSpec, first_run
from stores.audience import AudienceReader
from stores.campaigns import CampaignStore
from stores.costs import CostLedger
from stores.notifications import NotificationStore
from stores.redis import Pipe

COUNTS = ("recipients", "queued", "sent", "delivered", "read", "failed", "withdrawn", "deferred")
"""A run's counts; ``withdrawn``: queued, and not made as its campaign was stopped."""
ENGAGEMENT_SECONDS = 10.0
"""How long a run's click and unsubscribe counts are reused before they are read again."""
SENT = frozenset({"sent", "delivered", "read"})


class ProfileFinder(Protocol):
    """Finds the live profile of an id or identity (``bot.core.profiles.ProfileBook``)."""

    async def find(self, reference: str) -> str: ...


class NotificationNotFoundError(LookupError):
    """No notification with that id (or not on the caller's numbers)."""


class Notifications(Drafts):
    """The operations on notifications, over the store, the runs and the ledger."""

    def __init__(
        self,
        store: NotificationStore,
        runs: Runs,
        ledger: CostLedger,
        reader: AudienceReader,
        settings: NotificationSettings,
        rate_card: RateCard,
        wake: Callable[[], None] = lambda: None,
        campaigns: CampaignStore | None = None,
        team: Sequence[TeamMember] = (),
    ) -> None:
        self.store = store
        self.team = tuple(team)
        """The team members, whose phones a test goes to."""
        self.campaigns = campaigns or CampaignStore(store.redis, store.keys)
        self.campaigns_view = CampaignView(self.store, self.campaigns, reader)
        self.runs = runs
        self.ledger = ledger
        self.reader = reader
        self.settings = settings
        self.rate_card = rate_card
        self.wake = wake
        """Tells this process's scheduler that something is due now."""

    async def create(
        self,
        spec: NotificationSpec,
        entries: list[str],
        *,
        nid: str = "",
        hold: float = 0.0,
        now: float | None = None,
        draft: bool = False,
        origin: str = "",
    ) -> Created:
        """Store and schedule a notification. ``hold`` keeps the scheduler off its first
        run for that long, while the caller runs it itself (the CLI, a workflow). A
        ``draft`` is stored and not scheduled: it is reviewed, then sent (``send``).
        ``origin``: what made it (a workflow event's fingerprint), kept in its record."""
        now = time.time() if now is None else now
        if spec.audience == "response":
            try:
                await self.spec(spec.response_campaign, [spec.number])
            except NotificationNotFoundError:
                raise ValueError(
                    f"audience.filter.campaign: no campaign {spec.response_campaign} on "
                    f"{spec.number}"
                ) from None
        nid = nid or new_id("ntf")
        first = first_run(spec, self.settings.timezone, now)
        status = "scheduled" if first > now + 1 else "sending"
        if draft:
            if spec.cron:
                raise ValueError("a draft is sent once: give 'at' or nothing, not 'cron'")
            record = {
                "id": nid,
                "number": spec.number,
                "service": spec.service,
                "status": "draft",
                "created_at": repr(now),
                "spec": spec.to_json(),
            }
            new = await self.store.create(nid, record, entries, due_at=None, run=int(first))
            return Created(nid, "draft", first, new)
        record = {
            "id": nid,
            "number": spec.number,
            "service": spec.service,
            "status": status,
            "created_at": repr(now),
            "next_at": repr(first),
            "spec": spec.to_json(),
        }
        if origin:
            record["origin"] = origin
        new = await self.store.create(nid, record, entries, due_at=first + hold, run=int(first))
        if new and status == "sending" and not hold:
            self.wake()
        return Created(nid, status, first, new)

    async def spec(self, nid: str, numbers: list[str] | None = None) -> NotificationSpec:
        """The notification's definition; NotificationNotFoundError unless it is on one
        of ``numbers`` (when given)."""
        record = await self.store.record(nid) if nid.startswith("ntf_") else {}
        if "spec" not in record or (numbers is not None and record["number"] not in numbers):
            raise NotificationNotFoundError(f"no notification {nid[:80]}")
        return NotificationSpec.from_json(record["spec"])

    async def clicked(self, send_id: str) -> None:
        """A tracked link of a send was followed: a campaign's recipient clicked."""
        parsed = parse_send_id(send_id)
        if parsed is not None:
            await self.campaigns.click(parsed[0], parsed[1], send_id, time.time())

    async def cancel(self, nid: str) -> None:
        """No further runs; a run in progress stops queueing at its next batch, and says
        ``cancelled`` (also one waiting for its deferred recipients). CancelRefusedError
        when it is sent or stopped already: its report keeps saying so."""
        moved, before = await self.campaigns.transition(nid, CANCELLABLE, "cancelled")
        if not moved:
            raise CancelRefusedError(f"{nid} is {shown_status(before)}: there is nothing to cancel")
        await self.campaigns_view.end_runs(nid, "cancelled", time.time())
        await self.store.undraft(nid)

    async def report(self, nid: str, numbers: list[str] | None = None) -> dict[str, Any]:
        """Counts per run and in total: every recipient once, as queued, deferred or
        skipped by reason, and each queued send as sent, failed or still in flight."""
        spec = await self.spec(nid, numbers)
        record = await self.store.record(nid)
        runs = await self.store.runs(nid)
        metas = await self.store.runs_meta([(nid, run) for run in runs])
        shown = []
        for run, meta in zip(runs, metas, strict=True):
            engaged = await self._engagement(nid, run, spec, meta)
            shown.append(
                {
                    "run": run,
                    "status": meta.get("status", "sending"),
                    "error": meta.get("error") if meta.get("status") == "failed" else None,
                    "started_at": float(meta.get("started_at", 0)) or None,
                    "finished_at": float(meta.get("finished_at", 0)) or None,
                    "deferred_until": _deferred_until(meta),
                    "progress": {
                        "evaluated": int(meta.get("cursor", 0)),
                        "audience": int(meta.get("total", 0)),
                    },
                    **_counted(meta, engaged),
                }
            )
        total: dict[str, Any] = {name: sum(r["counts"][name] for r in shown) for name in _NAMES}
        skipped = {reason: sum(r["skipped"][reason] for r in shown) for reason in SKIP_REASONS}
        cost = await self.ledger.notification_cost(spec.number, nid)
        status = shown_status(record.get("status", "scheduled"))
        next_at = _next_due(float(record.get("next_at", 0)) or None, runs, shown)
        return {
            "id": nid,
            "status": status,
            "created_at": float(record.get("created_at", 0)),
            "next_at": next_at if status in ("scheduled", "sending") else None,
            **spec.public(),
            "counts": total,
            "skipped": skipped,
            "cost": {"currency": self.rate_card.currency, "amount": amount(cost)},
            "runs": shown,
            "review": json.loads(record["review"]) if record.get("review") else None,
            "stop": _stop_of(record),
        }

    async def _engagement(
        self, nid: str, run: int, spec: NotificationSpec, meta: dict[str, str]
    ) -> tuple[int, int]:
        """(recipients who clicked a tracked link of their message, recipients sent it
        who have opted out or left its topic since); read again at most every 10 s. A
        click counts whatever the send's status says (a "failed" after the message was
        shown), as the recipients listed as clicked and a campaign response count it."""
        if time.time() - float(meta.get("engaged_at", 0)) < ENGAGEMENT_SECONDS:
            return int(meta.get("clicked", 0)), int(meta.get("unsubscribed", 0))
        statuses = await self.store.statuses(nid, run)
        queued = []
        for key, state in await self.store.recipients(nid, run):
            parts = state.split("|")
            send_id = send_id_of(nid, run, key)
            if parts[0] == "q" and len(parts) == 4:
                queued.append((key, parts[1], parts[3], statuses.get(send_id) in SENT))
        # The clicks the campaign noted as they came, as its recipients listed as clicked
        # are: a click kept on a profile merged into another since is still the click.
        clickers = await self.campaigns.members(nid, "clicked")
        clicked = sum(f"{run}|{key}" in clickers for key, _, _, _ in queued)
        roots, _ = await self.reader.roots({p for _, _, p, _ in queued if p}, [])
        pairs = [(cid, roots.get(pid, "")) for _, cid, pid, _ in queued]
        unsubscribed = 0
        for (_, _, _, sent), (conv, topics) in zip(
            queued, await self.reader.opt_outs(pairs), strict=True
        ):
            left = conv.get("opted_out") == "1" or (spec.topic and spec.topic in topics_of(topics))
            if sent and left:
                unsubscribed += 1
        await self.store.set_run(
            nid, run, clicked=clicked, unsubscribed=unsubscribed, engaged_at=time.time()
        )
        return clicked, unsubscribed

    async def stats(self, numbers: list[str]) -> list[dict[str, Any]]:
        """Per number: conversations, the notifications' counts summed, and the cost."""
        conversations = await self.reader.count_conversations(numbers)
        totals = await self.ledger.totals_of(numbers)
        found = []
        for number, count, ledger in zip(numbers, conversations, totals, strict=True):
            nids = await self.store.of_number(number)
            runs = await self.store.runs_of(nids)
            pairs = [(nid, run) for nid, each in zip(nids, runs, strict=True) for run in each]
            counts = dict.fromkeys(COUNTS, 0) | {"skipped": 0}
            for meta in await self.store.runs_meta(pairs):
                for name in COUNTS:
                    counts[name] += int(meta.get(name, 0))
                counts["skipped"] += sum(int(meta.get(f"skipped:{r}", 0)) for r in SKIP_REASONS)
            found.append(
                {
                    "number": number,
                    "conversations": count,
                    "notifications": len(nids),
                    "counts": counts,
                    "cost": self.cost_summary(number, ledger),
                }
            )
        return found

    def cost_summary(self, number: str, totals: dict[str, int]) -> dict[str, Any]:
        """The ledger of a number as the API shows it."""
        categories = sorted(
            {field.partition(":")[2] for field in totals if field.startswith("count:")}
        )
        return {
            "number": number,
            "currency": self.rate_card.currency,
            "total": amount(totals.get("total", 0)),
            "by_category": {
                category: {
                    "amount": amount(totals.get(f"cat:{category}", 0)),
                    "messages": totals.get(f"count:{category}", 0),
                    "free": totals.get(f"free:{category}", 0),
                }
                for category in categories
            },
            "by_country": {
                field[3:]: amount(value) for field, value in totals.items() if field[:3] == "cc:"
            },
            "by_notification": {
                field[4:]: amount(value) for field, value in totals.items() if field[:4] == "ntf:"
            },
            "disagreements": totals.get("disagreements", 0),
        }

    async def costs(self, number: str) -> dict[str, Any]:
        summary = self.cost_summary(number, await self.ledger.totals(number))
        return summary | {"pending": await self.ledger.pending(number)}

    async def set_topics(
        self, book: ProfileFinder, reference: str, off: list[str], on: list[str]
    ) -> tuple[str, list[str]]:
        """Unsubscribe a customer from topics (``off``) or back (``on``); (their profile,
        the topics they are unsubscribed from now). Raises what ``book.find`` raises."""
        for _ in range(3):  # a merge between finding and writing: find it again
            profile_id = await book.find(reference)
            topics = await self.reader.update_topics(profile_id, off, on)
            if topics is not None:
                return profile_id, topics
        raise LookupError(f"the profile of {reference[:80]} keeps changing; try again")


class SendOutcomes:
    """What became of a notification's sends, as its report counts them and the cost
    ledger bills them; the sender tells it (``bot.core.sender.SendOutcomes``)."""

    def __init__(
        self, store: NotificationStore, ledger: CostLedger, rate_card: RateCard | None = None
    ) -> None:
        self.store = store
        self.ledger = ledger
        self.rate_card = rate_card or RateCard()

    def queue_outcome(
        self,
        pipe: Pipe,
        number: str,
        send_id: str,
        status: str,
        pricing: Pricing | None = None,
        customer: str = "",
        code: str = "",
    ) -> None:
        """A send's outcome or delivery receipt, on the pipeline that records it: the
        notification's counters move (a failure keeps the provider's ``code``), and a
        delivered template is billed (as Meta's ``pricing`` says, when the receipt brought
        it). Any other send to ``customer``
        that Meta says it billed (a reply, a text) is billed at the rate card's rate."""
        parsed = parse_send_id(send_id)
        if parsed is not None:
            self.store.queue_status(pipe, parsed[0], parsed[1], send_id, status, code=code)
        elif (pricing is None or not pricing.billable) and not send_id.startswith(TEST_SEND):
            return  # neither a campaign's nor a test's, whose templates are noted
        unnoted = None
        if pricing is not None and pricing.billable and customer.startswith(("wa:", "phone:")):
            country = phone_facts("+" + customer.partition(":")[2].lstrip("+"))[1]
            unnoted = (country, self.rate_card.rates_of(country))
        self.ledger.queue_outcome(pipe, number, send_id, status, pricing, unnoted)

    def queue_ended(self, pipe: Pipe, send_id: str) -> bool:
        """Queue a read of the status of ``send_id``'s campaign; False for no campaign's."""
        parsed = parse_send_id(send_id)
        if parsed is None:
            return False
        self.store.queue_read_status(pipe, parsed[0])
        return True

    def ended(self, answer: Any) -> bool:
        """Whether the status ``queue_ended`` read is one that queues no one more."""
        return str(answer or "") in ENDED

    def campaign(self, send_id: str) -> str | None:
        """The notification ``send_id`` is a send of; None for any other send."""
        parsed = parse_send_id(send_id)
        return None if parsed is None else parsed[0]


_NAMES = (*COUNTS, "clicked", "unsubscribed", "in_flight")


def _stop_of(record: dict[str, str]) -> dict[str, Any] | None:
    """Who stopped a campaign, when and why; None unless it was stopped."""
    if record.get("status") != "stopped":
        return None
    return {
        "reason": record.get("stop_reason", ""),
        "by": record.get("stopped_by", ""),
        "at": float(record.get("stopped_at", 0)) or None,
    }


def _deferred_until(meta: dict[str, str]) -> float | None:
    """When the run's next deferred recipients may go, while some wait (none do in a
    stopped or cancelled run)."""
    if not int(meta.get("deferred", 0)) or meta.get("status") in ("stopped", "cancelled"):
        return None
    return float(meta.get("deferred_until", 0)) or None


def _counted(meta: dict[str, str], engaged: tuple[int, int]) -> dict[str, Any]:
    counts = {name: max(int(meta.get(name, 0)), 0) for name in COUNTS}
    counts["clicked"], counts["unsubscribed"] = engaged
    done = counts["sent"] + counts["failed"] + counts["withdrawn"]
    counts["in_flight"] = counts["queued"] - done
    skipped = {reason: int(meta.get(f"skipped:{reason}", 0)) for reason in SKIP_REASONS}
    return {"counts": counts, "skipped": skipped}


def _next_due(
    scheduled: float | None, runs: list[int], shown: list[dict[str, Any]]
) -> float | None:
    """When something of a notification is next due: the next run of its schedule (one
    already made is no longer due), or the end of the quiet hours a run's deferred
    recipients wait for, whichever comes first; None when nothing is."""
    if scheduled is not None and runs and int(scheduled) <= max(runs):
        scheduled = None  # its run was made: a one-off has no other
    due = [run["deferred_until"] for run in shown if run["deferred_until"]]
    if scheduled is not None:
        due.append(scheduled)
    return min(due, default=None)
