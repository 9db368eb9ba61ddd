"""Drip sequences (AU-4): a trigger enrols a profile (a first contact, a topic joined, a
workflow event), then each step goes after its wait, and a reply, an opt-out or a
conversion ends the profile's way through, as the sequence says.

Each step is a notification of its own, and the due steps of a tick one run of it: the run
decides about each profile as a campaign's does (opt-out, topics, consent, quiet hours, the
24-hour window), sends through the outbox, bills the ledger and counts the report. The
scheduler, under its lease, claims due steps and hands them over (``SequenceStore``)."""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

from bot.config.sequences import Sequence
from bot.identities import parse_identity, with_aliases
from bot.model import Identity, Inbound, derived_id
from bot.outreach.audience import Verdict
from bot.outreach.notifications import Notifications
from bot.outreach.runs import ENDED
from bot.outreach.spec import NotificationSpec
from stores.redis import Pipe
from stores.sequences import SequenceStore

log = logging.getLogger(__name__)

STOP_REASONS = ("reply", "opt_out", "converted", "manual", "merged")
"""Why an enrolment stopped: a reply to a step, an opt-out, a conversion (a workflow event
the sequence lists under ``stop_on``), or an unenrolment by the team or the API."""


class ProfileFinder(Protocol):
    """Finds the live profile of an id or identity (``bot.core.profiles.ProfileBook``)."""

    region: str
    """Where a phone typed without its country code is (``DEFAULT_REGION``)."""

    async def find(self, reference: str) -> str: ...

    async def view(self, reference: str) -> dict[str, Any]:
        """The profile as stored, its ``identities`` included."""
        ...

    async def refuse_erased(self, identity: Identity) -> None:
        """Raise a LookupError (a 410 in the API) if ``identity`` was a person's that was
        erased (PS-7)."""
        ...


class SequenceNotFoundError(LookupError):
    """No sequence of that name."""


def _one_form(identity: Identity) -> str:
    """An identity as a member name: a WhatsApp id is the phone it is."""
    if identity.kind in ("wa", "phone"):
        digits = identity.value.lstrip("+")
        return f"phone:+{digits}"
    return identity.key


def _aliases(message: Inbound, member: str) -> list[str]:
    """The names a customer writing ``message`` may be enrolled as besides ``member``:
    their phone, enrolled by hand before they had a profile."""
    named = f"p:{_one_form(message.sender)}"
    return [named] if named != member else []


def step_id(name: str, index: int) -> str:
    """The notification of a sequence's step: the same id in every process and release."""
    return derived_id("ntf", "sequence", name, str(index))


class Sequences:
    """Enrolments from the triggers, the steps due on each tick, and the stop rules."""

    def __init__(
        self,
        definitions: tuple[Sequence, ...],
        store: SequenceStore,
        notifications: Notifications,
        finder: ProfileFinder,
        parent_of: Callable[[str], Awaitable[str | None]],
    ) -> None:
        self.by_name = {sequence.name: sequence for sequence in definitions}
        self.store = store
        self.notifications = notifications
        self.finder = finder
        self.parent_of = parent_of
        """The parent service of a number, None with none attached (SN-6, SN-8)."""
        self._steps = {
            step_id(sequence.name, index): (sequence, index)
            for sequence in definitions
            for index in range(len(sequence.steps))
        }
        """Which sequence and step each step notification is."""
        self._services: dict[str, str] = {}
        """The service each sequence's steps were last written with, in this process."""

    @property
    def active(self) -> list[Sequence]:
        return [sequence for sequence in self.by_name.values() if sequence.enabled]

    def get(self, name: str) -> Sequence:
        found = self.by_name.get(name)
        if found is None:
            raise SequenceNotFoundError(f"no sequence {name[:60]!r}")
        return found

    # --- Enrolment -------------------------------------------------------------------

    def queue_first_contact(self, pipe: Pipe, message: Inbound, profile: str, now: float) -> None:
        """Enrol a customer who writes for the first time in the sequences of their
        number that a first contact starts; the pipeline calls this for the parent only."""
        cid = message.conversation_id
        for sequence in self.active:
            if sequence.trigger == "first_contact" and sequence.number == message.number:
                first = now + sequence.steps[0].wait
                member = profile or f"c:{cid}"
                self.store.queue_enrol(
                    pipe,
                    sequence.name,
                    member,
                    f"c:{cid}",
                    now=now,
                    first_due=first,
                    aliases=_aliases(message, member),
                )

    def queue_answered(
        self,
        pipe: Pipe,
        message: Inbound,
        profile: str,
        stop: bool,
        now: float,
        *,
        replied: bool = True,
    ) -> None:
        """The customer wrote after a step went to them (``replied``), or opted out before
        one did: their enrolments on the number end now, as an opt-out (``stop``) or a
        reply, where the sequence stops on it."""
        cid = message.conversation_id
        members = [name for name in (profile, f"c:{cid}") if name]
        members += _aliases(message, "")
        for sequence in self.active:
            if sequence.number != message.number:
                continue
            if stop and "opt_out" in sequence.stop_on:
                reason = "opt_out"
            elif replied and "reply" in sequence.stop_on:
                reason = "reply"
            else:
                continue
            self.store.queue_stop_answered(pipe, sequence.name, members, reason, now)

    async def enrol(
        self, name: str, entry: str, *, again: bool = False, now: float | None = None
    ) -> tuple[str, bool]:
        """Enrol a customer (``c:<conversation>`` or ``p:<profile or identity>``); the
        member they are enrolled as, and whether it happened here (False: enrolled
        already, or ended before and not ``again``)."""
        sequence = self.get(name)
        now = time.time() if now is None else now
        member, entry = await self._member(entry, sequence.number)
        enrolled = await self.store.enrol(
            name,
            member,
            entry,
            now=now,
            first_due=now + sequence.steps[0].wait,
            again=again,
            aliases=await self._identity_names(member),
        )
        if enrolled:
            self.notifications.wake()
        return member, enrolled

    async def unenrol(self, name: str, entry: str, now: float | None = None) -> tuple[str, bool]:
        """End a customer's enrolment (``manual``); whether it was active."""
        self.get(name)
        member, _ = await self._enrolled_as(name, entry)
        now = time.time() if now is None else now
        return member, await self.store.stop(name, member, "manual", now)

    async def on_event(self, kind: str, number: str, customer: str) -> None:
        """A workflow event of the parent: enrol in the sequences it starts, and end the
        enrolments it converts."""
        if not customer:
            return
        for sequence in self.active:
            if sequence.number != number:
                continue
            if kind in sequence.conversions:
                member, _ = await self._enrolled_as(sequence.name, customer)
                await self.store.stop(sequence.name, member, "converted", time.time())
            elif sequence.trigger == "workflow" and sequence.trigger_value == kind:
                await self.enrol(sequence.name, customer)

    async def on_topics_joined(self, profile_id: str, topics: list[str], service: str) -> None:
        """A profile subscribed to ``topics`` by ``service``: enrolled in the sequences a
        topic starts, on the numbers ``service`` is the parent of (SN-6)."""
        for sequence in self.active:
            if sequence.trigger != "topic_joined" or sequence.trigger_value not in topics:
                continue
            if await self.parent_of(sequence.number) == service:
                await self.enrol(sequence.name, f"p:{profile_id}")

    async def _member(self, entry: str, number: str = "") -> tuple[str, str]:
        """The member a customer is enrolled as (their profile when they have one, so that
        a profile is enrolled once whatever names it), and the entry its steps go to. A
        conversation must be on ``number``, when given: a sequence's steps go from one."""
        kind, _, value = entry.partition(":")
        if kind == "c":
            meta = (await self.notifications.reader.conversations([value]))[0]
            if not meta or (number and meta.get("number") != number):
                raise LookupError(f"no conversation {value}" + (f" on {number}" if number else ""))
            return meta.get("profile") or entry, entry
        try:
            profile = await self.finder.find(value)
        except ValueError:
            return entry, entry  # unreadable: the step decides (invalid_number...)
        except LookupError:
            if value.startswith("p_"):
                raise  # a profile id names a profile, or no one: never someone to come
            # No profile yet: enrolled under the identity in its one written form, which
            # the customer's first message finds (``_aliases``), so they are not enrolled
            # again as the profile it makes.
            try:
                identity = parse_identity(value, self.finder.region)
            except ValueError:
                return entry, entry
            await self.finder.refuse_erased(identity)  # not enrolled again (PS-7)
            named = f"p:{_one_form(identity)}"
            return named, named
        return profile, f"p:{profile}"

    async def _identity_names(self, member: str) -> list[str]:
        """The names a profile may be enrolled under from before it was made: each of its
        identities, as an enrolment by phone (or email) names one."""
        if not member.startswith("p_"):
            return []
        profile = await self.finder.view(member)
        # Two identities of one form (a WhatsApp id and its phone) are one name: each once.
        names = [f"p:{_one_form(Identity.parse(key))}" for key in profile.get("identities", [])]
        return list(dict.fromkeys(names))

    async def _enrolled_as(self, name: str, entry: str) -> tuple[str, dict[str, Any] | None]:
        """The member a customer is enrolled as, and the enrolment (None when none): their
        profile, else the phone they were enrolled by before they had one."""
        member, _ = await self._member(entry)
        state = await self.store.enrolment(name, member)
        if state is not None:
            return member, state
        # Enrolled by an identity before the profile was made: by one of its identities
        # (its id or conversation named), or by the one named.
        names = await self._identity_names(member)
        kind, _, value = entry.partition(":")
        if kind == "p" and not value.startswith("p_"):
            with contextlib.suppress(ValueError):  # unreadable: no name of its own
                names.append(f"p:{_one_form(parse_identity(value, self.finder.region))}")
        for named in dict.fromkeys(names):
            if named != member and (found := await self.store.enrolment(name, named)):
                return named, found
        return member, None

    async def forget(
        self, profile_ids: list[str], identities: list[Identity], conversations: list[str]
    ) -> int:
        """Erasure (PS-7): the person's enrolments, under each name a sequence may hold
        them by (their profiles, conversations and identities), gone from every sequence,
        one removed from the configuration since included: no later step reaches them,
        and nothing of them stays there. How many there were."""
        members = [
            *profile_ids,
            *(f"c:{conversation}" for conversation in conversations),
            *(f"p:{_one_form(identity)}" for identity in with_aliases(identities)),
        ]
        names = sorted(set(self.by_name) | await self.store.names())
        return await self.store.forget(names, list(dict.fromkeys(members)))

    # --- Steps -----------------------------------------------------------------------

    def spec_of(self, sequence: Sequence, index: int, service: str) -> NotificationSpec:
        step = sequence.steps[index]
        return NotificationSpec(
            number=sequence.number,
            service=service,
            audience="sequence",
            text=step.text,
            template=step.template,
            category=step.category,
            topic=sequence.topic,
            respect_quiet_hours=sequence.respect_quiet_hours,
        )

    async def _write_steps(self, sequence: Sequence, service: str) -> None:
        """Each step's notification, written with its definition and the sending service
        (the parent of the number now); a config change reaches the runs to come."""
        if self._services.get(sequence.name) == service:
            return
        store = self.notifications.store
        for index in range(len(sequence.steps)):
            nid = step_id(sequence.name, index)
            spec = self.spec_of(sequence, index, service).to_json()
            record = {
                "id": nid,
                "number": sequence.number,
                "service": service,
                "status": "scheduled",
                "created_at": repr(time.time()),
                "spec": spec,
                "sequence": sequence.name,
                "step": str(index),
            }
            if not await store.create(nid, record, [], due_at=None, run=0):
                await store.update(nid, spec=spec, service=service)
        await self.store.ran(sequence.name)
        self._services[sequence.name] = service

    async def tick(self, fence: int, now: float) -> None:
        """Hand over the batches a crash left claimed, stop the enrolments a reply or an
        opt-out ends, and claim and hand over every step that is due; ``fence`` is the
        scheduler's lease token."""
        for sequence in self.active:
            service = await self.parent_of(sequence.number)
            if service is None:
                continue  # nobody automates on a number without services (SN-8)
            await self._write_steps(sequence, service)
            for run, index, entries in await self.store.pending(sequence.name):
                await self._hand_over(sequence, run, index, entries, now)
            if not await self._claim_due(sequence, fence, now):
                return

    async def _claim_due(self, sequence: Sequence, fence: int, now: float) -> bool:
        """False when the fence is stale: another process schedules now."""
        limit = self.notifications.settings.batch
        waits = [step.wait for step in sequence.steps]
        while True:
            members = await self.store.due(sequence.name, now, limit)
            if not members:
                return True
            stopping = await self._stopping(sequence, members, now)
            for member, reason in stopping.items():
                await self.store.stop(sequence.name, member, reason, now)
            going = [member for member in members if member not in stopping]
            batches = await self.store.claim(sequence.name, going, waits, fence, now)
            if batches is None:
                return False
            for run, index, entries in batches:
                await self._hand_over(sequence, run, index, entries, now)
            if len(members) < limit:
                return True

    async def _stopping(self, sequence: Sequence, members: list[str], now: float) -> dict[str, str]:
        """The members whose enrolment ends before this step: merged into a person who
        is enrolled too (one person, one enrolment: each step would go twice), opted
        out, or wrote after their last step, when the sequence stops on that."""
        wanted = sequence.stop_on & {"reply", "opt_out"}
        states = await self.store.enrolments(sequence.name, members)
        known = [(m, s) for m, s in zip(members, states, strict=True) if s is not None]
        spec = self.spec_of(sequence, 0, "")
        audience = self.notifications.runs.audience
        verdicts = await audience.decide(spec, [s["entry"] for _, s in known], now, refilter=False)
        stopping = await self._merged(sequence, known, verdicts)
        if not wanted:
            return stopping
        metas = await self.notifications.reader.conversations(
            [v.conversation for v in verdicts if v.conversation]
        )
        found = iter(metas)
        for (member, state), verdict in zip(known, verdicts, strict=True):
            meta = next(found) if verdict.conversation else {}
            # What they wrote before their step went is no reply to it: the first one may
            # have waited out quiet hours after it was claimed (``goes_at``).
            went = float(state.get("last_at") or 0)
            if state.get("step", 0) == 1:
                went = max(went, float(state.get("goes_at") or 0))
            replied = float(meta.get("last_inbound_at") or 0) > went
            if member in stopping:
                continue
            if "opt_out" in wanted and meta.get("opted_out") == "1":
                stopping[member] = "opt_out"
            elif "reply" in wanted and state.get("step", 0) > 0 and replied:
                stopping[member] = "reply"
        return stopping

    async def _merged(
        self,
        sequence: Sequence,
        known: list[tuple[str, dict[str, Any]]],
        verdicts: list[Verdict],
    ) -> dict[str, str]:
        """The members whose profile was merged into another that is enrolled too."""
        roots = {
            member: verdict.profile
            for (member, _), verdict in zip(known, verdicts, strict=True)
            if verdict.profile and verdict.profile != member
        }
        if not roots:
            return {}
        found = await self.store.enrolments(sequence.name, list(roots.values()))
        return {
            member: "merged"
            for (member, _), state in zip(roots.items(), found, strict=True)
            if state is not None
        }

    async def _hand_over(
        self, sequence: Sequence, run: int, index: int, entries: list[str], now: float
    ) -> None:
        """A claimed batch becomes a run of its step's notification, due now; unless
        that notification was cancelled or stopped (``/v1/notifications``), when the
        batch is dropped and counted, so the report says the step did not go."""
        if index < len(sequence.steps):
            nid = step_id(sequence.name, index)
            if await self.notifications.store.status(nid) in ENDED:
                await self.store.dropped(sequence.name, run, index, len(entries))
                return
            status = await self.store.hand_over(nid, run, entries)
            if status != "done":
                await self.notifications.store.schedule(nid, run, now)
        await self.store.handed_over(sequence.name, run)

    async def ended(self, nid: str, verdicts: list[Verdict]) -> set[int]:
        """Which of a step's recipients quiet hours deferred are no longer enrolled: their
        enrolment ended meanwhile (a reply, an opt-out, a conversion, an unenrolment)."""
        found = self._steps.get(nid)
        if found is None:
            return set()
        names = [[name for name in (v.profile, v.entry) if name] for v in verdicts]
        flat = [name for each in names for name in each]
        states = dict(zip(flat, await self.store.enrolments(found[0].name, flat), strict=True))
        ended = set()
        for n, each in enumerate(names):
            state = next((states[name] for name in each if states.get(name)), None)
            # Finished is not ended: claiming the last step finished it, and that step waits.
            if state is not None and state.get("status") not in ("active", "finished"):
                ended.add(n)
        return ended

    async def deferred(self, nid: str, verdicts: list[Verdict]) -> None:
        """Quiet hours deferred a step: the next one of each profile waits from when
        this one goes (the end of its quiet hours), not from when it was claimed; after
        the last one, the enrolment notes when it goes, and can be stopped until then."""
        found = self._steps.get(nid)
        if found is None:
            return
        sequence, index = found
        wait = sequence.steps[index + 1].wait if index + 1 < len(sequence.steps) else 0.0
        moves = [
            (v.until + wait, v.until, [name for name in (v.profile, v.entry) if name])
            for v in verdicts
        ]
        await self.store.push_back(sequence.name, moves)

    async def next_due(self) -> float | None:
        return await self.store.next_due([sequence.name for sequence in self.active])

    # --- Reports ---------------------------------------------------------------------

    async def dropped(self, name: str) -> list[int]:
        """Per step, the steps its cancelled or stopped notification did not send."""
        sequence = self.get(name)
        counts = await self.store.counts(sequence.name)
        return [counts.get(f"dropped:{index}", 0) for index in range(len(sequence.steps))]

    async def enrolments(self, name: str) -> dict[str, Any]:
        counts = await self.store.counts(self.get(name).name)
        return {
            "enrolled": counts.get("enrolled", 0),
            "active": counts.get("active", 0),
            "finished": counts.get("finished", 0),
            "stopped": {reason: counts.get(f"stopped:{reason}", 0) for reason in STOP_REASONS},
        }

    async def enrolment(self, name: str, entry: str) -> dict[str, Any] | None:
        """One customer's enrolment as the API shows it; None when never enrolled."""
        self.get(name)
        member, state = await self._enrolled_as(name, entry)
        if state is None:
            return None
        return {
            "member": member,
            "status": state["status"],
            "next_step": state["step"],
            "reason": state.get("reason"),
            "enrolled_at": state["enrolled_at"],
            "ended_at": state.get("ended_at"),
        }
