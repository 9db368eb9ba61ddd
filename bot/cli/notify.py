"""``python bot.py admin notify ...`` and ``admin notify-report ID``: a notification from the
command line. One due now is queued here, with a progress bar, and the running bot sends
it; one for later is put on the schedule."""

from __future__ import annotations

import argparse
import os
import sys
import time
from datetime import datetime

from bot.cli.helptext import Paragraphs, add_spec_arguments, examples
from bot.cli.progress import Progress
from bot.cli.runtimes import runtime_of_the_running
from bot.cli.terminal import printable
from bot.config.settings import Settings
from bot.identities import parse_identity
from bot.outreach.campaigns import NoTeamPhoneError, StopRefusedError, checked_reason
from bot.outreach.drafts import NotificationStateError
from bot.outreach.notifications import NotificationNotFoundError
from bot.outreach.spec import parse_notification
from bot.outreach.team import TeamNotifications
from bot.runtime import Runtime
from handlers.command_kit import OPERATOR, Spec
from handlers.notify_commands import (
    CAMPAIGN_SPECS,
    describe_campaigns,
    describe_recipients,
    describe_report,
    describe_review,
    describe_test,
    notification_body,
    when,
)
from handlers.ports import RefusedError

NOTIFY_COMMANDS = {
    "notify": "send or schedule a notification to a topic, a filter or a list",
    "notify-report": "a notification's report: counts, skipped recipients, cost",
    "notify-review": "review a draft: recipients, eligible, skipped by reason, estimated cost",
    "notify-send": "send a reviewed draft to the recipients its review froze",
    "notify-cancel": "cancel a notification: a draft, or a schedule's runs to come",
    **{spec.name: spec.summary for spec in CAMPAIGN_SPECS},
}
FOLLOW = {spec.name: spec for spec in CAMPAIGN_SPECS}
MORE = {
    "notify-test": "The message goes as each team member would get it (the same checks: "
    "opted out, the 24-hour window), as a text marked [test]. It is not in the campaign's "
    "report. A member's phone is 'phone:' in the team config; --to adds numbers. At most 5.",
    "notify-stop": "No one more is queued; what is queued already still goes. The report "
    "shows the campaign as stopped, by whom, when and why.",
    "notify-recipients": "Each line: the recipient, their profile, when they got there "
    "(the reason of a skip, the provider's error code of a failure). 'unsubscribed' lists "
    "those sent the campaign who have opted out or left its topic since.",
    "notify-profile": "Each line: the campaign, its number and status, when it was queued "
    "to the profile, and what the profile did: sent, delivered, read, failed, clicked, "
    "unsubscribed.",
}
HOLD_SECONDS = 300.0
"""The running bot's scheduler leaves a notification queued here to this process this long."""

_LATER = datetime.now().year + 1
"""The year of the examples' times to come: an example that names a time is one to come,
whenever it is read."""


def add_notify_parser(
    admin: argparse._SubParsersAction[argparse.ArgumentParser], name: str, prog: str
) -> None:
    raw = Paragraphs
    if name in FOLLOW:
        _add_follow_parser(admin, FOLLOW[name], prog)
        return
    if name in ("notify-review", "notify-send"):
        review = admin.add_parser(
            name,
            help=NOTIFY_COMMANDS[name],
            description="A draft (admin notify --draft) is reviewed before it is sent: the "
            "review decides its audience, queueing nothing, and freezes the eligible "
            "recipients; the send goes to exactly those (an opt-out since is still honoured).",
            epilog=examples(prog, f"admin {name} ntf_0193ab"),
            formatter_class=raw,
        )
        review.add_argument("id", metavar="ID", help="the draft, ntf_...")
        return
    if name == "notify-cancel":
        cancel = admin.add_parser(
            name,
            help=NOTIFY_COMMANDS[name],
            description="No further runs: a draft is dropped, a notification for later or on "
            "a cron schedule does not go, and a run under way stops queueing at its next "
            "batch (what is queued already still goes: notify-stop withdraws that too). "
            "One that is sent or stopped already is refused.",
            epilog=examples(prog, "admin notify-cancel ntf_0193ab"),
            formatter_class=raw,
        )
        cancel.add_argument("id", metavar="ID", help="the notification, ntf_...")
        return
    if name == "notify-report":
        report = admin.add_parser(
            name,
            help=NOTIFY_COMMANDS[name],
            description="A notification's report: recipients, queued, sent, delivered, read, "
            "failed, clicked, unsubscribed, the skipped by reason, and the cost.",
            epilog=examples(prog, "admin notify-report ntf_0193ab"),
            formatter_class=raw,
        )
        report.add_argument("id", metavar="ID", help="the notification, ntf_...")
        return
    command = admin.add_parser(
        name,
        help=NOTIFY_COMMANDS[name],
        description="Send a notification now, at a time (--at) or on a schedule (--cron), "
        "to one audience: a topic, a filter on a profile field, conversations or profiles. "
        "Sent now, it is queued here with a progress bar and the running bot sends it. "
        "Each recipient is checked first (opted out, unsubscribed, consent, the 24-hour "
        "window); quiet hours defer rather than skip.",
        epilog=examples(
            prog,
            'admin notify --number wa --topic offers --text "Hi {profile.name}, our sale is on"',
            f"admin notify --number wa --filter city=Leeds --at {_LATER}-12-01T09:00 "
            '--text "The Leeds shop opens at 9"',
            "admin notify --number wa --filter 'ntf_0193ab:read,!clicked' --draft "
            '--text "Still thinking about it?"',
        ),
        formatter_class=raw,
    )
    command.add_argument("--number", required=True, help="the number, or its start: wa")
    command.add_argument("--text", default="", help="the message ({profile.name} is filled)")
    audience = command.add_mutually_exclusive_group(required=True)
    audience.add_argument("--topic", help="the number's contacts, but those who left it")
    audience.add_argument(
        "--filter",
        metavar="FIELD=VALUE",
        help="contacts with this field; or CAMPAIGN:OUTCOMES, the response to a campaign: "
        "ntf_0193ab:read,!clicked (read it, did not click)",
    )
    audience.add_argument("--conversations", nargs="+", metavar="ID", help="these conversations")
    audience.add_argument("--profiles", nargs="+", metavar="ID_OR_IDENTITY", help="these profiles")
    schedule = command.add_mutually_exclusive_group()
    schedule.add_argument(
        "--at", metavar="ISO", help=f"a time to come, e.g. {_LATER}-12-01T09:00 (local time)"
    )
    schedule.add_argument("--cron", help='e.g. "0 9 * * MON"')
    command.add_argument("--template", metavar="NAME:LANG:CATEGORY", help="a WhatsApp template")
    command.add_argument("--var", action="append", default=[], help="a template variable")
    command.add_argument("--category", help="marketing needs the customer's consent")
    command.add_argument("--no-quiet-hours", action="store_true", help="send in quiet hours")
    command.add_argument(
        "--draft", action="store_true", help="store it unsent: notify-review, then notify-send"
    )


def _add_follow_parser(
    admin: argparse._SubParsersAction[argparse.ArgumentParser], spec: Spec, prog: str
) -> None:
    summary = spec.summary[0].upper() + spec.summary[1:] + "."
    command = admin.add_parser(
        spec.name,
        help=spec.summary,
        description=f"{summary}\n\n{MORE[spec.name]}",
        epilog=examples(prog, f"admin {spec.name} {spec.example}"),
        formatter_class=Paragraphs,
    )
    add_spec_arguments(command, spec)
    if spec.name == "notify-test":
        command.add_argument(
            "--to", action="append", default=[], metavar="PHONE", help="a phone number too"
        )


async def run_notify_command(settings: Settings, args: argparse.Namespace) -> int:
    if not settings.redis_url:
        print(
            "switchboard: notify needs REDIS_URL: the running bot sends what is queued",
            file=sys.stderr,
        )
        return 2
    runtime = await runtime_of_the_running(settings)
    try:
        if args.admin_command == "notify-report":
            return await _report(runtime, args.id)
        if args.admin_command in ("notify-review", "notify-send"):
            return await _review_or_send(runtime, args.admin_command, args.id)
        if args.admin_command == "notify-cancel":
            return await _cancel(runtime, args.id)
        if args.admin_command in FOLLOW:
            return await _follow(runtime, args)
        return await _notify(runtime, args)
    finally:
        await runtime.close()


async def _follow(runtime: Runtime, args: argparse.Namespace) -> int:
    """A campaign's test, stop, recipients, or a profile's campaigns."""
    notifications = runtime.outreach.notifications
    team = _team_notifications(runtime)
    command = args.admin_command
    try:
        if command == "notify-test":
            phones = []
            for phone in args.to:
                identity = parse_identity(phone, runtime.settings.default_region)
                if identity.kind != "phone":
                    raise ValueError(f"--to {phone[:40]!r} is not a phone number")
                phones.append(identity.key)
            await notifications.spec(args.id)
            try:
                chosen = notifications.test_phones(args.member, phones)
            except NoTeamPhoneError:  # in the API's words ('members', 'to')
                if args.member:  # one not on the team, or without a phone
                    raise
                raise NoTeamPhoneError(
                    "no team member has a phone in the config (a member's phone: under "
                    "team:); or give --to PHONE"
                ) from None
            print(printable(describe_test(args.id, await notifications.test(args.id, chosen))))
        elif command == "notify-stop":
            reason = checked_reason(" ".join(args.reason))
            print(printable(describe_report(await team.stop(args.id, reason, OPERATOR.name))))
        elif command == "notify-recipients":
            outcome = args.outcome or "sent"
            items, cursor = await team.recipients(args.id, outcome, args.cursor or "")
            shown = describe_recipients(args.id, outcome, items, cursor)
            print(
                printable(
                    shown.replace(
                        "More: /notify recipients", f"More: {_prog()} admin notify-recipients"
                    )
                )
            )
        else:
            campaigns = await team.campaigns_of(args.profile, await runtime.actions.numbers())
            print(printable(describe_campaigns(*campaigns)))
    except (LookupError, RefusedError, StopRefusedError) as error:
        print(f"switchboard: {error}", file=sys.stderr)
        return 1
    except ValueError as error:
        print(f"switchboard: {error}", file=sys.stderr)
        return 2
    return 0


def _prog() -> str:
    return "python bot.py" if os.path.basename(sys.argv[0]) == "bot.py" else "switchboard"


async def _report(runtime: Runtime, nid: str) -> int:
    try:
        print(printable(describe_report(await runtime.outreach.notifications.report(nid))))
    except NotificationNotFoundError as error:
        print(f"switchboard: {error}", file=sys.stderr)
        return 1
    return 0


def _team_notifications(runtime: Runtime) -> TeamNotifications:
    """The notifications as the team's commands use them, for the command line's."""
    return TeamNotifications(
        runtime.outreach.notifications, runtime.settings.default_region, runtime.profile_book
    )


async def _cancel(runtime: Runtime, nid: str) -> int:
    try:
        await _team_notifications(runtime).cancel(nid)
    except (LookupError, RefusedError) as error:
        print(f"switchboard: {error}", file=sys.stderr)
        return 1
    print(f"cancelled {nid}: no further runs")
    return 0


async def _review_or_send(runtime: Runtime, command: str, nid: str) -> int:
    notifications = runtime.outreach.notifications
    try:
        if command == "notify-review":
            print(printable(describe_review(await notifications.review(nid))))
            return 0
        sent = await notifications.send(nid)
    except NotificationNotFoundError as error:
        print(f"switchboard: {error}", file=sys.stderr)
        return 1
    except NotificationStateError as error:
        print(f"switchboard: {error}", file=sys.stderr)
        return 2
    if sent.status == "scheduled":
        print(f"scheduled {nid} for {when(sent.first_run)}: the running bot sends it")
    else:
        print(f"sending {nid}: the running bot sends it")
    return 0


async def _notify(runtime: Runtime, args: argparse.Namespace) -> int:
    notifications = runtime.outreach.notifications
    numbers = await runtime.actions.numbers()
    found = [n for n in numbers if n == args.number] or [
        n for n in numbers if n.startswith(args.number)
    ]
    if len(found) != 1:
        print(f"switchboard: no number {args.number!r}; there are {numbers}", file=sys.stderr)
        return 2
    options = {
        name: value
        for name, value in (
            ("topic", args.topic),
            ("filter", args.filter),
            ("conversations", ",".join(args.conversations or [])),
            ("profiles", ",".join(args.profiles or [])),
            ("at", args.at),
            ("cron", args.cron),
            ("template", args.template),
            ("category", args.category),
        )
        if value
    }
    if args.no_quiet_hours:
        options["quiet"] = "off"
    zone = notifications.settings.timezone
    try:
        body = notification_body(found[0], options, args.text, zone)
    except ValueError as error:
        print(f"switchboard: {error}", file=sys.stderr)
        return 2
    at = body.get("at")
    if isinstance(at, int | float) and at <= time.time():
        print(
            f"switchboard: --at {args.at} is in the past ({when(at)}); nothing is "
            "scheduled. Give a time to come, or leave --at out to send now.",
            file=sys.stderr,
        )
        return 2
    try:
        if args.var and "template" in body:
            body["template"]["variables"] = args.var
        spec, entries = parse_notification(
            body, service="cli", region=runtime.settings.default_region, zone=zone
        )
    except ValueError as error:
        print(f"switchboard: {error}", file=sys.stderr)
        return 2
    later = spec.cron or spec.at is not None
    try:
        if args.draft:
            drafted = await notifications.create(spec, entries, draft=True)
            print(f"drafted {drafted.id}: admin notify-review {drafted.id} before sending it")
            return 0
        hold = 0 if later else HOLD_SECONDS
        now_or_later = await notifications.create(spec, entries, hold=hold)
    except ValueError as error:  # a campaign the filter names that is not there, say
        print(f"switchboard: {error}", file=sys.stderr)
        return 2
    if now_or_later.status == "scheduled":
        print(f"scheduled {now_or_later.id} for {when(now_or_later.first_run)}")
        return 0
    bar: list[Progress] = []

    def advance(done: int, total: int) -> None:
        if not bar:
            bar.append(Progress(total, "queueing"))
        bar[0].advance(done - bar[0].count)

    result = await notifications.runs.execute(
        now_or_later.id, int(now_or_later.first_run), progress=advance
    )
    if bar:
        bar[0].close()
    print(printable(describe_report(await notifications.report(now_or_later.id))))
    if result.refused:
        print(
            printable(f"switchboard: {now_or_later.id} is not sent: {result.refused}"),
            file=sys.stderr,
        )
        return 1
    if result.busy:
        print(f"{now_or_later.id} is being queued by the running bot")
    elif result.paced:
        print(
            f"queueing {now_or_later.id}: the running bot queues the rest as the number's "
            "rate lets them go, and sends them"
        )
    else:
        print(f"queued {now_or_later.id}: the running bot sends it")
    return 0
