"""Commands: ``serve`` (the default) runs the bot; ``admin`` tools work on its store."""

from __future__ import annotations

import argparse
import asyncio
import sys
import time

from bot.admin import add_services_commands, run_services_command
from bot.config import ConfigError, Settings, load_settings
from bot.runtime import Runtime
from bot.sender import SendFailedError, WindowClosedError
from bot.server import configure_logging, serve, serve_workers


async def dead_letters(settings: Settings, service: str, replay: bool) -> int:
    runtime = Runtime(settings)
    try:
        if replay:
            count = await runtime.deliveries.replay_dead_letters(service, time.time())
            print(f"{count} dead letters of {service} are queued again")
        else:
            for delivery in await runtime.deliveries.dead_letters(service):
                print(f"{delivery.attempts} attempts  {delivery.event[:120]}")
    finally:
        await runtime.close()
    return 0


async def send(settings: Settings, conversation: str, text: str, agent: str) -> int:
    """Queue a reply from the command line; the running bot sends it."""
    runtime = Runtime(settings)
    try:
        outbound = await runtime.reply(conversation, text, service="cli", agent=agent)
    except (LookupError, WindowClosedError, SendFailedError) as error:
        print(f"switchboard: not sent: {error}", file=sys.stderr)
        return 1
    finally:
        await runtime.close()
    print(f"queued {outbound.send_id}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python bot.py", description=__doc__)
    commands = parser.add_subparsers(dest="command")
    serve_parser = commands.add_parser("serve", help="run the bot (the default)")
    serve_parser.add_argument(
        "--workers", type=int, default=1, help="processes sharing the port (needs REDIS_URL)"
    )
    admin = commands.add_parser("admin", help="work on the store of a bot")
    admin_commands = admin.add_subparsers(dest="admin_command", required=True)
    dead = admin_commands.add_parser("dead-letters", help="list or replay a service's dead letters")
    dead.add_argument("service")
    dead.add_argument("--replay", action="store_true", help="queue them for delivery again")
    add_services_commands(admin_commands)
    reply = admin_commands.add_parser("send", help="reply to a conversation as an agent")
    reply.add_argument("conversation", help="the conversation id, e.g. c_3f2a...")
    reply.add_argument("text")
    reply.add_argument("--agent", default="", help="who is replying, e.g. an email")
    args = parser.parse_args(argv)

    configure_logging()
    try:
        settings = load_settings()
    except ConfigError as error:
        print(f"switchboard: configuration error: {error}", file=sys.stderr)
        return 2
    if args.command == "admin" and args.admin_command == "services":
        return asyncio.run(run_services_command(settings, args))
    if args.command == "admin" and args.admin_command == "send":
        return asyncio.run(send(settings, args.conversation, args.text, args.agent))
    if args.command == "admin":
        return asyncio.run(dead_letters(settings, args.service, args.replay))
    workers = getattr(args, "workers", 1)
    if workers < 1:
        print("switchboard: --workers must be at least 1", file=sys.stderr)
        return 2
    if workers > 1:
        return serve_workers(settings, workers)
    asyncio.run(serve(settings))
    return 0
