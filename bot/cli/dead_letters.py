"""``python bot.py admin dead-letters``: list or replay what was set aside after failing
every attempt: a service's undelivered events, entries of the inbound log or the outbox
that the runtime could not work, or notification runs."""

from __future__ import annotations

import argparse
import sys
import time
from datetime import UTC, datetime

from bot.cli.helptext import Paragraphs, examples
from bot.cli.runtimes import runtime_of_the_running
from bot.cli.terminal import printable
from bot.config.settings import Settings
from bot.model import AUTOMATION_SERVICE
from bot.runtime import Runtime
from stores.streams import DeadLetter, ShardedStream

SHOWN_CHARS = 120
"""How much of each dead letter's document a listing shows."""
SHOWN_LETTERS = 100
"""A service's dead letters a listing shows at most, the latest."""


def add_dead_letters_command(
    admin: argparse._SubParsersAction[argparse.ArgumentParser], prog: str
) -> None:
    dead = admin.add_parser(
        "dead-letters",
        help="list or replay dead letters: a service's, the inbound log's or the outbox's",
        description="List, or queue again, what was set aside after failing every attempt: "
        "a service's undelivered events, inbound messages the pipeline failed on, sends "
        "the sender failed on, or notification runs that kept failing.",
        epilog=examples(
            prog, "admin dead-letters support", "admin dead-letters --inbound --replay"
        ),
        formatter_class=Paragraphs,
    )
    which = dead.add_mutually_exclusive_group(required=True)
    which.add_argument(
        "service", metavar="SERVICE", nargs="?", help="the service whose undelivered events to show"
    )
    which.add_argument(
        "--inbound", action="store_true", help="inbound messages the pipeline failed on"
    )
    which.add_argument("--outbox", action="store_true", help="sends the sender failed on")
    which.add_argument(
        "--notifications", action="store_true", help="notification runs that kept failing"
    )
    doing = dead.add_mutually_exclusive_group()
    doing.add_argument("--replay", action="store_true", help="queue them again")
    doing.add_argument(
        "--drop",
        action="store_true",
        help="let go of a service's dead letters for good (a retired service's, say); of "
        "a service attached to no number, its queued events and retries too",
    )


async def run_dead_letters_command(settings: Settings, args: argparse.Namespace) -> int:
    if args.drop and not args.service:
        print(
            "switchboard: --drop lets go of a service's dead letters: name the service",
            file=sys.stderr,
        )
        return 2
    runtime = await runtime_of_the_running(settings)
    try:
        if args.notifications:
            await _notification_runs(runtime, args.replay)
        elif args.inbound or args.outbox:
            stream = runtime.inbound_log if args.inbound else runtime.outbox
            await _stream_letters(stream, args.replay)
        else:
            return await _service_letters(runtime, args.service, args.replay, args.drop)
    finally:
        await runtime.close()
    return 0


async def _service_letters(runtime: Runtime, service: str, replay: bool, drop: bool) -> int:
    letters = await runtime.deliveries.dead_letters(service, SHOWN_LETTERS)
    configured = {defined.name for defined in runtime.settings.services}
    known = service in configured | {AUTOMATION_SERVICE} or await runtime.directory.store.get(
        service
    )
    if not letters and not known:
        # A mistyped name would read as "nothing failed", hiding what did.
        print(
            f"switchboard: no service named {printable(service)!r} "
            "(python bot.py admin services list names them)",
            file=sys.stderr,
        )
        return 2
    if replay:
        count = await runtime.deliveries.replay_dead_letters(service, time.time())
        verb = "is" if count == 1 else "are"
        print(f"{_count(count, 'dead letter')} of {service} {verb} queued again")
        return 0
    if drop:
        count = await runtime.deliveries.drop_dead_letters(service)
        said = f"{_count(count, 'dead letter')} of {service} let go of"
        if not await runtime.actions.numbers_of(service):
            # Retired: what waits in its queue would wait for good, on the gauges too.
            if queued := await runtime.deliveries.drop_queued(service):
                said += (
                    f", and {_count(queued, 'event')} queued for it: it is attached to no number"
                )
        print(said)
        return 0
    if not letters:
        print(f"no dead letters of {service}")
    for delivery in letters:
        print(printable(f"{delivery.attempts} attempts  {delivery.event[:SHOWN_CHARS]}"))
    if len(letters) == SHOWN_LETTERS:
        _, dead = (await runtime.deliveries.depths([service])).get(service, (0, 0))
        if dead > SHOWN_LETTERS:
            print(f"the latest {SHOWN_LETTERS} of {dead:,} shown")
    return 0


async def _stream_letters(stream: ShardedStream, replay: bool) -> None:
    if replay:
        count = await stream.replay_dead_letters()
        where = "is back on its shard" if count == 1 else "are back on their shards"
        print(f"{_count(count, f'{stream.kind} dead letter')} {where}")
        return
    letters = await stream.dead_letters()
    if not letters:
        print(f"no {stream.kind} dead letters")
    for letter in letters:
        print(printable(_line(letter)))


async def _notification_runs(runtime: Runtime, replay: bool) -> None:
    if replay:
        count = await runtime.outreach.notifications.runs.replay_set_aside(time.time())
        verb = "is" if count == 1 else "are"
        print(f"{_count(count, 'notification run')} {verb} scheduled again")
        return
    store = runtime.notification_store
    runs = await store.set_aside_runs()
    if not runs:
        print("no notification runs set aside")
    metas = await store.runs_meta([(nid, run) for nid, run, _ in runs])
    for (nid, run, at), meta in zip(runs, metas, strict=True):
        print(
            printable(
                f"{nid}  run {run}  {meta.get('failures', '?')} attempts  {_when(at)}  "
                f"{_one_line(meta.get('error', ''))}"
            )
        )


def _line(letter: DeadLetter) -> str:
    return (
        f"shard {letter.shard}  {letter.entry_id}  {letter.attempts} attempts  "
        f"{_when(letter.at)}  {_one_line(letter.error)}  {letter.data[:SHOWN_CHARS]}"
    )


def _when(at: float) -> str:
    return datetime.fromtimestamp(at, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _count(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"
