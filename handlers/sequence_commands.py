"""The team's ``/sequences``, ``/enrol`` and ``/unenrol`` (OPS-1): the drip sequences and
each one's report, and a customer put in or taken out of one by hand. The CLI's ``admin
sequences``, ``admin enrol`` and ``admin unenrol`` run the same commands."""

from __future__ import annotations

from typing import Any, Protocol

from handlers.command_kit import Argument, Command, Spec, UsageError
from handlers.ports import Caller, DeskPort


class SequencePort(Protocol):
    """Drip sequences as the commands use them (``bot.outreach.sequence_team``). Unknown
    sequences and customers raise LookupError; bad requests ValueError."""

    async def listing(self, numbers: list[str]) -> list[dict[str, Any]]:
        """The sequences on ``numbers``."""

    async def report(self, name: str) -> dict[str, Any]: ...
    async def number_of(self, name: str) -> str:
        """The number a sequence sends from."""

    async def enrol(self, name: str, reference: str, again: bool) -> bool: ...
    async def unenrol(self, name: str, reference: str) -> bool: ...


SEQUENCE = Argument("sequence", "the sequence's name, as in the configuration")
CUSTOMER = Argument("customer", "a profile id (p_...), a phone or an identity (wa:...)")
SPECS: tuple[Spec, ...] = (
    Spec(
        "sequences",
        "/sequences [name]",
        "the drip sequences, or one's report: each step's counts and the enrolments",
        "viewer",
        arguments=(Argument("name", "a sequence: its report (default: list them all)", "?"),),
        example="welcome",
    ),
    Spec(
        "enrol",
        "/enrol <sequence> <customer> [again]",
        "start a customer on a drip sequence (again: one who ended it before)",
        "agent",
        arguments=(
            SEQUENCE,
            CUSTOMER,
            Argument("again", "start over a customer who finished or stopped", "?", ("again",)),
        ),
        example="welcome +447700900123",
        personal=(1,),
    ),
    Spec(
        "unenrol",
        "/unenrol <sequence> <customer>",
        "take a customer off a drip sequence: no later step goes to them",
        "agent",
        arguments=(SEQUENCE, CUSTOMER),
        example="welcome +447700900123",
        personal=(1,),
    ),
)


def _wait(seconds: float) -> str:
    """A step's wait as it is written: ``3d``, ``1d12h``, ``90m``, ``30s``, ``0d``."""
    whole = int(seconds)
    if whole == 0:
        return "0d"
    parts = []
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60), ("s", 1)):
        if whole >= size:
            parts.append(f"{whole // size}{unit}")
            whole %= size
    return "".join(parts)


def _trigger(found: dict[str, Any]) -> str:
    kind, value = next(iter(found["trigger"].items()))
    return "first contact" if kind == "first_contact" else f"{kind.replace('_', ' ')} {value}"


def _enrolments(enrolments: dict[str, Any]) -> str:
    stopped = ", ".join(f"{reason} {n:,}" for reason, n in enrolments["stopped"].items() if n)
    return (
        f"enrolled {enrolments['enrolled']:,}: active {enrolments['active']:,}, "
        f"finished {enrolments['finished']:,}, stopped {sum(enrolments['stopped'].values()):,}"
        + (f" ({stopped})" if stopped else "")
    )


def describe_sequences(found: list[dict[str, Any]]) -> str:
    if not found:
        return "No drip sequences are configured (sequences: in the configuration file)."
    lines = []
    for item in found:
        off = "" if item["enabled"] else ", disabled"
        lines.append(
            f"{item['name']} ({item['number']}, {item['steps']} steps, on {_trigger(item)}"
            f"{off}): {_enrolments(item['enrolments'])}"
        )
    return "\n".join(lines)


def describe_sequence(report: dict[str, Any]) -> str:
    """A sequence's report in a few lines of plain text: overall, then a line a step."""
    counts, skipped = report["counts"], report["skipped"]
    lines = [
        f"{report['name']} ({report['number']}, on {_trigger(report)}, stops on "
        f"{', '.join(report['stop_on'])}): {_enrolments(report['enrolments'])}",
        f"overall: sent {counts['sent']:,}, delivered {counts['delivered']:,}, "
        f"read {counts['read']:,}, failed {counts['failed']:,}, "
        f"deferred {counts['deferred']:,}, skipped {sum(skipped.values()):,}; "
        f"cost {report['cost']['currency']} {report['cost']['amount']:.4f}",
    ]
    for step in report["steps"]:
        c = step["counts"]
        reasons = ", ".join(f"{reason} {n:,}" for reason, n in step["skipped"].items() if n)
        lines.append(
            f"{step['index'] + 1}. {step['name']} (after {_wait(step['wait_seconds'])}): "
            f"sent {c['sent']:,}, delivered {c['delivered']:,}, read {c['read']:,}, "
            f"failed {c['failed']:,}, deferred {c['deferred']:,}, "
            f"skipped {sum(step['skipped'].values()):,}"
            + (f" ({reasons})" if reasons else "")
            + _ended(step)
        )
    return "\n".join(lines)


def _ended(step: dict[str, Any]) -> str:
    """A step whose notification was cancelled or stopped says so, and what it kept back."""
    if step.get("status", "active") == "active":
        return ""
    return f"; {step['status']}: {step.get('not_sent', 0):,} not sent"


class SequenceCommands:
    """``/sequences``, ``/enrol`` and ``/unenrol`` over the sequences port; the team acts
    (as /reply does) on the numbers the desk says it is attached to."""

    def __init__(self, sequences: SequencePort, desk: DeskPort) -> None:
        self.sequences = sequences
        self.desk = desk

    def commands(self) -> list[Command]:
        return [Command(spec, getattr(self, f"_{spec.name}")) for spec in SPECS]

    async def _sequences(self, caller: Caller, args: list[str]) -> str:
        if len(args) > 1:
            raise UsageError
        if args:
            await self._ours(args[0], "Not shown", sending=False)
            return describe_sequence(await self.sequences.report(args[0]))
        return describe_sequences(await self.sequences.listing(await self.desk.team_numbers()))

    async def _enrol(self, caller: Caller, args: list[str]) -> str:
        if len(args) not in (2, 3) or args[2:] not in ([], ["again"]):
            raise UsageError
        await self._ours(args[0], "Not enrolled", sending=True)
        if await self.sequences.enrol(args[0], args[1], len(args) == 3):
            return f"Enrolled {args[1]} in {args[0]}: its first step goes after its wait."
        return (
            f"{args[1]} is enrolled in {args[0]} already, or ended it before "
            f"(/enrol {args[0]} {args[1]} again starts over)."
        )

    async def _unenrol(self, caller: Caller, args: list[str]) -> str:
        if len(args) != 2:
            raise UsageError
        await self._ours(args[0], "Not taken off", sending=False)
        if await self.sequences.unenrol(args[0], args[1]):
            return f"Took {args[1]} off {args[0]}: no later step goes to them."
        return f"{args[1]} is not on {args[0]} now."

    async def _ours(self, name: str, refused: str, *, sending: bool) -> None:
        """RefusedError unless the sequence is on a number the team acts on; an enrolment,
        whose steps send, needs a service attached there too, as /reply does."""
        await self.desk.acting_on(await self.sequences.number_of(name), refused, sending=sending)
