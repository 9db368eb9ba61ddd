"""``python bot.py admin ...``: the team's commands from the command line, each with the arguments
of its spec, and ``admin services``: list, attach and detach services, issue API tokens."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import re
import shlex
import sys
import threading

from bot.cli.helptext import Paragraphs, add_spec_arguments, examples
from bot.cli.notify import NOTIFY_COMMANDS, add_notify_parser, run_notify_command
from bot.cli.runtimes import runtime_of_the_running
from bot.cli.terminal import printable
from bot.config.base import http_url
from bot.config.settings import Settings
from bot.identities import InvalidIdentityError, normalize_identity
from bot.model import MAX_BATCH
from bot.runtime import Runtime
from bot.team.actions import ConversationActions, InvalidServiceNameError, checked_service_name
from handlers import commands, notify_commands, sequence_commands, team_commands
from handlers.command_kit import Spec
from handlers.commands import OPERATOR, Caller
from handlers.ports import COMMAND_LINE

CLI_COMMANDS = (
    "inbox profile stats sequences flows claim release reply note optout enrol unenrol merge "
    "attach detach forget role audit"
).split()
"""The team's slash commands the CLI runs, in the order its help lists them (``admin
services list`` shows what /services does; ``admin notify`` takes options, see
``bot.cli.notify``). /help is the team chat's; ``--help`` is the CLI's."""
SPECS: dict[str, Spec] = {
    spec.name: spec
    for spec in (
        *commands.SPECS,
        *team_commands.SPECS,
        *notify_commands.SPECS,
        *sequence_commands.SPECS,
    )
    if spec.name in CLI_COMMANDS
}
TEAM_COMMANDS = {*CLI_COMMANDS, "send", *NOTIFY_COMMANDS}
"""Every ``admin`` command run through the team's commands (``send`` is ``reply``)."""
AS_AGENT = ("claim", "release", "reply", "note")
"""Commands that act as an agent: ``--agent EMAIL`` names them, or they act as 'operator'."""
CONFIRMING = {"forget": ("erase", "Nothing erased."), "detach": ("detach", "Nothing detached.")}
"""Commands that ask for a confirmation code first: what they do, and what not doing says."""
ALIASES = {"reply": ["send"]}
MORE = {
    "reply": "It is sent as the team (the service 'team'), as /reply in the team chat and "
    "the API's reply are: a free-form WhatsApp message outside the 24-hour window, or one "
    "to a customer who opted out, is refused and nothing is sent. 'admin send' is the "
    "same command.",
    "detach": "It asks for a confirmation code first (--yes does not ask). If the service "
    "is the parent, the next one in attach order takes over at once. 'admin services "
    "detach NAME [--number N]' is the same command.",
    "forget": "It asks for a confirmation code first (--yes does not ask).",
    "inbox": "Each line: the conversation id, the customer, the channel, when, who holds it.",
    "sequences": "Without a name, each drip sequence of the configuration with its "
    "enrolments; with one, its report: the overall counts, then each step's as a campaign "
    "counts them (sent, delivered, read, failed, deferred, skipped by reason).",
}
"""What a command's help says beyond its summary."""
MISTAKES = {
    "inbox": "N is a number from 1 to 50",
    "role": "give a MEMBER and a ROLE, or neither",
    "profile": "DAY goes only with notes",
    "detach": "'confirm' is no service name: the code is asked for on the terminal",
    "reply": "TEXT is empty",
}
"""What a refused command line most likely got wrong, when its answer does not say."""


def add_team_commands(
    admin: argparse._SubParsersAction[argparse.ArgumentParser], prog: str
) -> None:
    """The team's slash commands, from the command line (OPS-1): ``admin profile x``
    runs ``/profile x`` as the operator; each declares the arguments of its spec."""
    for name in CLI_COMMANDS:
        spec = SPECS[name]
        summary = spec.summary[0].upper() + spec.summary[1:] + "."
        shown = [f"admin {name} {spec.example}"]
        if name in AS_AGENT:
            shown.append(f"admin {name} {spec.example} --agent ann@example.com")
        command = admin.add_parser(
            name,
            aliases=ALIASES.get(name, []),
            help=spec.summary,
            description=f"{summary}\n\n{MORE[name]}" if name in MORE else summary,
            epilog=examples(prog, *shown),
            formatter_class=Paragraphs,
        )
        command.set_defaults(team_command=name, cli_parser=command)
        add_spec_arguments(command, spec)
        if name in CONFIRMING:
            command.add_argument("--yes", action="store_true", help="do not ask for the code")
        if name in AS_AGENT:
            command.add_argument(
                "--agent",
                metavar="EMAIL",
                help="the team member acting, an email (default: operator)",
            )
    for name in NOTIFY_COMMANDS:
        add_notify_parser(admin, name, prog)


async def ask(prompt: str) -> str:
    """What the operator types after ``prompt``: read in a thread of its own, so that the
    bot's connections go on meanwhile; a daemon, so that Ctrl-C ends the command at once
    (the executor's thread of ``asyncio.to_thread`` would hold the exit until Enter)."""
    loop = asyncio.get_running_loop()
    typed: asyncio.Future[str] = loop.create_future()

    def settle(text: str, error: BaseException | None) -> None:
        if typed.done():
            return
        if error is not None:
            typed.set_exception(error)
        else:
            typed.set_result(text)

    def read() -> None:
        # The descriptor, not ``sys.stdin``: a daemon thread still in its buffer's lock
        # as the interpreter exits makes it abort.
        try:
            line = os.read(sys.stdin.fileno(), 4096)
        except BaseException as error:
            loop.call_soon_threadsafe(settle, "", error)
            return
        if line:
            loop.call_soon_threadsafe(settle, line.decode(errors="replace"), None)
        else:  # nothing piped in, or the input closed
            loop.call_soon_threadsafe(settle, "", EOFError())

    sys.stdout.write(prompt)
    sys.stdout.flush()
    threading.Thread(target=read, name="prompt", daemon=True).start()
    return await typed


def _words(given: object) -> list[object]:
    return list(given) if isinstance(given, list) else [given]


def command_line(spec: Spec, args: argparse.Namespace) -> str:
    """The slash command the CLI's arguments stand for; a text goes in as typed."""
    words: list[str] = []
    for argument in spec.arguments:
        value = getattr(args, argument.name)
        if isinstance(value, list):
            value = " ".join(value) if spec.raw_after >= 0 else value
        if isinstance(value, list):
            words += value
        elif value:
            words.append(value)
    if 0 <= spec.raw_after < len(words):
        head = shlex.join([f"/{spec.name}", *words[: spec.raw_after]])
        return f"{head} {words[-1]}"
    return shlex.join([f"/{spec.name}", *words])


CLI_NAMES = {
    **{name: name for name in (*CLI_COMMANDS, *NOTIFY_COMMANDS)},
    "services": "services list",
}
"""The command line's name of each team chat command that an answer may point to."""
_MENTION = re.compile(r"(?<![\w/])/([a-z][a-z-]*)\b")


def for_the_command_line(answer: str, prog: str) -> str:
    """An answer worded for the team chat, with its pointers to other commands ("/services
    lists them") as the command line's ("python bot.py admin services list lists them")."""

    def reworded(mention: re.Match[str]) -> str:
        name = CLI_NAMES.get(mention.group(1))
        return f"{prog} admin {name}" if name else mention.group(0)

    return _MENTION.sub(reworded, answer)


def usage_error(parser: argparse.ArgumentParser, name: str, answer: str) -> str:
    """A refusal worded for the team chat ("Usage: /merge ..."), reworded for the command
    line: its own usage line, and what was wrong."""
    said = answer.split("Usage: /", 1)[0].strip()
    reason = said or MISTAKES.get(name, "those arguments do not go together")
    return f"{parser.format_usage()}{parser.prog}: error: {reason} (see --help)"


def program() -> str:
    """How the command was called: ``python bot.py``, or the installed ``switchboard``."""
    return "python bot.py" if os.path.basename(sys.argv[0]) == "bot.py" else "switchboard"


async def run_team_command(settings: Settings, args: argparse.Namespace) -> int:
    if args.admin_command in NOTIFY_COMMANDS:
        return await run_notify_command(settings, args)
    return await run_slash_command(settings, args)


async def run_slash_command(settings: Settings, args: argparse.Namespace) -> int:
    """One of the team's commands, as the operator or ``--agent``; a command that asks
    for a confirmation code asks on the terminal (or takes ``--yes``)."""
    for argument in SPECS[args.team_command].arguments:
        given = getattr(args, argument.name, None)
        # An empty one would be left out, and the rest read in its place: an empty
        # NUMBER for 'detach' would be every number.
        if any(isinstance(word, str) and not word.strip() for word in _words(given)):
            args.cli_parser.error(f"{argument.name.upper()} is empty: give it, or leave it out")
    given = getattr(args, "agent", None)
    agent = (given or "").strip()
    if given is not None and not agent:  # a script's --agent "$AGENT", the variable unset
        args.cli_parser.error("--agent is empty: give a team member's email, or leave it out")
    if agent:
        try:
            agent = normalize_identity("email", agent, settings.default_region).value
        except InvalidIdentityError:
            args.cli_parser.error(f"--agent is the acting team member's email, not {agent!r}")
    runtime = await runtime_of_the_running(settings, sending=False)  # the running bot sends
    registry = runtime.commands
    # The member acts with their role now: the config's team and ``admin role`` alike.
    member = await runtime.desk.caller_for_email(agent) if agent else None
    if agent and member is None and (settings.team or await runtime.desk.roles()):
        await runtime.close()
        args.cli_parser.error(f"--agent {agent} is not on the team (team: or admin role)")
    # The answer is on the terminal already, and the desk keeps the audit trail in Redis:
    # the audit log's lines would only repeat it there.
    quiet = logging.getLogger("switchboard.audit")
    quiet.propagate = False
    quiet.addHandler(logging.NullHandler())  # not even Python's last-resort handler
    caller = member or (Caller(agent, OPERATOR.role) if agent else OPERATOR)
    try:
        spec = SPECS[args.team_command]
        done, answer = await registry.execute(caller, command_line(spec, args), via=COMMAND_LINE)
        if not done and ("Usage: /" in answer or answer in commands.LINE_PROBLEMS):
            print(printable(usage_error(args.cli_parser, spec.name, answer)), file=sys.stderr)
            return 2
        code = re.search(r"^/(forget|detach) .+ confirm (\d+)$", answer, re.MULTILINE)
        if done and code:
            # The chat's way to confirm (send the line again) is the prompt's here.
            asked = answer.rsplit("\n", 1)[0].replace(" To go ahead, send within 10 minutes:", "")
            print(printable(asked))
            verb, nothing = CONFIRMING[code.group(1)]
            if not args.yes:
                prompt = f"Type {code.group(2)} to {verb}, anything else to stop: "
                try:
                    typed = await ask(prompt)
                except EOFError:  # no terminal and nothing piped in: nobody answered
                    print(f"\nNo answer, so not confirmed. {nothing}")
                    return 1
                if typed.strip() != code.group(2):
                    print(nothing)
                    return 1
            done, answer = await registry.execute(caller, code.group(0), via=COMMAND_LINE)
    finally:
        await runtime.close()
    # The audit trail's commands stay as they were run: one from the team chat is no
    # command line's.
    if spec.name != "audit":
        answer = for_the_command_line(answer, program())
    shown = printable(answer)
    print(shown, file=sys.stdout if done else sys.stderr)
    return 0 if done else 1


SERVICES_EXAMPLES = {
    "list": "",
    "attach": "sales --url https://crm.example.com/hooks --secret-env SALES_SECRET",
    "detach": "support --number wa:106540352242922",
    "token": "sales",
}


def add_services_commands(
    admin: argparse._SubParsersAction[argparse.ArgumentParser], prog: str
) -> None:
    raw = Paragraphs
    services = admin.add_parser(
        "services",
        help="list, attach and detach services, issue API tokens",
        description="List, attach and detach the services of the numbers, and issue their "
        "API tokens. The first service of a number is its parent: only its automation runs.",
        epilog=examples(prog, *(f"admin services {n} {a}" for n, a in SERVICES_EXAMPLES.items())),
        formatter_class=raw,
    )
    commands = services.add_subparsers(dest="services_command", required=True)

    def add(name: str, summary: str, more: str = "") -> argparse.ArgumentParser:
        return commands.add_parser(
            name,
            help=summary,
            description=f"{summary[0].upper()}{summary[1:]}.{more}",
            epilog=examples(prog, f"admin services {name} {SERVICES_EXAMPLES[name]}"),
            formatter_class=raw,
        )

    add("list", "each number's services in attach order, the parent first")
    attach = add(
        "attach",
        "attach a service to every number, or to --number (defining it if new)",
        "\n\nA new service needs --url and --secret-env; its API token is printed once. "
        "For a known service, --url, --secret-env, --mask and --batch change its settings "
        "and leave its numbers as they are (unless --number names some).",
    )
    attach.add_argument("name", metavar="NAME", help="the service, e.g. sales")
    attach.add_argument("--url", help="its webhook URL (needed for a new service)")
    attach.add_argument(
        "--secret-env", metavar="VAR", help="the environment variable holding its signing secret"
    )
    attach.add_argument(
        "--mask",
        action=argparse.BooleanOptionalAction,
        help="mask others' replies from it (the default), or, with --no-mask, let it see them",
    )
    attach.add_argument(
        "--batch",
        type=int,
        metavar="N",
        help=f"post up to N events (1 to {MAX_BATCH}) in one signed request; 0, one a POST",
    )
    attach.add_argument("--number", action="append", help="only this number (repeatable)")
    detach = add(
        "detach",
        "detach a service from every number, or from --number",
        "\n\nThe same command as 'admin detach NAME [NUMBER]': it asks for a confirmation "
        "code first (--yes does not ask), and if the service is the parent, the next one "
        "in attach order takes over at once.",
    )
    detach.add_argument("service", metavar="NAME", help="the service, e.g. support")
    detach.add_argument("--number", help="only this number (default: every one)")
    detach.add_argument("--yes", action="store_true", help="do not ask for the code")
    detach.set_defaults(team_command="detach", cli_parser=detach)
    token = add("token", "issue a new API token for a service (the old one stops working)")
    token.add_argument("name", metavar="NAME", help="the service")


async def run_services_command(settings: Settings, args: argparse.Namespace) -> int:
    if args.services_command == "detach":
        return await run_slash_command(settings, args)
    runtime = await runtime_of_the_running(settings)
    try:
        return await _run(runtime, args)
    except LookupError as error:
        print(f"switchboard: {for_the_command_line(error.args[0], program())}", file=sys.stderr)
        return 1
    finally:
        await runtime.close()


async def _run(runtime: Runtime, args: argparse.Namespace) -> int:
    actions = runtime.actions
    numbers = getattr(args, "number", None) or runtime.numbers
    if args.services_command == "attach" and not args.number and _settings_given(args):
        # A known service's settings changed (--batch, --mask, a new URL or secret): its
        # numbers stay as they are, unless --number names some.
        if await actions.services.get(args.name) is not None:
            numbers = await actions.numbers_of(args.name)
    # The numbers the bot serves are in the store (it attached its services at start),
    # whatever channels this shell's environment configures.
    known = [*runtime.numbers, *(n for n in await actions.numbers() if n not in runtime.numbers)]
    if unknown := [number for number in numbers if number not in known]:
        raise LookupError(
            f"no number {printable(unknown[0][:60])!r}; the numbers are " + ", ".join(known)
        )
    if args.services_command == "list":
        for number in await actions.numbers():
            names = await actions.services.order(number)
            shown = [f"{name} (parent)" if n == 0 else name for n, name in enumerate(names)]
            print(printable(f"{number}: {', '.join(shown) or 'no services: idle'}"))
        return 0
    if args.services_command == "token":
        if await actions.services.get(args.name) is None:
            raise LookupError(f"no service named {args.name!r}")
        token = await actions.directory.define_token(args.name)
        print(f"API token of {args.name} (shown once): {token}")
        return 0
    return await _attach(actions, args, numbers)


async def _attach(
    actions: ConversationActions, args: argparse.Namespace, numbers: list[str]
) -> int:
    """Define the service (--url: anew; --batch, --mask/--no-mask, --secret-env alone: what
    they change of a known one), then attach it."""
    if args.batch is not None and not 0 <= args.batch <= MAX_BATCH:
        print(f"switchboard: --batch takes 0 to {MAX_BATCH}", file=sys.stderr)
        return 2
    token = ""
    if args.url:
        try:
            checked_service_name(args.name)
        except InvalidServiceNameError as error:
            print(f"switchboard: {error}", file=sys.stderr)
            return 2
        try:
            http_url(args.url)
        except ValueError as error:
            print(f"switchboard: --url {error} (got {args.url!r})", file=sys.stderr)
            return 2
        if not args.secret_env:
            print(
                "switchboard: a service needs a signing secret: --secret-env VAR", file=sys.stderr
            )
            return 2
        secret = _secret_of(args.secret_env)
        if secret is None:
            return 2
        # A known service's masking and batches stay unless --mask/--no-mask, --batch say.
        token = await actions.define(args.name, args.url, secret, mask=args.mask, batch=args.batch)
    elif (known := await actions.services.get(args.name)) is None:
        print(
            f"switchboard: no service named {args.name!r}: a new service needs --url "
            "and --secret-env",
            file=sys.stderr,
        )
        return 2
    elif args.batch is not None or args.mask is not None or args.secret_env:
        secret = _secret_of(args.secret_env) if args.secret_env else known.secret
        if secret is None:
            return 2
        mask = known.mask if args.mask is None else args.mask
        batch = known.batch if args.batch is None else args.batch
        await actions.define(args.name, known.url, secret, mask=mask, batch=batch)
        posts = f"up to {batch} events a POST" if batch else "one event a POST"
        shown = "others' replies masked" if mask else "others' replies shown"
        print(printable(f"{args.name}: {posts}, {shown}"))
    for number in numbers:
        change = await actions.attach(number, args.name)
        print(printable(f"{args.name} is attached to {number}: {', '.join(change.after)}"))
    if not numbers:
        print(
            printable(
                f"{args.name} is attached to no number: 'admin services attach "
                f"{args.name}' attaches it to every number"
            )
        )
    if token:
        print(f"API token of {args.name} (shown once): {token}")
    return 0


def _settings_given(args: argparse.Namespace) -> bool:
    """Whether an attach changes some setting of the service's."""
    return bool(args.url or args.secret_env) or args.batch is not None or args.mask is not None


def _secret_of(variable: str) -> str | None:
    """The signing secret the environment variable holds; None, said, when it is empty."""
    secret = os.environ.get(variable, "")
    if not secret:
        print(f"switchboard: {variable} is unset or empty", file=sys.stderr)
        return None
    return secret
