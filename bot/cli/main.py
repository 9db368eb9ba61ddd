"""The command line: ``serve`` (the default) runs the bot; ``admin`` tools work on its store."""

from __future__ import annotations

import argparse
import asyncio
import errno
import io
import os
import sys
from collections.abc import Callable
from importlib import metadata
from typing import TYPE_CHECKING

from bot.cli.admin import (
    TEAM_COMMANDS,
    add_services_commands,
    add_team_commands,
    program,
    run_services_command,
    run_team_command,
)
from bot.cli.config_cmd import add_config_command, run_config_command
from bot.cli.dead_letters import add_dead_letters_command, run_dead_letters_command
from bot.cli.helptext import Paragraphs, examples
from bot.cli.importer import DEFAULT_BATCH
from bot.cli.imports import run_import
from bot.cli.runtimes import runtime_of_the_running
from bot.cli.serve import (
    make_metrics_dir,
    prepare_metrics_dir,
    reach_store,
    run,
    serve,
    serve_workers,
    warn_of_a_public_url_nobody_reaches,
)
from bot.config.environment import masked
from bot.config.settings import ConfigError, Settings, load_settings
from bot.core.lifecycle import merged_event
from bot.logs import LoggingSetupError, Redactor, configure_logging, say_refusal, secrets_in
from stores.profiles import Merge
from stores.redis import StoreError

if TYPE_CHECKING:
    from _typeshed import SupportsWrite


async def import_command(settings: Settings, args: argparse.Namespace) -> int:
    """Load a CRM export into the identity graph (PS-2); merges are announced as a
    message's are, and the running bot delivers them."""
    if not settings.redis_url:
        print(
            "switchboard: import needs REDIS_URL: the embedded store would lose the "
            "contacts when the command ends",
            file=sys.stderr,
        )
        return 2
    runtime = await runtime_of_the_running(settings)

    async def announce(merges: list[Merge]) -> None:
        events = [merged_event(merge) for merge in merges]
        await runtime.fanout.broadcast(runtime.numbers, events)

    team = {member.email for member in settings.team}
    default = settings.profiles.default_owner
    try:
        return await run_import(
            runtime.profiles,
            args.file,
            region=settings.default_region,
            report=args.report,
            channel=args.channel,
            batch=args.batch,
            team=team,
            on_merges=announce,
            # A row without an owner of its own: the owner of new profiles (PS-5), a team
            # member when the team is listed, as for the profiles messages make.
            default_owner=default if not team or default in team else "",
            out=sys.stdout,
            err=sys.stderr,
        )
    finally:
        await runtime.close()


DESCRIPTION = """Switchboard: one business number shared by several services.

'serve' (the default) runs the bot. 'admin' commands work on the store of a running bot
(they need REDIS_URL). Each command has its own help: {prog} admin reply --help."""
IMPORT_DESCRIPTION = """Load CRM contacts from a CSV file into the identity graph, so that their
messages later land on the right profile.

The file is UTF-8 text with a header row. Column names are read in lower case, with
spaces and punctuation as underscores ("External ID" is external_id). These columns
mean something:

  external_id   the CRM's own id (at most one per profile)
  phone         a phone number; without a country code, read in DEFAULT_REGION
  whatsapp      a WhatsApp id: the number with its country code, 447700900123
  email         an email address
  telegram      a Telegram user id
  name          the person's name
  stage         lead or contact (an import converts a lead, never the reverse)
  owner         the email of a team member who owns the profile

Every row needs at least one of the first five. Any other column becomes a custom
profile field of that name ("City" -> f:city). A row that cannot be stored is
written, with the reason, to the report (FILE.rejected.csv); the others are stored.
Importing the same file again is safe."""

OUTPUT_FAULTS = frozenset({errno.ENOSPC, errno.EIO, errno.EDQUOT, errno.EFBIG})
"""Why writing the output may fail (a full disk, a device error), never why a store does."""
UTF8 = frozenset({"utf-8", "utf8"})
MAX_WORKERS = 64
"""The most processes ``serve --workers`` starts: past the cores a machine has, more only
share them (a mistyped 1000 would start a thousand bots)."""


class Parser(argparse.ArgumentParser):
    """argparse's parser (its commands' too), but for a help or a version lost to a full
    disk: argparse drops it and exits 0, where any other answer's loss is said."""

    def _print_message(self, message: str, file: SupportsWrite[str] | None = None) -> None:
        if not message or file is not sys.stdout:
            return super()._print_message(message, file)

        def write() -> int:
            sys.stdout.write(message)
            return 0

        if _answered(write):
            self.exit(1)
        return None


def build_parser(prog: str | None = None) -> argparse.ArgumentParser:
    """The commands and their arguments; ``prog`` names the program in the help."""
    prog = prog or program()
    raw = Paragraphs
    parser: argparse.ArgumentParser = Parser(
        prog=prog,
        description=DESCRIPTION.format(prog=prog),
        epilog=examples(prog, "", "serve --workers 4", "admin inbox", "admin reply --help"),
        formatter_class=raw,
    )
    parser.add_argument("--version", action="version", version=f"switchboard {version()}")
    commands = parser.add_subparsers(dest="command", metavar="{serve,admin,config}")
    serve_parser = commands.add_parser(
        "serve",
        help="run the bot (the default)",
        description="Run the bot: the web chat, the webhooks, the API and the workers.\n"
        "Without REDIS_URL it runs on the embedded in-memory store.",
        epilog=examples(prog, "serve --workers 4"),
        formatter_class=raw,
    )
    serve_parser.add_argument(
        "--workers",
        type=int,
        default=1,
        metavar="N",
        help="processes sharing the port (needs REDIS_URL)",
    )
    admin = commands.add_parser(
        "admin",
        help="work on the store of a running bot",
        description="Work on the store of a running bot (REDIS_URL names it). The team's\n"
        "commands run as the operator, who holds every role.",
        epilog=examples(prog, "admin inbox", "admin reply --help"),
        formatter_class=raw,
    )
    admin_commands = admin.add_subparsers(dest="admin_command", required=True, metavar="COMMAND")
    add_team_commands(admin_commands, prog)
    add_services_commands(admin_commands, prog)
    add_dead_letters_command(admin_commands, prog)
    contacts = admin_commands.add_parser(
        "import",
        help="load CRM contacts from a CSV file into the identity graph",
        description=IMPORT_DESCRIPTION,
        epilog=examples(prog, "admin import contacts.csv --report rejected.csv"),
        formatter_class=raw,
    )
    contacts.add_argument("file", metavar="FILE", help="a UTF-8 CSV file with a header row")
    contacts.add_argument(
        "--report",
        metavar="FILE",
        help="where rejected rows go (default: the imported FILE.rejected.csv)",
    )
    contacts.add_argument(
        "--channel", default="import", metavar="NAME", help="the source of new profiles"
    )
    contacts.add_argument(
        "--batch", type=int, default=DEFAULT_BATCH, metavar="ROWS", help="rows per round"
    )
    add_config_command(commands, prog)
    return parser


def main(argv: list[str] | None = None) -> int:
    if isinstance(sys.stdout, io.TextIOWrapper) and sys.stdout.encoding.lower() in UTF8:
        # A file's name is any bytes the system allows (``FILE_NAMES``): printed, it goes
        # out as it came, under any UTF-8 locale, not as an error.
        sys.stdout.reconfigure(errors="surrogateescape")
    try:
        return _command(argv)
    except KeyboardInterrupt:  # one no command said more of (the admin commands do)
        print("\nswitchboard: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # Its reader went away (``config schema | head``): the rest of the output is
        # nobody's, and no traceback either; stdout goes nowhere, so its last flush too.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1


TOP_OPTIONS = ("-h", "--help", "--version")
"""The options of the command line itself; any other before a command is serve's."""


def _own_parsers(parser: argparse.ArgumentParser) -> None:
    """Each command's parser named in what it parses (``cli_parser``), where no other
    was: its mistakes are said with its own usage line."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for command in action.choices.values():
                if command.get_default("cli_parser") is None:
                    command.set_defaults(cli_parser=command)
                _own_parsers(command)


def _command(argv: list[str] | None) -> int:
    parser = build_parser()
    _own_parsers(parser)
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0].startswith("-") and argv[0].split("=", 1)[0] not in TOP_OPTIONS:
        argv = ["serve", *argv]  # serve is the default: ``bot.py --workers 2`` serves
    args, extra = parser.parse_known_args(argv)
    if extra:  # said by the command's own parser, with its own usage line
        getattr(args, "cli_parser", parser).error(f"unrecognized arguments: {' '.join(extra)}")
    if args.command == "admin" and (refusal := _not_text(parser, args)):
        print(refusal, file=sys.stderr)
        return 2

    if args.command == "config":
        return _answered(lambda: run_config_command(args))
    try:
        configure_logging()
    except LoggingSetupError as error:
        print(f"switchboard: configuration error: {error}", file=sys.stderr)
        return 2
    try:
        settings = load_settings()
        make_metrics_dir()  # before a runtime makes its metrics, which are written there
    except ConfigError as error:
        # A secret variable put where a number goes is quoted back: never its value.
        refusal = Redactor(secrets_in(os.environ), cut=True)(str(error))
        if args.command == "admin":
            print(refusal, file=sys.stderr)
        else:  # the bot's start: a log line, JSON where the log is, one a problem
            for line in refusal.splitlines():
                say_refusal(line)
        return 2
    if args.command == "admin" and args.admin_command != "import" and not settings.redis_url:
        print(
            "switchboard: admin commands need REDIS_URL: the running bot's embedded store "
            "lives in its own process, out of reach of this one",
            file=sys.stderr,
        )
        return 2
    if args.command == "admin" and args.admin_command != "import":
        try:
            return _answered(lambda: _admin(settings, args))
        except ConfigError as error:  # the store out of reach
            print(f"switchboard: {error}", file=sys.stderr)
            return 2
        except KeyboardInterrupt:
            # The command may have been done before the interrupt (a campaign queued, a
            # reply sent): the operator looks before running it again.
            print(
                "\nswitchboard: interrupted: what the command asked may have been done "
                "already; look (admin inbox, admin notify report...) before running it again",
                file=sys.stderr,
            )
            return 130
        except BrokenPipeError:
            raise  # the output's reader went away (``| head``): no fault of the store's
        except (StoreError, OSError) as error:  # the store gone during the command
            url = masked(settings.redis_url or "")
            print(f"switchboard: REDIS_URL={url}: cannot connect ({error})", file=sys.stderr)
            return 2
    if args.command == "admin" and args.admin_command == "import":
        try:
            return _answered(lambda: asyncio.run(import_command(settings, args)))
        except KeyboardInterrupt:
            print(
                "\nswitchboard: import interrupted: the rows before are stored, "
                "and importing the file again is safe",
                file=sys.stderr,
            )
            return 130
    workers = getattr(args, "workers", 1)
    if not 1 <= workers <= MAX_WORKERS:
        bound = "at least 1" if workers < 1 else f"at most {MAX_WORKERS}"
        print(f"switchboard: --workers must be {bound}", file=sys.stderr)
        return 2
    warn_of_a_public_url_nobody_reaches(settings)
    if workers > 1:
        return serve_workers(settings, workers)
    try:
        prepare_metrics_dir(made_if_unset=False)
        run(serve(settings), settings)
    except ConfigError as error:  # the metrics directory, or the store, out of reach
        say_refusal(str(error))
        return 2
    except KeyboardInterrupt:  # Ctrl-C before the start was over: nothing to drain yet
        print("\nswitchboard: stopped during the start", file=sys.stderr)
        return 130
    return 0


def _answered(command: Callable[[], int]) -> int:
    """Run ``command``, whose answer goes to stdout, and flush it: an answer lost to a full
    disk or a device error is said in one line, exit 1, as the command itself was done
    (the rest of the answer, unwritten, is nobody's: it is not tried again at the exit)."""
    try:
        code = command()
        if sys.stdout is not None:  # None: started with stdout closed, the answer unasked
            sys.stdout.flush()  # buffered (no PYTHONUNBUFFERED), its end fails here, not at exit
    except OSError as error:
        if error.errno not in OUTPUT_FAULTS:
            raise
        print(
            f"switchboard: the answer could not be written ({error.strerror}); "
            "the command was done",
            file=sys.stderr,
        )
        if sys.stdout is not None:
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    return code


FILE_NAMES = frozenset({"file", "report"})
"""Arguments that name files (``admin import``'s): a file's name is any bytes the system
allows, and is used as it came."""


def _not_text(parser: argparse.ArgumentParser, args: argparse.Namespace) -> str | None:
    """A usage error, in one line, naming the first argument that is not UTF-8 text; None
    when every one is (or names a file).

    Bytes of an argument that are not UTF-8 reach Python as lone surrogates (PEP 383),
    which no store, message or log line can hold: redis-py failed to encode them, with a
    traceback, once the command had begun."""
    command = _chosen(parser, args)
    for action in command._actions:
        value = getattr(args, action.dest, None)
        for given in value if isinstance(value, list) else [value]:
            if not isinstance(given, str) or action.dest in FILE_NAMES:
                continue
            try:
                given.encode()
            except UnicodeEncodeError:
                name = "/".join(action.option_strings) or action.metavar or action.dest
                typed = os.fsencode(given).decode(errors="backslashreplace")
                return (
                    f"{command.prog}: error: argument {name}: '{typed}' is not UTF-8 text "
                    "(check the terminal's encoding)"
                )
    return None


def _chosen(parser: argparse.ArgumentParser, args: argparse.Namespace) -> argparse.ArgumentParser:
    """The parser of the (sub)command that ``args`` come from."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            name = getattr(args, action.dest, None)
            if name in action.choices:
                return _chosen(action.choices[name], args)
    return parser


def _admin(settings: Settings, args: argparse.Namespace) -> int:
    """An admin command but import (which reports the store's failures row by row), once
    the store answers: a command that cannot reach it logs its failure as a failure."""
    asyncio.run(reach_store(settings))
    if args.admin_command == "services":
        return asyncio.run(run_services_command(settings, args))
    if args.admin_command in TEAM_COMMANDS:
        return asyncio.run(run_team_command(settings, args))
    return asyncio.run(run_dead_letters_command(settings, args))


def version() -> str:
    """The installed version, or the source tree's when it is not installed."""
    try:
        return metadata.version("switchboard")
    except metadata.PackageNotFoundError:
        return "(not installed)"
