"""A drip sequence's reports (AU-4): each step's, as a campaign's report counts it (it is
one: the step's notification), the sequence's overall one, and its enrolments."""

from __future__ import annotations

from typing import Any

from bot.config.sequences import Sequence
from bot.outreach.audience import SKIP_REASONS
from bot.outreach.notifications import COUNTS, NotificationNotFoundError, amount
from bot.outreach.sequences import SequenceNotFoundError, Sequences, step_id

COUNTED = (*COUNTS, "clicked", "unsubscribed", "in_flight")


def definition(sequence: Sequence) -> dict[str, Any]:
    """A sequence as the API shows it."""
    trigger: dict[str, Any] = {sequence.trigger: sequence.trigger_value or True}
    return {
        "name": sequence.name,
        "number": sequence.number,
        "enabled": sequence.enabled,
        "trigger": trigger,
        "stop_on": sorted(sequence.stop_on),
        "topic": sequence.topic or None,
        "respect_quiet_hours": sequence.respect_quiet_hours,
        "steps": len(sequence.steps),
    }


class SequenceReports:
    """Reads the reports of the sequences' step notifications, and sums them."""

    def __init__(self, sequences: Sequences) -> None:
        self.sequences = sequences

    async def listing(self, numbers: list[str] | None = None) -> list[dict[str, Any]]:
        """Every sequence (on ``numbers``, when given): its definition and enrolments."""
        found = []
        for sequence in sorted(self.sequences.by_name.values(), key=lambda s: s.name):
            if numbers is not None and sequence.number not in numbers:
                continue
            enrolments = await self.sequences.enrolments(sequence.name)
            found.append(definition(sequence) | {"enrolments": enrolments})
        return found

    async def report(self, name: str, numbers: list[str] | None = None) -> dict[str, Any]:
        """Each step's report, the overall counts, skips and cost, and the enrolments;
        SequenceNotFoundError for a sequence that is not there (or not on ``numbers``)."""
        sequence = self.sequences.get(name)
        if numbers is not None and sequence.number not in numbers:
            raise SequenceNotFoundError(f"no sequence {name[:60]!r}")  # as a made-up name
        notifications = self.sequences.notifications
        dropped = await self.sequences.dropped(name)
        steps = []
        for index, step in enumerate(sequence.steps):
            nid = step_id(name, index)
            shown: dict[str, Any] = {
                "index": index,
                "name": step.name or f"step {index + 1}",
                "wait_seconds": step.wait,
                "notification": nid,
                "category": step.category,
            }
            if step.text:
                shown["text"] = step.text
            if step.template:
                shown["template"] = step.template.to_dict()
            try:
                report = await notifications.report(nid)
            except NotificationNotFoundError:  # never written: the sequence has not run
                report = _empty(notifications.rate_card.currency)
            ended = report.get("status") in ("cancelled", "stopped")
            if report.get("service"):  # the service the step goes out as, once written
                shown["service"] = report["service"]
            shown |= {
                "status": report["status"] if ended else "active",
                "not_sent": dropped[index],
                "counts": report["counts"],
                "skipped": report["skipped"],
                "cost": report["cost"],
                "runs": len(report["runs"]),
            }
            steps.append(shown)
        counts = {name: sum(s["counts"][name] for s in steps) for name in COUNTED}
        skipped = {reason: sum(s["skipped"][reason] for s in steps) for reason in SKIP_REASONS}
        spent = sum(round(s["cost"]["amount"] * 1_000_000) for s in steps)
        return definition(sequence) | {
            "enrolments": await self.sequences.enrolments(name),
            "counts": counts,
            "skipped": skipped,
            "cost": {"currency": notifications.rate_card.currency, "amount": amount(spent)},
            "not_sent": sum(dropped),
            "steps": steps,
        }


def _empty(currency: str) -> dict[str, Any]:
    return {
        "counts": dict.fromkeys(COUNTED, 0),
        "skipped": dict.fromkeys(SKIP_REASONS, 0),
        "cost": {"currency": currency, "amount": 0.0},
        "runs": [],
    }
