"""Running a notification (AU-4): one run per one-off, one per cron occurrence. A run takes
its audience in batches: it decides about each recipient, claims them (state and
counters in one script), then queues the sends through the outbox like any reply, so
channel rate limits and 429 backoff apply. Send ids derive from (notification, run,
recipient): a crash and a rerun never send twice (REL-3)."""

from __future__ import annotations

import hashlib
import logging
import math
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from bot.config.notifications import NotificationSettings
from bot.core.links import urls_in
from bot.core.sender import Sender
from bot.identities import with_its_phone
from bot.model import Identity, Outbound
from bot.outreach.audience import ENDED_ENROLMENT, SUPERSEDED, Audience, Verdict
from bot.outreach.cron import Cron
from bot.outreach.spec import RESPONSES, NotificationSpec
from stores.campaigns import CampaignStore
from stores.costs import CostLedger
from stores.leases import Leases
from stores.notifications import NotificationStore
from stores.profile_records import Sighting
from stores.profiles import ProfileStore
from stores.redis import Pipe, StoreClient

log = logging.getLogger(__name__)

RUN_FENCE_KEPT_MS = 7 * 24 * 3600 * 1000
"""How long a run's lease keeps its fencing count once let go."""
RUN_LEASE_MS = 15_000
ENDED = frozenset({"cancelled", "stopped"})
"""A campaign in these statuses queues no one more."""
ORPHAN_SECONDS = 120.0
"""A due run whose notification was never written (a crash while creating it) is dropped
after this long."""
AHEAD_SECONDS = 3.0
"""How far ahead of the number's rate a run queues its sends: a reply queued while a
campaign goes out waits behind that much of it in the outbox, at most."""
LEAST_AHEAD = 10
"""Sends a run may always have in flight, whatever the number's rate."""
PACE_SECONDS = 1.0
"""How long a run with its sends that far ahead waits before it queues more."""
MISSED_SECONDS = 60.0
"""A cron occurrence not started this long after its time fell while no process ran (a
running scheduler starts one within a second or two): it is not sent late."""


def send_id_of(nid: str, run: int, recipient: str) -> str:
    """``<notification>.<run>.<digest of the recipient>``: the same on every rerun."""
    digest = hashlib.blake2b(recipient.encode(), digest_size=8).hexdigest()
    return f"{nid}.{run}.{digest}"


def parse_send_id(send_id: str) -> tuple[str, int] | None:
    """(notification, run) of a notification's send id; None for any other send."""
    if not send_id.startswith("ntf_"):
        return None
    nid, _, rest = send_id.partition(".")
    run, _, digest = rest.partition(".")
    if not run.isdigit() or not digest:
        return None
    return nid, int(run)


@dataclass(slots=True)
class RunResult:
    """What one call of ``Runs.execute`` did."""

    sent: list[str] = field(default_factory=list)
    """Send ids queued by this call."""
    skipped: list[str] = field(default_factory=list)
    """The reason of each recipient this call skipped."""
    deferred: int = 0
    busy: bool = False
    """Another process holds the run (or took it over): nothing more was done here."""
    done: bool = False
    paced: bool = False
    """It stopped queueing a while, its sends far enough ahead of the number's rate: it is
    back on the schedule, due in a second, for the rest."""
    refused: str = ""
    """Why the run was set aside, before anything was sent or part way ('' when it was
    not): its service may not send on the number now (SN-6, SN-8)."""


Deferrals = Callable[[str, list[Verdict]], Awaitable[None]]
"""Told, for a notification, of the recipients deferred (each with its ``until``)."""
Ended = Callable[[str, list[Verdict]], Awaitable[set[int]]]
"""Which of a drip step's deferred recipients (their places) are no longer enrolled."""


OPERATORS = frozenset({"cli", "team"})
"""The services that stand for the operator (``admin notify``, the team chat's /notify):
their notifications are not a service's, and go on whichever service is the parent."""


class Runs:
    """Executes runs; any process may, one at a time per run (a lease with fencing)."""

    def __init__(
        self,
        store: NotificationStore,
        audience: Audience,
        sender: Sender,
        ledger: CostLedger,
        leases: Leases,
        profiles: ProfileStore,
        settings: NotificationSettings,
        shard_of: Callable[[str], int],
        client: StoreClient,
        campaigns: CampaignStore | None = None,
        parent_of: Callable[[str], Awaitable[str | None]] | None = None,
        owner_for: Callable[[str, str], str] | None = None,
        team_on: Callable[[str], Awaitable[bool]] | None = None,
        rate_of: Callable[[str], float | None] = lambda number: None,
    ) -> None:
        self.client = client
        """Round trips that carry several stores' commands."""
        self.rate_of = rate_of
        """The sends a second a number's channel takes (None: no limit of ours; 0: not
        known here, a process without the channel), which a run's queueing keeps a few
        seconds ahead of (``AHEAD_SECONDS``; at least ``LEAST_AHEAD``)."""
        self.team_on = team_on
        """Whether the team works a number now: the operator's notifications (the team
        chat's /notify, ``admin notify``) go on the numbers it is attached to."""
        self.owner_for = owner_for
        """The owner of a profile made for a conversation on a number (PS-5)."""
        self.parent_of = parent_of
        """The parent service of a number now, None with none attached (SN-6, SN-8)."""
        self.campaigns = campaigns or CampaignStore(store.redis, store.keys)
        """Which profiles each campaign was queued to."""
        self.store = store
        self.audience = audience
        self.sender = sender
        self.ledger = ledger
        self.leases = leases
        self.profiles = profiles
        self.settings = settings
        self.shard_of = shard_of
        self.zone = ZoneInfo(settings.timezone)
        self.on_deferred: Deferrals | None = None
        """Told of the recipients of a drip step that quiet hours deferred (the sequences:
        the next step waits from when this one goes, not from when it was claimed)."""
        self.ended: Ended | None = None
        """Asked, as quiet hours end, which deferred recipients of a drip step are no
        longer enrolled (the sequences)."""

    async def execute(
        self,
        nid: str,
        run: int,
        *,
        progress: Callable[[int, int], None] | None = None,
        clock: Callable[[], float] = time.time,
    ) -> RunResult:
        """Do what is due of a run; ``progress(done, total)`` after each batch."""
        lease = f"ntf:{nid}|{run}"
        token = await self.leases.acquire(lease, RUN_LEASE_MS)
        if token is None:
            return RunResult(busy=True)
        try:
            return await self._execute(nid, run, lease, token, progress, clock)
        finally:
            # The run's own lease: its fencing count goes a week after (a run deferred
            # for quiet hours is taken again within a day, and counts on from it).
            await self.leases.release(lease, forget_after_ms=RUN_FENCE_KEPT_MS)

    async def set_aside(self, nid: str, run: int, now: float) -> None:
        """A run that failed every attempt leaves the schedule, into the dead letters, and
        its notification is ``failed`` (until a cron schedule's next occurrence starts)."""
        await self.store.set_aside(nid, run, now)
        await self.campaigns.transition(nid, ("scheduled", "sending"), "failed")

    async def replay_set_aside(self, now: float) -> int:
        """Schedule every run set aside again, due now; how many."""
        runs = await self.store.set_aside_runs()
        for nid, run, _ in runs:
            await self.store.revive(nid, run, now)
            await self.campaigns.transition(nid, ("failed",), "sending")
        return len(runs)

    async def _execute(
        self,
        nid: str,
        run: int,
        lease: str,
        token: int,
        progress: Callable[[int, int], None] | None,
        clock: Callable[[], float],
    ) -> RunResult:
        result = RunResult()
        record = await self.store.record(nid)
        if "spec" not in record:
            if clock() - run > ORPHAN_SECONDS:
                await self.store.unschedule(nid, run)
            result.done = True
            return result
        if record.get("status") in ENDED:
            await self._end(nid, run, record["status"])
            result.done = True
            return result
        spec = NotificationSpec.from_json(record["spec"])
        if refusal := await self._refusal(spec):
            # Its service detached, or another service became the parent: nothing goes,
            # and a cron schedule stops here (it would set a run aside at every occurrence,
            # and the service that made it may not cancel it now). A replay of the run
            # set aside, once its service may send again, starts it again.
            await self._set_aside_refused(nid, run, refusal, result, clock)
            return result
        if spec.cron and clock() - run > MISSED_SECONDS and not await self.store.run_meta(nid, run):
            # Its time fell while no process ran: not made up for, the next one is due.
            log.info("notification %s: the occurrence of %d was missed; not sent late", nid, run)
            if float(record.get("next_at", 0)) <= run:  # a schedule it cannot read fails here
                await self._schedule_next(nid, run, spec, clock())
            await self.store.unschedule(nid, run)
            result.done = True
            return result
        cursor, total = await self._start(nid, run, spec, record, clock)
        frozen = record.get("frozen") == "1"
        going_on = await self._decide_in_batches(
            spec, nid, run, lease, token, cursor, total, result, progress, clock, frozen
        )
        if not going_on:
            return result
        await self._deferred(spec, nid, run, lease, token, result, clock)
        if result.busy or result.paced:
            return result
        await self._finish_or_wait(spec, nid, run, result, clock)
        return result

    async def _set_aside_refused(
        self, nid: str, run: int, refusal: str, result: RunResult, clock: Callable[[], float]
    ) -> None:
        """A run its service may not send now (SN-6, SN-8): nothing more of it is queued,
        and it is set aside (a replay sends the rest once its service may again)."""
        log.warning("notification %s: the run of %d is not sent: %s", nid, run, refusal)
        await self.store.start_run(nid, run, clock())  # its report shows the run
        await self.store.fail_run(nid, run, refusal, clock())
        await self.set_aside(nid, run, clock())
        result.done, result.refused = True, refusal

    async def _refusal(self, spec: NotificationSpec) -> str:
        """Why a run of ``spec`` may not send now ('' when it may): only the number's
        parent sends notifications (SN-6), and a number with no service sends none (SN-8);
        the operator's (from the CLI or the team chat) go while any service is attached,
        on a number the team is attached to."""
        if self.parent_of is None:
            return ""
        parent = await self.parent_of(spec.number)
        if parent is None:
            return f"no service is attached to {spec.number}"
        if spec.service not in OPERATORS and spec.service != parent:
            return (
                f"{spec.service!r} is not the parent of {spec.number} now (the parent is"
                f" {parent!r}): only the parent sends notifications"
            )
        if spec.service in OPERATORS and self.team_on and not await self.team_on(spec.number):
            return f"the team is not attached to {spec.number} now"
        return ""

    async def _start(
        self,
        nid: str,
        run: int,
        spec: NotificationSpec,
        record: dict[str, str],
        clock: Callable[[], float],
    ) -> tuple[int, int]:
        """Mark the run started (once), put a cron's next occurrence on the schedule, and
        fix the run's audience. Returns where a resumed run left off and the total."""
        new, meta = await self.store.start_run(nid, run, clock())
        if new:
            await self.campaigns.transition(
                nid, ("scheduled", "sending", "failed"), "sending", last_run=str(run)
            )
        if spec.cron and float(record.get("next_at", 0)) <= run:
            await self._schedule_next(nid, run, spec, clock())
        if record.get("frozen") == "1":  # a reviewed draft: exactly its review's entries
            total = await self.store.frozen_total(nid)
            if new or not meta.get("total"):  # a run set aside before it started has none
                await self.store.set_run(nid, run, total=total)
        elif spec.listed:
            total = await self.store.listed_total(nid)
            if new or not meta.get("total"):
                await self.store.set_run(nid, run, total=total)
        elif meta.get("snap"):
            total = int(meta.get("total", 0))
        elif spec.audience == "response":
            entries = await response_entries(self.store, self.campaigns, spec)
            await self.campaigns.stage(self.store.keys.notification_run(nid, run, "a"), entries, 0)
            await self.store.set_run(nid, run, snap=1, total=len(entries))
            total = len(entries)
        else:
            total = await self.store.snapshot(nid, run, self.store.keys.conversations(spec.number))
        return int(meta.get("cursor", 0)), total

    async def _decide_in_batches(
        self,
        spec: NotificationSpec,
        nid: str,
        run: int,
        lease: str,
        token: int,
        cursor: int,
        total: int,
        result: RunResult,
        progress: Callable[[int, int], None] | None,
        clock: Callable[[], float],
        frozen: bool = False,
    ) -> bool:
        """Decide about the audience from ``cursor`` on, batch by batch, and claim and
        queue each batch; False when the run stops here (taken over, cancelled, or paced:
        its sends far enough ahead of the number's rate). A
        reviewed draft's ``frozen`` audience is decided again (an opt-out since the review
        is honoured, and counted), but its filter is not: the segment was fixed then, and
        whom the review skipped stays skipped, for the reason it gave."""
        requeue = True  # a batch cut short by a crash may have claimed and not queued
        while cursor < total:
            size = await self._room(spec, nid, run, result, clock)
            if not size:
                return False
            entries = await self.store.entries(nid, run, spec.listed, cursor, size, frozen=frozen)
            if not entries:
                break
            if frozen:
                verdicts = await self.audience.decide_frozen(spec, entries, clock())
            else:
                verdicts = await self.audience.decide(spec, entries, clock())
            cursor += len(entries)
            if not await self._claim(spec, nid, run, verdicts, token, result, requeue, cursor):
                result.busy = True
                return False
            requeue = False
            if progress:
                progress(min(cursor, total), total)
            if await self.leases.acquire(lease, RUN_LEASE_MS) != token:
                result.busy = True
                return False
            status = await self.store.status(nid)
            if status in ENDED:
                await self._end(nid, run, status)
                result.done = True
                return False
            if cursor < total and (refusal := await self._refusal(spec)):
                # Its service detached, or the parent changed, while it ran (SN-7): what is
                # queued goes, and no one more is.
                await self._set_aside_refused(nid, run, refusal, result, clock)
                return False
        return True

    async def _room(
        self,
        spec: NotificationSpec,
        nid: str,
        run: int,
        result: RunResult,
        clock: Callable[[], float],
    ) -> int:
        """How many recipients the next batch may take: a batch, or as many as keep what
        waits in the outbox (every campaign's sends and every reply) within
        ``AHEAD_SECONDS`` of the number's rate. With less room than half of that, 0: the
        run is put back on the schedule, due in a second (``paced``), so that the replies
        queued meanwhile do not wait behind whole campaigns, and a scheduler slot is free
        for other runs."""
        per_second = self.rate_of(spec.number)
        if per_second is None:
            return self.settings.batch
        ahead = max(math.ceil(per_second * AHEAD_SECONDS), LEAST_AHEAD)
        room = ahead - await self.sender.outbox.backlog()
        if room < (ahead + 1) // 2:
            await self.store.postpone(nid, run, clock() + PACE_SECONDS)
            result.paced = True
            return 0
        return min(room, self.settings.batch)

    async def _end(self, nid: str, run: int, status: str) -> None:
        """A run of a campaign stopped or cancelled leaves the schedule; one that had
        begun says so in the report, rather than ``sending`` for good."""
        if "started_at" in await self.store.run_meta(nid, run):
            await self.store.set_run(nid, run, status=status)
        await self.store.unschedule(nid, run)

    async def _finish_or_wait(
        self,
        spec: NotificationSpec,
        nid: str,
        run: int,
        result: RunResult,
        clock: Callable[[], float],
    ) -> None:
        """Put the run back on the schedule for its next deferred recipient; with none
        left, the run is done."""
        upcoming = await self.store.next_deferred(nid, run)
        if upcoming is not None:
            await self.store.schedule(nid, run, upcoming)
            await self.store.set_run(nid, run, deferred_until=repr(upcoming))
            return
        await self.store.finish_run(nid, run, clock())
        await self.store.unschedule(nid, run)
        # One step, so that a stop or a cancel that came meanwhile is kept.
        await self.campaigns.transition(
            nid,
            ("scheduled", "sending", "failed"),
            # A cron schedule and a drip step run again: they stay scheduled (and may be
            # cancelled) until they are stopped.
            "scheduled" if spec.cron or spec.audience == "sequence" else "sent",
        )
        result.done = True

    async def _schedule_next(self, nid: str, run: int, spec: NotificationSpec, now: float) -> None:
        """Put a cron schedule's next occurrence on the schedule (missed ones are not
        made up for); ``next_at`` is written last, so a crash in between redoes it."""
        upcoming = Cron.parse(spec.cron).next_after(max(float(run), now), self.zone)
        await self.store.schedule(nid, int(upcoming), upcoming)
        await self.store.update(nid, next_at=repr(upcoming))

    async def _deferred(
        self,
        spec: NotificationSpec,
        nid: str,
        run: int,
        lease: str,
        token: int,
        result: RunResult,
        clock: Callable[[], float],
    ) -> None:
        """Recipients whose quiet hours are over: decided again, as things may have
        changed (a STOP in the night), then queued or skipped."""
        while True:
            size = await self._room(spec, nid, run, result, clock)
            if not size:
                return
            due = await self.store.deferred_due(nid, run, clock(), size)
            if not due:
                return
            entries = [_entry_of(state) for _, state in due]
            # The segment was decided when the run began; the recipient stays the same.
            verdicts = await self.audience.decide(spec, entries, clock(), refilter=False)
            # A later occurrence of a cron schedule decides for them: one message when
            # quiet hours end, not one for each occurrence they spanned.
            superseded = bool(spec.cron) and await self.store.later_run(nid, run)
            ended: set[int] = set()
            if spec.audience == "sequence" and self.ended is not None:
                ended = await self.ended(nid, verdicts)
            for n, (verdict, (key, _)) in enumerate(zip(verdicts, due, strict=True)):
                verdict.key = key
                if superseded and verdict.kind in ("q", "d"):
                    verdict.kind = SUPERSEDED
                elif n in ended and verdict.kind in ("q", "d"):
                    verdict.kind = ENDED_ENROLMENT
            ok = await self._claim(
                spec, nid, run, verdicts, token, result, True, None, [k for k, _ in due]
            )
            if not ok or await self.leases.acquire(lease, RUN_LEASE_MS) != token:
                result.busy = True
                return

    async def _claim(
        self,
        spec: NotificationSpec,
        nid: str,
        run: int,
        verdicts: list[Verdict],
        token: int,
        result: RunResult,
        requeue: bool,
        cursor: int | None,
        resumed: list[str] | None = None,
    ) -> bool:
        """Claim a batch in one round trip, then queue its sends in a second; False when
        the fencing token is stale (another process runs this now)."""
        # One person once: two conversations of theirs in a batch are one recipient.
        decided = list({v.key: v for v in reversed(verdicts) if v.kind}.values())[::-1]
        made = await self._make_profiles(spec, decided)
        now = time.time()
        async with self.client.round_trip() as pipe:
            for verdict in decided:
                self.store.queue_claim(
                    pipe,
                    nid,
                    run,
                    verdict.key,
                    verdict.state,
                    verdict.kind,
                    fence=token,
                    until=verdict.until,
                    resume=resumed is not None,
                    send_id=send_id_of(nid, run, verdict.key),
                    at=now,
                )
            answers = await pipe.execute()
        if any(answer is None for answer in answers):
            return False
        abandoned: list[tuple[str, str]] = []
        async with self.client.round_trip() as pipe:
            for verdict, answer in zip(decided, answers, strict=True):
                new = str(answer).startswith("+")
                state = str(answer).lstrip("+")
                if new and verdict.kind not in ("q", "d"):
                    result.skipped.append(verdict.kind)
                elif new and verdict.kind == "d":
                    result.deferred += 1
                if new and verdict.kind != "q" and verdict.profile and _names_one(verdict.entry):
                    # Its audience holds their phone (or other identity): an erasure of
                    # theirs finds the campaign by this, as it finds those queued to them.
                    # A skip once per campaign; a deferral with its run, for its state.
                    deferred_in = run if verdict.kind == "d" else None
                    self.campaigns.queue_named(pipe, verdict.profile, nid, deferred_in, now)
                if not state.startswith("q|") or not (new or requeue):
                    continue
                send_id = send_id_of(nid, run, verdict.key)
                if verdict.kind == "q":
                    self._queue_send(pipe, spec, nid, send_id, verdict, verdict.profile in made)
                    if spec.audience == "sequence" and verdict.conversation:
                        # The customer's next message is a reply to a drip step.
                        self.sender.conversations.queue_drip_mark(pipe, verdict.conversation, True)
                    if verdict.profile:
                        self.campaigns.queue_received(
                            pipe, verdict.profile, nid, run, verdict.key, now
                        )
                    if new:
                        result.sent.append(send_id)
                else:  # queued before a crash, and no longer to be sent
                    abandoned.append((state.split("|")[1], send_id))
            if cursor is not None:
                self.store.queue_progress(pipe, nid, run, cursor)
            if resumed:
                still = {v.key for v, a in zip(decided, answers, strict=True) if v.kind == "d"}
                self.store.queue_undefer(pipe, nid, run, [k for k in resumed if k not in still])
            await pipe.execute()
        if abandoned:
            await self._abandon(nid, run, abandoned)
        if spec.audience == "sequence" and self.on_deferred is not None:
            deferred = [v for v in decided if v.kind == "d"]
            if deferred:
                await self.on_deferred(nid, deferred)
        return True

    async def _make_profiles(self, spec: NotificationSpec, verdicts: list[Verdict]) -> set[str]:
        """A profile for each recipient nobody knew yet (a phone written to first), as a
        conversation a service starts gets one; the profiles made."""
        new = [v for v in verdicts if v.kind == "q" and v.identity and not v.profile]
        if not new:
            return set()
        now = time.time()
        sightings = []
        for verdict in new:
            customer = Identity.parse(verdict.identity)
            sightings.append(
                Sighting(tuple(with_its_phone([customer], customer)), spec.channel, "", now)
            )
        made = set()
        for verdict, found in zip(new, await self.profiles.resolve_many(sightings), strict=True):
            verdict.profile = found.profile
            if found.created:
                made.add(found.profile)
        return made

    def _queue_send(
        self,
        pipe: Pipe,
        spec: NotificationSpec,
        nid: str,
        send_id: str,
        verdict: Verdict,
        made: bool = False,
    ) -> None:
        """Queue a recipient's send; ``made``: their profile was made for it."""
        outbound = Outbound(
            send_id=send_id,
            conversation_id=verdict.conversation,
            channel=spec.channel,
            number=spec.number,
            recipient=Identity.parse(verdict.identity),
            text=verdict.text,
            service=spec.service,
            template=verdict.template,
            profile=verdict.profile,
            # The links the campaign's text holds as written; none a profile's field put in.
            tracked=tuple(urls_in(spec.text)),
        )
        self.sender.queue(pipe, outbound, self.shard_of(verdict.conversation))
        if verdict.profile:
            owner = self.owner_for("", spec.number) if made and self.owner_for else ""
            self.profiles.queue_conversation(pipe, verdict.profile, verdict.conversation, owner)
        # A conversation this send opens is listed with the number's (the inbox, a topic's
        # audience); one listed already keeps its place.
        self.sender.conversations.list_new(pipe, spec.number, verdict.conversation, time.time())
        self.queue_price(pipe, spec, send_id, verdict, nid)

    def queue_price(
        self, pipe: Pipe, spec: NotificationSpec, send_id: str, verdict: Verdict, nid: str = ""
    ) -> None:
        """Note what a template send costs once delivered (AU-5), billed to the number and,
        with ``nid``, to that campaign; nothing for a text."""
        if verdict.template is not None and spec.template is not None:
            self.ledger.queue_price(
                pipe,
                spec.number,
                send_id,
                category=verdict.category or spec.template.category,
                country=verdict.country,
                price=verdict.price,
                notification=nid,
                rates=verdict.rates,
            )

    async def _abandon(self, nid: str, run: int, sends: list[tuple[str, str]]) -> None:
        """Sends claimed before a crash whose recipient may no longer get them: taken
        from the sender (the same claim it makes, REL-3) and counted failed; one the
        sender took already goes its way and is counted by its outcome."""
        taken = await self.sender.conversations.abandon_sends(sends, "stale")
        async with self.client.round_trip() as pipe:
            for (_, send_id), ours in zip(sends, taken, strict=True):
                if ours:
                    self.store.queue_status(pipe, nid, run, send_id, "failed")
            await pipe.execute()


def _names_one(entry: str) -> bool:
    """Whether an audience entry names a customer by an identity (``p:+447700900123``),
    not by their profile's or conversation's id."""
    return entry.startswith("p:") and not entry.startswith("p:p_")


def _entry_of(state: str) -> str:
    """The audience entry kept in a deferred state; for a queued one (a crash between
    claiming and queueing), its conversation's recipient, decided afresh."""
    kind, _, rest = state.partition("|")
    if kind == "d":
        return rest.partition("|")[2]
    parts = state.split("|")
    if kind == "q" and len(parts) == 4:
        _, _, identity, profile = parts
        return f"p:{profile}" if profile else f"p:{identity}"
    return "x:"


async def response_entries(
    store: NotificationStore, campaigns: CampaignStore, spec: NotificationSpec
) -> list[str]:
    """The audience a campaign response chooses: the recipients queued by the earlier
    campaign who reached (or did not reach) each outcome named, as conversations."""
    runs = await store.runs(spec.response_campaign)
    queued = await campaigns.queued(spec.response_campaign, runs)
    chosen = set(queued)
    for outcome, wanted in _conditions(spec.response):
        reached = await campaigns.members(spec.response_campaign, outcome)
        if outcome == "sent":  # the sent set keeps a send that failed later
            reached -= await campaigns.members(spec.response_campaign, "failed")
        chosen = chosen & reached if wanted else chosen - reached
    return sorted({f"c:{queued[member].split('|')[1]}" for member in chosen})


def _conditions(response: str) -> list[tuple[str, bool]]:
    """``read,!clicked`` as [("read", True), ("clicked", False)]."""
    found = []
    for word in response.split(","):
        name = word.lstrip("!")
        if name in RESPONSES:
            found.append((name, not word.startswith("!")))
    return found
