"""Workflow-triggered messages (AU-3): a service's event (``ticket.created`` with a phone,
a profile or a conversation) matches the configured rules, and each match becomes a
one-recipient notification, run at once, with the event's values filled in.

An event with an ``id`` is idempotent: posting it again sends nothing new, and answers
what the first post did.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

from bot.config.notifications import WorkflowRule
from bot.config.templates import sendable
from bot.model import derived_id, new_id
from bot.outreach.notifications import Notifications
from bot.outreach.runs import send_id_of
from bot.outreach.sequences import Sequences
from bot.outreach.spec import MAX_TEXT, parse_notification
from handlers.workflows import event_context, fill, matching_rules

HOLD_SECONDS = 60.0
"""The scheduler leaves a triggered message to the request that runs it for this long."""


@dataclass(slots=True)
class Triggered:
    """The answer to a workflow event."""

    matched_rules: int = 0
    sent: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    deferred: int = 0
    notifications: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "accepted": True,
            "matched_rules": self.matched_rules,
            "sent": self.sent,
            "skipped": self.skipped,
            "deferred": self.deferred,
            "notifications": self.notifications,
        }


@dataclass(frozen=True, slots=True)
class WorkflowEvent:
    """A service's event: its type, number, customer and data."""

    type: str
    number: str
    service: str
    data: dict[str, Any]
    customer: str = ""
    """An audience entry: ``c:<conversation>`` or ``p:<profile, identity or phone>``."""
    id: str = ""


class EventInProgressError(Exception):
    """The same event (by its id) is being handled by another post: its answer is not
    known yet."""


class EventIdReusedError(Exception):
    """An event's id was posted before with another type, customer or data: the first
    one's answer is not this one's."""


def fingerprint(event: WorkflowEvent) -> str:
    """What makes an event the same event posted again: its type, customer and data."""
    what = json.dumps([event.type, event.customer, event.data], sort_keys=True, default=str)
    return hashlib.sha256(what.encode()).hexdigest()[:32]


class Workflows:
    """Matches events to rules and sends what the rules say."""

    def __init__(
        self,
        rules: tuple[WorkflowRule, ...],
        notifications: Notifications,
        region: str,
    ) -> None:
        self.rules = rules
        self.notifications = notifications
        self.region = region
        self.sequences: Sequences | None = None
        """Drip sequences an event enrols the customer in, or converts them out of."""

    async def trigger(self, event: WorkflowEvent) -> Triggered:
        if event.id:  # whatever the rules make of it: one that matched none is kept too
            posted = fingerprint(event)
            key = derived_id("wfe", event.number, event.id)
            if await self.notifications.store.first_posted(key, posted) != posted:
                raise _reused(event)
        context = event_context(event.type, event.number, event.data, event.id)
        matched = matching_rules(self.rules, event.type, event.number, context)
        answer = Triggered(matched_rules=len(matched))
        for index, rule in matched:
            await self._send(event, index, rule, context, answer)
        if self.sequences is not None:
            await self.sequences.on_event(event.type, event.number, event.customer)
        return answer

    async def _send(
        self,
        event: WorkflowEvent,
        index: int,
        rule: WorkflowRule,
        context: dict[str, Any],
        answer: Triggered,
    ) -> None:
        if not event.customer:
            answer.skipped.append("no_channel")
            return
        # The event's values now; {profile.…} ones per recipient, when the run decides.
        # One the event lacks is left for the run too, which finds it missing there:
        # after the reasons that come before it (an erased customer is "suppressed").
        _, missing = fill(rule.text, context, keep=("profile",))
        if rule.template is not None:
            for variable in rule.template.variables:
                missing += fill(variable, context, keep=("profile",))[1]
        keep = ("profile", *{name.split(".", 1)[0] for name in missing})
        text, _ = fill(rule.text, context, keep=keep)
        if len(text) > MAX_TEXT:  # the event's values, whole, make it past any channel's
            answer.skipped.append("too_long")
            return
        body: dict[str, Any] = {
            "number": event.number,
            "text": text,
            "audience": _audience(event.customer),
            "respect_quiet_hours": rule.respect_quiet_hours,
        }
        if rule.topic:
            body["topic"] = rule.topic
        if rule.template is not None:
            values = [fill(v, context, keep=keep) for v in rule.template.variables]
            # The event's values as Meta takes them: the rule's own were checked.
            filled = [sendable(v) for v, _ in values]
            body["template"] = rule.template.to_dict() | {"variables": filled}
        if any(not v.strip() for v in body.get("template", {}).get("variables", [])):
            answer.skipped.append("missing_variable")
            return
        spec, entries = parse_notification(
            body,
            service=event.service,
            region=self.region,
            zone=self.notifications.settings.timezone,
        )
        nid = derived_id("ntf", event.number, event.id, str(index)) if event.id else ""
        origin = fingerprint(event) if event.id else ""
        created = await self.notifications.create(
            spec, entries, nid=nid or new_id("ntf"), hold=HOLD_SECONDS, origin=origin
        )
        if not created.new and origin:
            made_by = (await self.notifications.store.record(created.id)).get("origin")
            if made_by and made_by != origin:
                raise _reused(event)
        answer.notifications.append(created.id)
        store = self.notifications.store
        # What the run did is read back, not taken from this post's own work: the same event
        # posted at once by another request may have done it (or still be doing it).
        runs = [int(created.first_run)] if created.new else await store.runs(created.id)
        busy = EventInProgressError(
            f"event {event.id!r} is being handled: post it again for its answer"
        )
        if not runs:  # made by another post, which has not started its run yet
            raise busy
        for run in runs:
            if (await self.notifications.runs.execute(created.id, run)).busy:
                raise busy
            for key, state in await store.recipients(created.id, run):
                kind, _, rest = state.partition("|")
                if kind == "q":
                    answer.sent.append(send_id_of(created.id, run, key))
                elif kind == "s":
                    answer.skipped.append(rest.partition("|")[0])
                elif kind == "d":
                    answer.deferred += 1


def _reused(event: WorkflowEvent) -> EventIdReusedError:
    return EventIdReusedError(
        f"event id {event.id!r} was posted before with another type, customer or data: "
        "give this event an id of its own"
    )


def _audience(customer: str) -> dict[str, list[str]]:
    kind, _, value = customer.partition(":")
    return {"conversations" if kind == "c" else "profiles": [value]}
