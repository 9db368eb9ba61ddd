"""``python bot.py admin services ...``: attach, detach and list services, issue API tokens."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import re
import shlex
import sys

from bot.cli.notify import NOTIFY_COMMANDS, add_notify_parser, run_notify_command
from bot.config.settings import Settings
from bot.runtime import Runtime
from bot.team.actions import ConversationActions, InvalidServiceNameError, checked_service_name
from handlers.commands import OPERATOR, Caller

TEAM_COMMANDS = {
    "inbox": "the most recent conversations: inbox [n]",
    "claim": "claim a conversation (as --agent, or as 'operator')",
    "release": "release a claim (as --agent, or as 'operator')",
    "reply": "send a customer a message: reply <conversation> <text...>",
    "note": "add a note for the team, or read the notes: note <conversation> [text...]",
    "optout": "stop all messages to a customer, or allow them again: optout <c> [on|off]",
    "attach": "attach a service to a number, or to every number: attach <service> [number]",
    "detach": "detach a service (asks for the confirmation code): detach <service> [number]",
    "role": "list the team's roles, or give a member a role: role <email|telegram id> <role>",
    "profile": "show a profile; 'convert' it, or read its 'notes' [YYYY-MM-DD]",
    "merge": "merge two profiles of one person (the older survives)",
    "forget": "erase a person for good (asks for the confirmation code)",
    "stats": "each number's conversations, notifications and running cost: stats [number]",
    "flows": "the guided conversations each number's parent runs",
    **NOTIFY_COMMANDS,
}
"""The team's slash commands the CLI runs (``admin services list`` shows what /services
does; ``admin notify`` takes options, see ``bot.cli.notify``). /help is the team chat's."""
AS_AGENT = ("claim", "release", "reply", "note")
"""Commands that act as an agent: ``--agent EMAIL`` names them, or they act as 'operator'."""
RAW_TEXT = ("reply", "note")
"""Commands whose last arguments are a text, taken as typed rather than as shell words."""
CONFIRMING = {"forget": ("erase", "Nothing erased."), "detach": ("detach", "Nothing detached.")}
"""Commands that ask for a confirmation code first: what they do, and what not doing says."""


def add_team_commands(admin: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """The team's slash commands, from the command line (OPS-1): ``admin profile x``
    runs ``/profile x`` as the operator."""
    for name, summary in TEAM_COMMANDS.items():
        if name in NOTIFY_COMMANDS:
            add_notify_parser(admin, name)
            continue
        command = admin.add_parser(name, help=summary)
        command.add_argument("arguments", nargs="*")
        if name in CONFIRMING:
            command.add_argument("--yes", action="store_true", help="do not ask")
        if name in AS_AGENT:
            command.add_argument("--agent", default="", help="the team member acting (an email)")


def command_line(name: str, arguments: list[str]) -> str:
    """The slash command the CLI's arguments stand for; a text goes in as typed."""
    if name in RAW_TEXT and len(arguments) > 1:
        return shlex.join([f"/{name}", arguments[0]]) + " " + " ".join(arguments[1:])
    return shlex.join([f"/{name}", *arguments])


async def run_team_command(settings: Settings, args: argparse.Namespace) -> int:
    if args.admin_command in NOTIFY_COMMANDS:
        return await run_notify_command(settings, args)
    runtime = Runtime(settings)
    commands = runtime.commands
    # The answer is on the terminal already, and the desk keeps the audit trail in Redis:
    # the audit log's lines would only repeat it there.
    quiet = logging.getLogger("switchboard.audit")
    quiet.propagate = False
    quiet.addHandler(logging.NullHandler())  # not even Python's last-resort handler
    agent = getattr(args, "agent", "").strip().lower()
    caller = Caller(agent, OPERATOR.role) if agent else OPERATOR
    try:
        done, answer = await commands.execute(
            caller, command_line(args.admin_command, args.arguments)
        )
        code = re.search(r"^/(forget|detach) .+ confirm (\d+)$", answer, re.MULTILINE)
        if done and code:
            print(answer.rsplit("\n", 1)[0])
            verb, nothing = CONFIRMING[code.group(1)]
            if not args.yes:
                prompt = f"Type {code.group(2)} to {verb}, anything else to stop: "
                try:
                    typed = await asyncio.to_thread(input, prompt)
                except EOFError:  # no terminal and nothing piped in: nobody answered
                    print(f"\nNo answer, so not confirmed. {nothing}")
                    return 1
                if typed.strip() != code.group(2):
                    print(nothing)
                    return 1
            done, answer = await commands.execute(caller, code.group(0))
    finally:
        await runtime.close()
    print(answer, file=sys.stdout if done else sys.stderr)
    return 0 if done else 1


def add_services_commands(admin: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    services = admin.add_parser("services", help="attach, detach and list services")
    commands = services.add_subparsers(dest="services_command", required=True)
    commands.add_parser("list", help="each number's services in attach order")
    attach = commands.add_parser("attach", help="attach a service (defining it if new)")
    attach.add_argument("name")
    attach.add_argument("--url", help="its webhook URL (needed for a new service)")
    attach.add_argument("--secret-env", help="the variable holding its signing secret")
    attach.add_argument("--no-mask", action="store_true", help="let it see others' replies")
    attach.add_argument("--number", action="append", help="only this number (repeatable)")
    detach = commands.add_parser("detach", help="detach a service")
    detach.add_argument("name")
    detach.add_argument("--number", action="append", help="only this number (repeatable)")
    token = commands.add_parser("token", help="issue a new API token (the old one stops)")
    token.add_argument("name")


async def run_services_command(settings: Settings, args: argparse.Namespace) -> int:
    runtime = Runtime(settings)
    try:
        return await _run(runtime, args)
    except LookupError as error:
        print(f"switchboard: {error.args[0]}", file=sys.stderr)
        return 1
    finally:
        await runtime.close()


async def _run(runtime: Runtime, args: argparse.Namespace) -> int:
    actions = runtime.actions
    numbers = getattr(args, "number", None) or runtime.numbers
    if args.services_command == "list":
        for number in await actions.numbers():
            names = await actions.services.order(number)
            shown = [f"{name} (parent)" if n == 0 else name for n, name in enumerate(names)]
            print(f"{number}: {', '.join(shown) or 'no services: idle'}")
        return 0
    if args.services_command == "token":
        if await actions.services.get(args.name) is None:
            raise LookupError(f"no service named {args.name!r}")
        token = await actions.directory.define_token(args.name)
        print(f"API token of {args.name} (shown once): {token}")
        return 0
    if args.services_command == "attach":
        return await _attach(actions, args, numbers)
    for number in numbers:
        change = await actions.detach(number, args.name)
        print(f"{args.name} is detached from {number}: {', '.join(change.after) or 'idle'}")
    return 0


async def _attach(
    actions: ConversationActions, args: argparse.Namespace, numbers: list[str]
) -> int:
    token = ""
    if args.url:
        try:
            checked_service_name(args.name)
        except InvalidServiceNameError as error:
            print(f"switchboard: {error}", file=sys.stderr)
            return 2
        if not args.secret_env:
            print(
                "switchboard: a service needs a signing secret: --secret-env VAR", file=sys.stderr
            )
            return 2
        secret = os.environ.get(args.secret_env, "")
        if not secret:
            print(f"switchboard: {args.secret_env} is unset or empty", file=sys.stderr)
            return 2
        token = await actions.define(args.name, args.url, secret, mask=not args.no_mask)
    for number in numbers:
        change = await actions.attach(number, args.name)
        print(f"{args.name} is attached to {number}: {', '.join(change.after)}")
    if token:
        print(f"API token of {args.name} (shown once): {token}")
    return 0
