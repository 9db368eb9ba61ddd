"""Following a campaign (AU-4): its status as shown, a stop with its reason, who got it
and what each recipient did (``/recipients``), the campaigns a profile got, an audience
chosen by the response to an earlier campaign, and a test to the team's own phones."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from adapters.webchat import shows_something
from bot.config.settings import TeamMember
from bot.model import DIRECTION_CONTROLS
from bot.outreach.audience import topics_of
from bot.outreach.runs import response_entries, send_id_of
from bot.outreach.spec import NotificationSpec
from handlers.command_kit import has_control_characters
from handlers.workflows import as_shown
from stores.audience import AudienceReader
from stores.campaigns import OUTCOMES, CampaignStore
from stores.notifications import NotificationStore

RECIPIENT_OUTCOMES = (*OUTCOMES, "unsubscribed")
"""What ``/recipients?status=`` lists."""
MAX_PAGE = 500
SCAN_CHUNK = 500
SCAN_CHUNKS = 10
"""How much of the sent list one page of ``unsubscribed`` reads, at most."""
MAX_REASON = 300


class NoTeamPhoneError(ValueError):
    """A team member named for a test has no phone, or is not on the team."""


def team_phones(
    team: Sequence[TeamMember], members: Sequence[str], limit: int
) -> list[tuple[str, str]]:
    """(member, phone identity) of each team member named (by email or name, any case),
    or of the first ``limit`` who have a phone when none is named."""
    if not members:
        return [(m.email, f"phone:{m.phone}") for m in team if m.phone][:limit]
    found = []
    for wanted in members:
        key = wanted.strip().lower()
        member = next((m for m in team if key and key in (m.email, m.name.strip().lower())), None)
        if member is None:
            raise NoTeamPhoneError(f"{wanted[:60]!r} is not on the team")
        if not member.phone:
            raise NoTeamPhoneError(f"{member.email} has no phone in the team config")
        found.append((member.email, f"phone:{member.phone}"))
    return found


class StopRefusedError(ValueError):
    """The campaign is not sending or scheduled: there is nothing to stop."""


class CancelRefusedError(ValueError):
    """The campaign has gone out, or was stopped: there is nothing to cancel."""


CANCELLABLE = ("draft", "reviewed", "scheduled", "sending", "failed", "cancelled")
"""The statuses a cancel moves to ``cancelled``; a sent or stopped campaign keeps its own."""


def shown_status(status: str) -> str:
    """A stored status as shown: ``done`` (of records written before ``sent``) is ``sent``."""
    return "sent" if status == "done" else status


def checked_reason(reason: Any) -> str:
    """A stop's reason: some words, without control characters; ValueError if not."""
    if not isinstance(reason, str) or not reason.strip() or len(reason) > MAX_REASON:
        raise ValueError(f"'reason' is a text of 1 to {MAX_REASON} characters")
    # No control character (C0, DEL or C1), and no line or paragraph separator either.
    if has_control_characters(reason, allowed="") or len(reason.splitlines()) > 1:
        raise ValueError("'reason' is one line of text")
    # Shown in a report's line: an override would turn the rest of it around.
    if any(c in reason for c in DIRECTION_CONTROLS):
        raise ValueError("'reason' holds a direction control (U+202A-202E, U+2066-2069)")
    if not shows_something(reason):
        raise ValueError("'reason' shows nothing: only spaces or invisible characters")
    return reason.strip()


@dataclass(frozen=True, slots=True)
class Page:
    """One page of a campaign's recipients; ``cursor`` reads on, None at the end."""

    items: list[dict[str, Any]]
    cursor: str | None


def parse_cursor(cursor: str | None) -> int:
    """Where a page starts; ValueError for a cursor this API did not give."""
    if not cursor:
        return 0
    if not (cursor.isascii() and cursor.isdigit()) or len(cursor) > 10:
        raise ValueError("'cursor' is the next_cursor of the page before")
    return int(cursor)


def recipient_of(member: str, state: str) -> dict[str, Any]:
    """A recipient as ``/recipients`` and a profile's campaigns show it."""
    run, _, key = member.partition("|")
    shown: dict[str, Any] = {"recipient": key, "run": int(run) if run.isdigit() else 0}
    parts = state.split("|")
    if parts[0] == "q" and len(parts) == 4:
        shown |= {"conversation": parts[1], "identity": parts[2], "profile": parts[3] or None}
    elif parts[0] == "s" and len(parts) in (2, 4):
        shown["reason"] = parts[1]
        if len(parts) == 4:
            shown |= {"identity": parts[2] or None, "profile": parts[3] or None}
    return shown


class CampaignView:
    """Reads of campaigns' recipients and their outcomes; the stop."""

    def __init__(
        self, store: NotificationStore, campaigns: CampaignStore, reader: AudienceReader
    ) -> None:
        self.store = store
        self.campaigns = campaigns
        self.reader = reader

    async def stop(self, nid: str, reason: str, by: str, now: float | None = None) -> str:
        """Stop a campaign that is sending or scheduled, or sent with sends still waiting
        in the outbox: no one more is queued, and what waits is withdrawn (the sender
        makes none of it); its status is ``stopped`` with the reason. The status before;
        StopRefusedError when there is nothing to stop."""
        now = time.time() if now is None else now
        fields = {"stop_reason": reason, "stopped_by": by[:100], "stopped_at": repr(now)}
        moved, before = await self.campaigns.transition(
            nid, ("sending", "scheduled", "failed"), "stopped", **fields
        )
        if not moved and shown_status(before) == "sent" and await self._in_flight(nid):
            moved, before = await self.campaigns.transition(nid, ("sent",), "stopped", **fields)
        if not moved:
            raise StopRefusedError(f"{nid} is {shown_status(before)}: there is nothing to stop")
        await self.end_runs(nid, "stopped", now)
        return before

    async def _in_flight(self, nid: str) -> bool:
        """Whether sends of the campaign wait in the outbox: queued, not yet made."""
        metas = await self.store.runs_meta([(nid, run) for run in await self.store.runs(nid)])
        done = ("sent", "failed", "withdrawn")
        return any(
            int(meta.get("queued", 0)) > sum(int(meta.get(name, 0)) for name in done)
            for meta in metas
        )

    async def end_runs(self, nid: str, status: str, now: float) -> None:
        """A campaign stopped or cancelled: its runs leave the schedule, and one under way
        ends ``status`` at ``now``; a run done (or failed) keeps its own status."""
        for run, _ in await self.store.scheduled(nid):
            await self.store.unschedule(nid, run)
        # A run under way says so, rather than sending for good: one waiting for its
        # deferred recipients (quiet hours) is not worked again to find out.
        for run in await self.store.runs(nid):
            if (await self.store.run_meta(nid, run)).get("status", "sending") == "sending":
                await self.store.set_run(nid, run, status=status, finished_at=repr(now))

    async def recipients(
        self, nid: str, spec: NotificationSpec, outcome: str, start: int, limit: int
    ) -> Page:
        """The recipients who reached ``outcome``, in the order they did, from ``start``."""
        if outcome == "unsubscribed":
            return await self._unsubscribed(nid, spec, start, limit)
        found, end, more = await self._outcome_page(nid, outcome, start, limit)
        members = [member for member, _ in found]
        states = await self.campaigns.states([(nid, m) for m in members])
        codes: list[str] = []
        if outcome == "failed":
            sends = [_send_of(nid, member) for member in members]
            codes = await self.campaigns.failure_codes(nid, sends)
        items = []
        for n, ((member, at), state) in enumerate(zip(found, states, strict=True)):
            item = recipient_of(member, state) | {"at": at}
            if outcome == "failed":
                item["error_code"] = codes[n] or None
            items.append(item)
        if outcome == "skipped":
            await self._name_skipped(items)
        return Page(items, str(end) if more else None)

    async def _outcome_page(
        self, nid: str, outcome: str, start: int, limit: int
    ) -> tuple[list[tuple[str, float]], int, bool]:
        """Up to ``limit`` recipients of ``outcome`` from ``start``, where the next page
        starts, and whether it holds any: one more than the page is read, so that a next
        page is known now, not from an empty one after it. The sent set keeps a send that
        failed after the channel took it: those are left out, and read past, so that a
        page is full while there are more."""
        page: list[tuple[str, float]] = []
        index = end = start
        while True:
            wanted = limit + 1 - len(page)
            found = await self.campaigns.page(nid, outcome, index, wanted)
            failed = [False] * len(found)
            if outcome == "sent":
                failed = await self.campaigns.failed_among(nid, [m for m, _ in found])
            for entry, gone in zip(found, failed, strict=True):
                index += 1
                if gone:
                    continue
                if len(page) == limit:  # one beyond the page: there is a next
                    return page, end, True
                page.append(entry)
                end = index
            if len(found) < wanted:
                return page, end, False

    async def _name_skipped(self, items: list[dict[str, Any]]) -> None:
        """A skipped recipient's conversation, identity and profile, as every other
        outcome's items carry them: from its conversation when it has one, else as its
        state kept them (the identity it would have gone to), else from its key
        (``p:<profile or identity>``); one round trip."""
        cids = [item["recipient"] for item in items if item["recipient"].startswith("c_")]
        metas = dict(zip(cids, await self.reader.conversations(cids), strict=True))
        for item in items:
            key = item["recipient"]
            if meta := metas.get(key):
                item |= {
                    "conversation": key,
                    "identity": meta.get("customer") or None,
                    "profile": meta.get("profile") or None,
                }
                continue
            named = key.partition(":")[2] if key.startswith("p:") else ""
            item.setdefault("identity", named if ":" in named else None)
            item.setdefault("profile", named if named.startswith("p_") else None)
            item["conversation"] = None  # a conversation that never began is not one

    async def _unsubscribed(self, nid: str, spec: NotificationSpec, start: int, limit: int) -> Page:
        """Recipients sent the campaign who have opted out since, or left its topic: read
        from the sent list a chunk at a time, as nothing marks them when they do."""
        items: list[dict[str, Any]] = []
        cursor = start
        for _ in range(SCAN_CHUNKS):
            found = await self.campaigns.page(nid, "sent", cursor, SCAN_CHUNK)
            if not found:
                return Page(items, None)
            members = [member for member, _ in found]
            states = await self.campaigns.states([(nid, m) for m in members])
            # ``at``: when it was sent to them; nothing says when they left it
            shown = [
                recipient_of(member, state) | {"at": at}
                for (member, at), state in zip(found, states, strict=True)
            ]
            left = await self.unsubscribed([spec.topic] * len(shown), shown)
            failed = await self.campaigns.failed_among(nid, members)
            for n, (item, gone) in enumerate(zip(shown, left, strict=True)):
                cursor += 1
                if gone and not failed[n]:
                    items.append(item)
                    if len(items) == limit:
                        more = n + 1 < len(found) or len(found) == SCAN_CHUNK
                        return Page(items, str(cursor) if more else None)
            if len(found) < SCAN_CHUNK:
                return Page(items, None)
        return Page(items, str(cursor))

    async def unsubscribed(
        self, topics: Sequence[str], shown: Sequence[dict[str, Any]]
    ) -> list[bool]:
        """Whether each recipient has opted out of the number, or out of its campaign's
        topic (``topics``, one a recipient; '' for none), by now; three round trips."""
        metas = await self.reader.conversations([item.get("conversation") or "-" for item in shown])
        profiles = [item.get("profile") or "" for item in shown]
        # The topics the person left, as the report counts them: a recipient merged since
        # left them on the profile they were merged into.
        roots, _ = await self.reader.roots(
            {p for p, topic in zip(profiles, topics, strict=True) if p and topic}, []
        )
        wanted = sorted({root for root in roots.values() if root})
        hashes = dict(zip(wanted, await self.reader.profiles_of(wanted), strict=True))
        left = [
            topics_of(hashes.get(roots.get(p, ""), {}).get("f:topics_off", "")) for p in profiles
        ]
        return [
            meta.get("opted_out") == "1" or bool(topic and topic in off)
            for meta, topic, off in zip(metas, topics, left, strict=True)
        ]

    async def of_profiles(
        self, profile_ids: Sequence[str], numbers: Sequence[str], limit: int
    ) -> list[dict[str, Any]]:
        """The campaigns queued to these profiles (one and those merged into it) on
        ``numbers``, the newest first, each with what the recipient did; a few round
        trips, whatever ``limit``."""
        received = await self.campaigns.received(profile_ids, limit)
        pairs = []
        for member, at in received:
            nid, _, rest = member.partition("|")
            pairs.append((nid, rest, at))
        records = await self.campaigns.records([nid for nid, _, _ in pairs])
        kept = [
            (pair, record)
            for pair, record in zip(pairs, records, strict=True)
            if record.get("number") in numbers and "spec" in record
        ]
        keys = [(nid, rest) for (nid, rest, _), _ in kept]
        outcomes = await self.campaigns.outcomes_of(keys)
        states = await self.campaigns.states(keys)
        specs = [NotificationSpec.from_json(record["spec"]) for _, record in kept]
        recipients = [
            recipient_of(rest, state) for (_, rest), state in zip(keys, states, strict=True)
        ]
        gone = await self.unsubscribed([spec.topic for spec in specs], recipients)
        shown = []
        for n, (((nid, _, at), record), reached) in enumerate(zip(kept, outcomes, strict=True)):
            spec, recipient = specs[n], recipients[n]
            did = {name: name in reached for name in ("sent", "delivered", "read", "failed")}
            did["sent"] = did["sent"] and not did["failed"]
            did |= {"clicked": "clicked" in reached, "unsubscribed": gone[n]}
            shown.append(
                {
                    "id": nid,
                    "number": record["number"],
                    "status": shown_status(record.get("status", "")),
                    "queued_at": at,
                    "service": spec.service,
                    "text": as_shown(spec.text) or None,
                    "template": spec.template.name if spec.template else None,
                    "conversation": recipient.get("conversation"),
                    "outcomes": did,
                    "at": {name: when for name, when in sorted(reached.items())},
                }
            )
        return shown

    async def response_entries(self, spec: NotificationSpec) -> list[str]:
        """The audience a campaign response chooses (``runs.response_entries``)."""
        return await response_entries(self.store, self.campaigns, spec)


def _send_of(nid: str, member: str) -> tuple[int, str]:
    """(run, send id) of a ``<run>|<recipient>``."""
    run, _, recipient = member.partition("|")
    number = int(run) if run.isdigit() else 0
    return number, send_id_of(nid, number, recipient)
