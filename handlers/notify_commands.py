"""The team's ``/notify`` and ``/stats`` (OPS-1): send or schedule a notification to a
topic, a filter or a list, read its report, cancel it; and each number's counts and
running cost. The CLI's ``admin notify`` builds the same request."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from handlers.command_kit import Argument, Command, Spec, UsageError
from handlers.ports import Caller, NotifyPort, RefusedError, Scheduled

TEAM_SERVICE = "team"
NOTIFY_USAGE = (
    "/notify <number> topic=<t>|filter=<field>=<value>|conversations=<c,…>|profiles=<p,…> "
    '[at=<YYYY-MM-DDTHH:MM>] [cron="<m h dom mon dow>"] [template=<name>:<lang>:<category>] '
    "[category=marketing] [quiet=off] [draft] <text…> | /notify report|review|send|cancel <id>"
)
AUDIENCES = ("topic", "filter", "conversations", "profiles")
OPTIONS = (*AUDIENCES, "at", "cron", "template", "category", "quiet")


def notification_body(number: str, options: dict[str, str], text: str, zone: str) -> dict[str, Any]:
    """The API's JSON for what a command line (or the CLI) asks; ValueError if unclear."""
    audiences = [
        name for name in ("topic", "filter", "conversations", "profiles") if name in options
    ]
    if len(audiences) != 1:
        raise ValueError("name one audience: topic=, filter=, conversations= or profiles=")
    kind = audiences[0]
    value = options[kind]
    audience: dict[str, Any]
    if kind == "topic":
        audience = {"topic": value}
    elif kind == "filter":
        field, sep, equals = value.partition("=")
        if not sep:
            raise ValueError("filter=<field>=<value>, e.g. filter=city=Leeds")
        audience = {"filter": {"field": field, "equals": equals}}
    else:
        audience = {kind: [item for item in value.split(",") if item.strip()]}
    body: dict[str, Any] = {"number": number, "audience": audience}
    if text:
        body["text"] = text
    if "template" in options:
        parts = options["template"].split(":")
        if len(parts) != 3:
            raise ValueError("template=<name>:<language>:<category>, e.g. sale:en:marketing")
        body["template"] = {"name": parts[0], "language": parts[1], "category": parts[2]}
    if "category" in options:
        body["category"] = options["category"]
    if "quiet" in options:
        body["respect_quiet_hours"] = options["quiet"].lower() not in ("off", "no", "false")
    if "cron" in options:
        body["cron"] = options["cron"]
    if "at" in options:
        body["at"] = local_time(options["at"], zone)
    return body


def local_time(text: str, zone: str) -> float:
    """An ISO date and time; without an offset, in the deployment's zone."""
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(f"{text[:40]!r} is not a time like 2026-12-01T09:00") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=ZoneInfo(zone))
    return moment.timestamp()


def when(moment: float | None) -> str:
    return time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(moment)) if moment else "-"


def describe_report(report: dict[str, Any]) -> str:
    """A notification's report in a few lines of plain text."""
    counts, skipped = report["counts"], report["skipped"]
    scope = f", topic {report['topic']}" if report["topic"] else ""
    head = f"{report['id']} ({report['number']}{scope}): {report['status']}"
    if report.get("next_at"):
        head += f", next {when(report['next_at'])}"
    reasons = ", ".join(f"{reason} {n:,}" for reason, n in skipped.items() if n)
    lines = [
        head,
        f"recipients {counts['recipients']:,}: queued {counts['queued']:,}, "
        f"deferred {counts['deferred']:,}, skipped {sum(skipped.values()):,}"
        + (f" ({reasons})" if reasons else ""),
        f"sent {counts['sent']:,}, delivered {counts['delivered']:,}, read {counts['read']:,}, "
        f"failed {counts['failed']:,}, in flight {counts['in_flight']:,}; "
        f"clicked {counts['clicked']:,}, unsubscribed {counts['unsubscribed']:,}",
        f"cost {report['cost']['currency']} {report['cost']['amount']:.4f}",
    ]
    return "\n".join(lines)


def describe_review(review: dict[str, Any]) -> str:
    """A draft's review in a few lines of plain text."""
    skipped = review["skipped"]
    reasons = ", ".join(f"{reason} {n:,}" for reason, n in skipped.items() if n)
    topics = ", ".join(f"{topic} {n:,}" for topic, n in review["topic_conflicts"].items() if n)
    cost = review["cost"]
    by_country = ", ".join(f"+{cc} {spent:.4f}" for cc, spent in cost["by_country"].items())
    lines = [
        f"{review['id']} ({review['number']}): {review['status']}, "
        f"reviewed {when(review['reviewed_at'])}",
        f"recipients {review['recipients']:,}: eligible {review['eligible']:,} "
        f"(in quiet hours now {review['deferred']:,}), skipped {sum(skipped.values()):,}"
        + (f" ({reasons})" if reasons else "")
        + (f"; topic conflicts: {topics}" if topics else ""),
        f"estimated cost {cost['currency']} {cost['amount']:.4f}"
        + (f" ({by_country})" if by_country else ""),
    ]
    return "\n".join(lines)


def describe_stats(stats: list[dict[str, Any]]) -> str:
    lines = []
    for item in stats:
        c, cost = item["counts"], item["cost"]
        categories = ", ".join(
            f"{name} {spent['amount']:.4f} for {spent['messages']:,}"
            + (f" ({spent['free']:,} free)" if spent["free"] else "")
            for name, spent in cost["by_category"].items()
        )
        lines.append(
            f"{item['number']}: {item['conversations']:,} conversations; "
            f"{item['notifications']:,} notifications: {c['recipients']:,} recipients, "
            f"{c['sent']:,} sent, {c['delivered']:,} delivered, {c['read']:,} read, "
            f"{c['failed']:,} failed, {c['skipped']:,} skipped, {c['deferred']:,} deferred; "
            f"cost {cost['currency']} {cost['total']:.4f}"
            + (f" ({categories})" if categories else "")
        )
    return "\n".join(lines)


SPECS: tuple[Spec, ...] = (
    Spec("notify", NOTIFY_USAGE, "send or schedule a notification; its report; cancel it", "agent"),
    Spec(
        "stats",
        "/stats [number]",
        "each number's conversations, notifications and running cost",
        "viewer",
        arguments=(Argument("number", "only this number, or its start: wa (default: all)", "?"),),
        example="wa",
    ),
)
"""/notify (the command line's ``admin notify`` has options of its own) and /stats."""


class NotifyCommands:
    """``/notify`` and ``/stats`` over the notifications port."""

    def __init__(
        self, notifications: NotifyPort, numbers: Callable[[], Awaitable[list[str]]]
    ) -> None:
        self.notifications = notifications
        self.numbers = numbers

    def commands(self) -> list[Command]:
        return [Command(spec, getattr(self, f"_{spec.name}")) for spec in SPECS]

    async def _number(self, given: str) -> str:
        """A number, or the one number that starts with ``given`` (``wa`` for WhatsApp)."""
        numbers = await self.numbers()
        if given in numbers:
            return given
        found = [number for number in numbers if number.startswith(given)]
        if len(found) != 1:
            raise RefusedError(f"No number {given[:60]!r}; /stats lists them.")
        return found[0]

    async def _notify(self, caller: Caller, args: list[str]) -> str:
        if len(args) == 2 and args[0] in ("report", "review", "send", "cancel"):
            if args[0] == "cancel":
                await self.notifications.cancel(args[1])
                return f"Cancelled {args[1]}: no further runs."
            if args[0] == "review":
                review = await self.notifications.review(args[1])
                return describe_review(review) + f"\n/notify send {args[1]} sends it to them."
            if args[0] == "send":
                return _sent(await self.notifications.send(args[1]))
            return describe_report(await self.notifications.report(args[1]))
        if len(args) < 2:
            raise UsageError
        number = await self._number(args[0])
        options: dict[str, str] = {}
        rest = args[1:]
        draft = False
        while rest and (
            rest[0] == "draft" or (rest[0].partition("=")[0] in OPTIONS and "=" in rest[0])
        ):
            name, _, value = rest.pop(0).partition("=")
            if name == "draft":
                draft = True
            else:
                options[name] = value
        zone = self.notifications.timezone
        body = notification_body(number, options, " ".join(rest), zone)
        if draft:
            body["draft"] = True
        created = await self.notifications.create_from(body, TEAM_SERVICE)
        if created.status == "draft":
            return f"Drafted {created.id}: /notify review {created.id} before sending it."
        return _sent(created)

    async def _stats(self, caller: Caller, args: list[str]) -> str:
        if len(args) > 1:
            raise UsageError
        numbers = [await self._number(args[0])] if args else await self.numbers()
        return describe_stats(await self.notifications.stats(numbers))


def _sent(created: Scheduled) -> str:
    if created.status == "sending":
        return f"Sending {created.id} now. /notify report {created.id} for its counts."
    return f"Scheduled {created.id} for {when(created.first_run)}."
