"""Commands: ``serve`` (the default) runs the bot; ``admin`` tools work on its store."""

from __future__ import annotations

import argparse
import asyncio
import sys
from importlib import metadata

from bot.cli.admin import (
    TEAM_COMMANDS,
    add_services_commands,
    add_team_commands,
    run_services_command,
    run_team_command,
)
from bot.cli.config_cmd import add_config_command, run_config_command
from bot.cli.dead_letters import add_dead_letters_command, run_dead_letters_command
from bot.cli.importer import DEFAULT_BATCH
from bot.cli.imports import run_import
from bot.cli.serve import configure_logging, serve, serve_workers
from bot.config.settings import ConfigError, Settings, load_settings
from bot.core.lifecycle import merged_event
from bot.core.sender import SendFailedError, WindowClosedError
from bot.runtime import Runtime
from stores.profiles import Merge


async def send(settings: Settings, conversation: str, text: str, agent: str) -> int:
    """Queue a reply from the command line; the running bot sends it."""
    runtime = Runtime(settings)
    try:
        outbound = await runtime.actions.send(conversation, text, service="cli", agent=agent)
    except (LookupError, WindowClosedError, SendFailedError) as error:
        print(f"switchboard: not sent: {error}", file=sys.stderr)
        return 1
    finally:
        await runtime.close()
    print(f"queued {outbound.send_id}")
    return 0


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
    runtime = Runtime(settings)

    async def announce(merges: list[Merge]) -> None:
        events = [merged_event(merge) for merge in merges]
        await runtime.fanout.broadcast(runtime.numbers, events)

    try:
        return await run_import(
            runtime.profiles,
            args.file,
            region=settings.default_region,
            report=args.report,
            channel=args.channel,
            batch=args.batch,
            team={member.email for member in settings.team},
            on_merges=announce,
            out=sys.stdout,
            err=sys.stderr,
        )
    finally:
        await runtime.close()


def build_parser() -> argparse.ArgumentParser:
    """``python bot.py``'s commands and their arguments."""
    parser = argparse.ArgumentParser(prog="python bot.py", description=__doc__)
    parser.add_argument("--version", action="version", version=f"switchboard {version()}")
    commands = parser.add_subparsers(dest="command")
    serve_parser = commands.add_parser("serve", help="run the bot (the default)")
    serve_parser.add_argument(
        "--workers", type=int, default=1, help="processes sharing the port (needs REDIS_URL)"
    )
    admin = commands.add_parser("admin", help="work on the store of a bot")
    admin_commands = admin.add_subparsers(dest="admin_command", required=True)
    add_dead_letters_command(admin_commands)
    add_services_commands(admin_commands)
    add_team_commands(admin_commands)
    reply = admin_commands.add_parser("send", help="reply to a conversation as an agent")
    reply.add_argument("conversation", help="the conversation id, e.g. c_3f2a...")
    reply.add_argument("text")
    reply.add_argument("--agent", default="", help="who is replying, e.g. an email")
    contacts = admin_commands.add_parser(
        "import", help="load CRM contacts from a CSV file into the identity graph"
    )
    contacts.add_argument("file", help="a UTF-8 CSV file with a header row")
    contacts.add_argument("--report", help="where rejected rows go (FILE.rejected.csv)")
    contacts.add_argument("--channel", default="import", help="the source of new profiles")
    contacts.add_argument("--batch", type=int, default=DEFAULT_BATCH, help="rows per round")
    add_config_command(commands)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)

    if args.command == "config":
        return run_config_command(args)
    configure_logging()
    try:
        settings = load_settings()
    except ConfigError as error:
        print(error, file=sys.stderr)
        return 2
    if args.command == "admin" and args.admin_command != "import" and not settings.redis_url:
        print(
            "switchboard: admin commands need REDIS_URL: the running bot's embedded store "
            "lives in its own process, out of reach of this one",
            file=sys.stderr,
        )
        return 2
    if args.command == "admin" and args.admin_command == "services":
        return asyncio.run(run_services_command(settings, args))
    if args.command == "admin" and args.admin_command in TEAM_COMMANDS:
        return asyncio.run(run_team_command(settings, args))
    if args.command == "admin" and args.admin_command == "send":
        return asyncio.run(send(settings, args.conversation, args.text, args.agent))
    if args.command == "admin" and args.admin_command == "import":
        try:
            return asyncio.run(import_command(settings, args))
        except KeyboardInterrupt:
            print(
                "\nswitchboard: import interrupted: the rows before are stored, "
                "and importing the file again is safe",
                file=sys.stderr,
            )
            return 130
    if args.command == "admin" and args.admin_command == "dead-letters":
        return asyncio.run(run_dead_letters_command(settings, args))
    workers = getattr(args, "workers", 1)
    if workers < 1:
        print("switchboard: --workers must be at least 1", file=sys.stderr)
        return 2
    if workers > 1:
        return serve_workers(settings, workers)
    try:
        asyncio.run(serve(settings))
    except ConfigError as error:  # the store is out of reach
        print(error, file=sys.stderr)
        return 2
    return 0


def version() -> str:
    """The installed version, or the source tree's when it is not installed."""
    try:
        return metadata.version("switchboard")
    except metadata.PackageNotFoundError:
        return "(not installed)"
