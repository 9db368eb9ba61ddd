"""The team's ``/notify`` and ``/stats`` (OPS-1): send or schedule a notification to a
topic, a filter or a list, read its report, cancel it; and each number's counts and
running cost. The CLI's ``admin notify`` builds the same request."""

from __future__ import annotations

import shlex
import time
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from bot.config.base import on_the_clock
from bot.model import number_named
from handlers.command_kit import (
    IDENTITY,
    Argument,
    Command,
    Spec,
    UsageError,
    counted,
    hidden_in,
    names_a_person,
    one_line,
    split_arguments,
    without_identities,
)
from handlers.ports import Caller, DeskPort, NotifyPort, RefusedError, Scheduled

TEAM_SERVICE = "team"
NOTIFY_USAGE = (
    "/notify <number> topic=<t>|filter=<field>=<value>|filter=<campaign>:<read,!clicked…>"
    "|conversations=<c,…>|profiles=<p,…> "
    '[at=<YYYY-MM-DDTHH:MM>] [cron="<m h dom mon dow>"] [template=<name>:<lang>:<category>] '
    "[category=marketing] [quiet=off] [draft] <text…> | /notify report|review|send|cancel <id> "
    "| /notify test <id> [member…] | /notify stop <id> <reason…> "
    "| /notify recipients <id> [sent|delivered|read|failed|clicked|unsubscribed|skipped] [cursor] "
    "| /notify profile <profile>"
)
OUTCOMES = ("sent", "delivered", "read", "failed", "clicked", "unsubscribed", "skipped")
AUDIENCES = ("topic", "filter", "conversations", "profiles")
OPTIONS = (*AUDIENCES, "at", "cron", "template", "category", "quiet")
QUIET_WORDS = {"off": False, "no": False, "false": False, "on": True, "yes": True, "true": True}
"""``quiet=``: whether the send keeps the recipients' quiet hours."""


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
    elif kind == "filter" and value.startswith("ntf_"):
        audience = {"filter": response_filter(value)}
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
        word = options["quiet"].lower()
        if word not in QUIET_WORDS:
            raise ValueError(f"quiet=off or quiet=on, not quiet={options['quiet'][:40]}")
        body["respect_quiet_hours"] = QUIET_WORDS[word]
    if "cron" in options:
        body["cron"] = options["cron"]
    if "at" in options:
        body["at"] = local_time(options["at"], zone)
    return body


def response_filter(value: str) -> dict[str, Any]:
    """``ntf_0193ab:read,!clicked`` as the API's ``{"campaign": "ntf_0193ab", "read": true,
    "clicked": false}``: the recipients of that campaign who read it and did not click."""
    campaign, _, outcomes = value.partition(":")
    chosen: dict[str, Any] = {"campaign": campaign}
    for word in outcomes.split(","):
        if word.strip():
            chosen[word.strip().lstrip("!")] = not word.strip().startswith("!")
    return chosen


def local_time(text: str, zone: str) -> float:
    """An ISO date and time; without an offset, in the deployment's zone."""
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(f"{text[:40]!r} is not a time like 2026-12-01T09:00") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=ZoneInfo(zone))
        if not on_the_clock(moment):
            raise ValueError(
                f"{text[:40]} is no time in {zone}: the clocks skip it (summer time starts); "
                "give a time after the change"
            )
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
    withdrawn = f"withdrawn {counts['withdrawn']:,}, " if counts.get("withdrawn") else ""
    lines = [
        head,
        f"recipients {counts['recipients']:,}: queued {counts['queued']:,}, "
        f"deferred {counts['deferred']:,}, skipped {sum(skipped.values()):,}"
        + (f" ({reasons})" if reasons else ""),
        f"sent {counts['sent']:,}, delivered {counts['delivered']:,}, read {counts['read']:,}, "
        f"failed {counts['failed']:,}, {withdrawn}in flight {counts['in_flight']:,}; "
        f"clicked {counts['clicked']:,}, unsubscribed {counts['unsubscribed']:,}",
        f"cost {report['cost']['currency']} {report['cost']['amount']:.4f}",
    ]
    stop = report.get("stop")
    if stop:
        # One line, whatever was stored before a reason had to be one.
        reason = one_line(str(stop["reason"]))
        lines.append(f"stopped by {stop['by'] or '?'} at {when(stop['at'])}: {reason}")
    return "\n".join(lines)


def describe_review(review: dict[str, Any]) -> str:
    """A draft's review in a few lines of plain text."""
    skipped = review["skipped"]
    reasons = ", ".join(f"{reason} {n:,}" for reason, n in skipped.items() if n)
    topics = ", ".join(f"{topic} {n:,}" for topic, n in review["topic_conflicts"].items() if n)
    cost = review["cost"]
    by_country = ", ".join(f"+{cc} {spent:.4f}" for cc, spent in cost["by_country"].items())
    lines = [
        f"{review['id']} ({review['number']}): reviewed {when(review['reviewed_at'])}"
        + ("" if review["status"] == "reviewed" else f", {review['status']}"),
        f"recipients {review['recipients']:,}: eligible {review['eligible']:,} "
        f"(in quiet hours now {review['deferred']:,}), skipped {sum(skipped.values()):,}"
        + (f" ({reasons})" if reasons else "")
        + (f"; topic conflicts: {topics}" if topics else ""),
        f"estimated cost {cost['currency']} {cost['amount']:.4f}"
        + (f" ({by_country})" if by_country else ""),
    ]
    consent = review.get("consent")
    if consent:
        bases = ", ".join(f"{basis} {n:,}" for basis, n in consent["by_basis"].items())
        line = f"consent of the eligible: {bases or 'none eligible'}"
        if consent["required"]:
            line += f"; marketing needs it: no_consent {consent['no_consent']:,} skipped"
        lines.append(line)
    return "\n".join(lines)


def describe_test(nid: str, sends: list[dict[str, str]]) -> str:
    """What became of each send of a test."""
    shown = [
        f"{send['to'].partition(':')[2]}: "
        + (f"sent as {send['id']}" if "id" in send else f"skipped, {send['skipped']}")
        for send in sends
    ]
    return f"Test of {nid}, marked [test] and not counted:\n" + "\n".join(shown)


def describe_recipients(
    nid: str, status: str, items: list[dict[str, Any]], cursor: str | None
) -> str:
    """A page of a campaign's recipients of one outcome."""
    if not items:
        return f"No recipients of {nid} are {status}."
    lines = [f"{nid}, {status}:"]
    for item in items:
        who = item.get("identity") or item["recipient"]
        line = f"{who} {item.get('profile') or ''}".rstrip()
        if item.get("at"):
            line += f" at {when(item['at'])}"
        if item.get("reason"):
            line += f" ({item['reason']})"
        if item.get("error_code"):
            line += f" (error {item['error_code']})"
        lines.append(line)
    if cursor:
        lines.append(f"More: /notify recipients {nid} {status} {cursor}")
    return "\n".join(lines)


def describe_campaigns(profile_id: str, campaigns: list[dict[str, Any]]) -> str:
    """The campaigns a profile got, and what it did with each."""
    if not campaigns:
        return f"{profile_id} has had no campaign."
    lines = [f"Campaigns of {profile_id}:"]
    for item in campaigns:
        did = [name for name, done in item["outcomes"].items() if done]
        lines.append(
            f"{item['id']} ({item['number']}, {item['status']}) queued "
            f"{when(item['queued_at'])}: {', '.join(did) or 'queued'}"
        )
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
            f"{item['number']}: {counted(item['conversations'], 'conversation')}; "
            f"{counted(item['notifications'], 'notification')}: "
            f"{counted(c['recipients'], 'recipient')}, "
            f"{c['sent']:,} sent, {c['delivered']:,} delivered, {c['read']:,} read, "
            f"{c['failed']:,} failed, {c['skipped']:,} skipped, {c['deferred']:,} deferred; "
            f"cost {cost['currency']} {cost['total']:.4f}"
            + (f" ({categories})" if categories else "")
        )
    return "\n".join(lines)


FOLLOW_UPS = ("report", "review", "send", "cancel", "test", "recipients")
"""The /notify verbs whose words are ids, members and outcomes: all kept as typed."""
NOT_DONE = {
    "report": "Not shown",
    "recipients": "Not shown",
    "review": "Not reviewed",
    "send": "Not sent",
    "test": "Not tested",
    "stop": "Not stopped",
    "cancel": "Not cancelled",
}
"""How each follow-up's refusal starts, when its campaign is on a number the team left."""


@dataclass(frozen=True, slots=True)
class NotifySpec(Spec):
    """/notify's first word, then the rest of the line as typed (its options are split
    here, its text goes as it is); the audit trail keeps its ids, and of the rest no
    identity and no text."""

    def _hidden_words(self, args: list[str], numbers: Collection[str]) -> list[str]:
        """The words of a follow-up that name a customer (typed where an id was asked for);
        a test's members (emails) stay."""
        if len(args) < 2 or args[0] not in FOLLOW_UPS:
            return []
        return [
            word
            for word in _words(args[1])
            if names_a_person(word, numbers) and not (args[0] == "test" and "@" in word)
        ]

    def audited(self, args: list[str], numbers: Collection[str] = ()) -> list[str]:
        if len(args) < 2:
            return list(args)
        first, rest = args[0], args[1]
        if first in FOLLOW_UPS:
            hidden = self._hidden_words(args, numbers)
            return [first, *(IDENTITY if w in hidden else w for w in _words(rest))]
        if first == "stop":
            nid, _, reason = rest.strip().partition(" ")
            return [first, nid, f"<{len(reason.strip())} characters>"]
        if first == "profile":
            return [first, rest if rest.startswith(("p_", "c_")) else IDENTITY]
        try:
            options, draft, text = options_and_text(rest)
        except ValueError:
            return [first, f"<{len(rest)} characters>"]
        shown = [f"{name}={_audited_option(name, value)}" for name, value in options.items()]
        return [first, *shown, *(["draft"] if draft else []), f"<{len(text)} characters>"]

    def audited_outcome(self, args: list[str], outcome: str, numbers: Collection[str] = ()) -> str:
        if args[:1] == ["profile"] and len(args) > 1 and args[1]:
            outcome = hidden_in(outcome, args[1])
        for word in self._hidden_words(args, numbers):
            outcome = hidden_in(outcome, word)
        for value in self._hidden_values(args, numbers):
            outcome = hidden_in(outcome, value)
        return without_identities(outcome)

    def _hidden_values(self, args: list[str], numbers: Collection[str]) -> list[str]:
        """The options' values that name a person (a phone typed for a conversation id):
        ``audited`` hides them, and a refusal may quote them."""
        if len(args) < 2 or args[0] in FOLLOW_UPS or args[0] in ("stop", "profile"):
            return []
        try:
            options, _, _ = options_and_text(args[1])
        except ValueError:
            return []
        values = [
            value.partition("=")[2] if name == "filter" else value
            for name, value in options.items()
            if name in ("profiles", "conversations", "filter")
        ]
        return [v for value in values for v in value.split(",") if names_a_person(v, numbers)]


def _words(text: str) -> list[str]:
    try:
        return split_arguments(text)
    except ValueError:
        return [f"<{len(text)} characters>"]


def _audited_option(name: str, value: str) -> str:
    """An option's value as the audit trail keeps it: ids as they are, no identity and no
    filter's value (an email, a phone)."""
    if name in ("profiles", "conversations"):
        return ",".join(v if v.startswith(("p_", "c_")) else IDENTITY for v in value.split(","))
    if name == "filter":
        field, sep, _ = value.partition("=")
        return f"{field}=<value>" if sep else value
    return value


def options_and_text(line: str) -> tuple[dict[str, str], bool, str]:
    """The options at the start of /notify's line (``topic=offers``, ``cron="0 9 * * 1"``,
    ``draft``), and its text as typed: line breaks, spacing, quotes and apostrophes kept;
    a text that is one quoted whole loses its quotes. ValueError for an option whose
    quotes do not close."""
    options: dict[str, str] = {}
    draft = False
    rest = line.strip()
    while rest:
        head = rest.split(None, 1)[0]
        name = head.partition("=")[0]
        if head == "draft":
            draft, rest = True, rest[len(head) :].lstrip()
        elif "=" in head and name in OPTIONS:
            if name in options:  # which one was meant is not guessed on a live send
                raise ValueError(f"{name}= is given twice: give it once")
            token, *more = split_arguments(rest, 1)
            options[name] = token.partition("=")[2]
            rest = more[0] if more else ""
        else:
            break
    return options, draft, _unquoted(rest)


def _unquoted(text: str) -> str:
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "\"'":
        try:
            words = shlex.split(text)
        except ValueError:
            return text
        if len(words) == 1:
            return words[0]
    return text


SPECS: tuple[Spec, ...] = (
    NotifySpec(
        "notify",
        NOTIFY_USAGE,
        "draft, review, test, send, stop or cancel a campaign; its report, its recipients "
        "by outcome, and a profile's campaigns",
        "agent",
        raw_after=1,
    ),
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
CAMPAIGN_SPECS: tuple[Spec, ...] = (
    Spec(
        "notify-test",
        "/notify test <id> [member…]",
        "send a campaign's test to team members' phones, marked [test] and not counted",
        "agent",
        arguments=(
            Argument("id", "the campaign, ntf_..."),
            Argument(
                "member",
                "team members by email or name (default: those with a phone in the config)",
                "*",
            ),
        ),
        example="ntf_0193ab ann@example.com",
    ),
    Spec(
        "notify-stop",
        "/notify stop <id> <reason…>",
        "stop a sending or scheduled campaign, with the reason",
        "agent",
        arguments=(
            Argument("id", "the campaign, ntf_..."),
            Argument("reason", "why, in a few words", "+"),
        ),
        example='ntf_0193ab "the price in it is wrong"',
    ),
    Spec(
        "notify-recipients",
        "/notify recipients <id> [outcome] [cursor]",
        "a campaign's recipients by outcome, a page at a time",
        "agent",
        arguments=(
            Argument("id", "the campaign, ntf_..."),
            Argument("outcome", "what they did (default: sent)", "?", OUTCOMES),
            Argument("cursor", "where the page before said to go on", "?"),
        ),
        example="ntf_0193ab read",
    ),
    Spec(
        "notify-profile",
        "/notify profile <profile>",
        "the campaigns a profile got, and what it did with each",
        "agent",
        arguments=(Argument("profile", "a profile id or identity, e.g. phone:+447700900123"),),
        example="phone:+447700900123",
    ),
)
"""The campaign's test, stop and follow-up, as the command line's ``admin notify-...``
commands declare them; the team chat's are ``/notify test|stop|recipients|profile``."""


class NotifyCommands:
    """``/notify`` and ``/stats`` over the notifications port; the team acts (as /reply
    does) on the numbers the desk says it is attached to."""

    def __init__(self, notifications: NotifyPort, desk: DeskPort) -> None:
        self.notifications = notifications
        self.desk = desk
        self.numbers = desk.numbers

    def commands(self) -> list[Command]:
        return [Command(spec, getattr(self, f"_{spec.name}")) for spec in SPECS]

    async def _number(self, given: str) -> str:
        """A number, or the one number that starts with ``given`` (``wa`` for WhatsApp)."""
        found = number_named(await self.numbers(), given)
        if not found:
            raise RefusedError(f"No number {given[:60]!r}; /stats lists them.")
        return found

    async def _notify(self, caller: Caller, args: list[str]) -> str:
        if len(args) < 2:
            raise UsageError
        first, rest = args
        if first in ("test", "recipients", "profile"):
            return await self._follow(caller, [first, *split_arguments(rest)])
        if first == "stop":  # its reason as typed
            return await self._follow(caller, [first, *split_arguments(rest, 1)])
        if first in ("report", "review", "send", "cancel"):
            words = split_arguments(rest)
            if len(words) != 1:
                raise UsageError
            (nid,) = words
            await self._ours(first, nid)
            if first == "cancel":
                await self.notifications.cancel(nid)
                return f"Cancelled {nid}: no further runs."
            if first == "review":
                review = await self.notifications.review(nid)
                return describe_review(review) + f"\n/notify send {nid} sends it to them."
            if first == "send":
                return _sent(await self.notifications.send(nid))
            return describe_report(await self.notifications.report(nid))
        number = await self._number(first)
        options, draft, text = options_and_text(rest)
        later = "at" in options or "cron" in options
        refused = "Not drafted" if draft else "Not scheduled" if later else "Not sent"
        await self.desk.acting_on(number, refused, sending=True)
        zone = self.notifications.timezone
        body = notification_body(number, options, text, zone)
        if draft:
            body["draft"] = True
        created = await self.notifications.create_from(body, TEAM_SERVICE)
        if created.status == "draft":
            return f"Drafted {created.id}: /notify review {created.id} before sending it."
        return _sent(created)

    async def _follow(self, caller: Caller, args: list[str]) -> str:
        """/notify test, stop, recipients and profile: a campaign tested and followed."""
        verb, rest = args[0], args[1:]
        if not rest:
            raise UsageError
        nid = rest[0]
        if verb != "profile":
            await self._ours(verb, nid)
        if verb == "test":
            if len(rest) > 6:
                raise UsageError
            return describe_test(nid, await self.notifications.test(nid, rest[1:]))
        if verb == "stop":
            reason = " ".join(rest[1:]).strip()
            if not reason:
                raise RefusedError(f"Say why: /notify stop {nid[:40]} <reason>")
            if len(reason) > 300:
                raise RefusedError("The reason is at most 300 characters.")
            report = await self.notifications.stop(nid, reason, caller.name)
            return f"Stopped {nid}: no one more is queued.\n" + describe_report(report)
        if verb == "recipients":
            if len(rest) > 3:
                raise UsageError
            status = rest[1] if len(rest) > 1 else "sent"
            if status not in OUTCOMES:
                raise RefusedError(f"{status[:40]!r} is none of {', '.join(OUTCOMES)}.")
            items, cursor = await self.notifications.recipients(
                nid, status, rest[2] if len(rest) > 2 else ""
            )
            return describe_recipients(nid, status, items, cursor)
        if len(rest) != 1:
            raise UsageError
        found = await self.notifications.campaigns_of(nid, await self.desk.team_numbers())
        return describe_campaigns(*found)

    async def _ours(self, verb: str, nid: str) -> None:
        """RefusedError unless the campaign is on a number the team acts on; what sends
        (its send, its test) needs a service attached there too, as /reply does."""
        number = await self.notifications.number_of(nid)
        await self.desk.acting_on(number, NOT_DONE[verb], sending=verb in ("send", "test"))

    async def _stats(self, caller: Caller, args: list[str]) -> str:
        """Each number the team is attached to (as /inbox shows), or the one named."""
        if len(args) > 1:
            raise UsageError
        if not args:
            numbers = await self.desk.team_numbers()
            if not numbers:
                return "The team is attached to no number."
        else:
            numbers = [await self._number(args[0])]
            await self.desk.acting_on(numbers[0], "Not shown", sending=False)
        return describe_stats(await self.notifications.stats(numbers))


def _sent(created: Scheduled) -> str:
    if created.status == "sending":
        return f"Sending {created.id} now. /notify report {created.id} for its counts."
    return f"Scheduled {created.id} for {when(created.first_run)}."
