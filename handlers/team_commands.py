"""The team's commands on conversations, services and roles (OPS-1, OPS-2): each one
decides from its arguments, then acts through the desk port (``handlers.ports.DeskPort``)."""

from __future__ import annotations

import time
from typing import Any

from bot.model import indented
from handlers.command_kit import (
    NO_ROLE,
    ROLE_RANK,
    Argument,
    Command,
    Question,
    Spec,
    UsageError,
    confirm_once,
    confirmation_code,
    flat,
)
from handlers.ports import CHAT, Attachment, Caller, DeskPort


def when(at: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(at))


def order_line(names: tuple[str, ...] | list[str]) -> str:
    """A number's services, the parent marked; or that nobody serves it."""
    if not names:
        return "no services: idle"
    return ", ".join(f"{name} (parent)" if n == 0 else name for n, name in enumerate(names))


def change_line(change: Attachment) -> str:
    line = f"{change.number}: {order_line(change.after)}"
    before, after = change.before[:1], change.after[:1]
    if before != after:
        line += f"; the parent is now {after[0] if after else 'nobody'}"
        line += f" (was {before[0]})" if before else ""
    return line


CONVERSATION = Argument("conversation", "the conversation: its id (c_...) or the id's start")
SERVICE = Argument("service", "the service's name, e.g. support")
NUMBER = Argument("number", "only this number, e.g. wa:106540352242922 (default: every one)", "?")

SPECS: tuple[Spec, ...] = (
    Spec(
        "inbox",
        "/inbox [n]",
        "the n most recent conversations (10 by default, at most 50)",
        "viewer",
        arguments=(Argument("n", "how many (10 by default, at most 50)", "?"),),
        example="20",
    ),
    Spec("flows", "/flows", "the guided conversations each number's parent runs", "viewer"),
    Spec(
        "services",
        "/services",
        "each number's services in attach order; the first is the parent",
        "viewer",
    ),
    Spec(
        "claim",
        "/claim <conversation>",
        "say you work a conversation (others are warned, not stopped)",
        "agent",
        arguments=(CONVERSATION,),
        example="c_3f2a9b",
    ),
    Spec(
        "release",
        "/release <conversation>",
        "let go of your claim",
        "agent",
        arguments=(CONVERSATION,),
        example="c_3f2a9b",
    ),
    Spec(
        "reply",
        "/reply <conversation> <text...>",
        "send the customer a message from the number",
        "agent",
        raw_after=1,
        arguments=(CONVERSATION, Argument("text", "what the customer gets, as typed", "+")),
        example="c_3f2a9b Your order left today.",
    ),
    Spec(
        "note",
        "/note <conversation> [text...]",
        "add a note for the team (without text: read the notes)",
        "agent",
        raw_after=1,
        arguments=(CONVERSATION, Argument("text", "the note; without it, read the notes", "*")),
        example="c_3f2a9b Call back after 9",
    ),
    Spec(
        "optout",
        "/optout <conversation> [on|off]",
        "stop all messages in the conversation (on, the default), or allow them again; "
        "the customer's conversations on other channels keep their own switch",
        "agent",
        arguments=(
            CONVERSATION,
            Argument(
                "switch", "on stops messages (the default), off allows them", "?", ("on", "off")
            ),
        ),
        example="c_3f2a9b off",
    ),
    Spec(
        "attach",
        "/attach <service> [number]",
        "attach a service to a number, or to every number",
        "admin",
        arguments=(SERVICE, NUMBER),
        example="support wa:106540352242922",
    ),
    Spec(
        "detach",
        "/detach <service> [number] [confirm <code>]",
        "detach a service (asks for confirmation)",
        "admin",
        arguments=(SERVICE, NUMBER),
        example="support wa:106540352242922",
    ),
    Spec(
        "role",
        "/role [<email|telegram id> <viewer|agent|admin|none>]",
        "list the team's roles, or give a member a role (none: off the team)",
        "admin",
        arguments=(
            Argument("member", "an email or a Telegram user id (without it: list)", "?"),
            Argument("role", "the role to give (none: off the team)", "?", (*ROLE_RANK, NO_ROLE)),
        ),
        members=(0,),
        example="ann@example.com agent",
    ),
    Spec(
        "audit",
        "/audit [n]",
        "the audit trail's n latest entries: who ran what, and what came of it",
        "admin",
        arguments=(Argument("n", "how many (10 by default, at most 50)", "?"),),
        example="20",
    ),
)
"""Each command's spec, run by the TeamCommands method ``_<name>``: see Spec."""


def _count(args: list[str]) -> int:
    """The one optional count of /inbox and /audit: 10 by default, at most 50."""
    # ASCII digits: str.isdigit also takes "²", which int() refuses.
    count = args[0] if args else "10"
    if len(args) > 1:
        raise UsageError
    if not (count.isascii() and count.isdigit() and 1 <= int(count) <= 50):
        raise ValueError("N is a number from 1 to 50")
    return int(count)


def _via(entry: dict[str, Any]) -> str:
    """Where an entry's command was run, when not in the team chat."""
    via = entry.get("via", CHAT)
    return "" if via == CHAT else f" on the {str(via)[:20]}"


class TeamCommands:
    """The commands built on the desk; ``commands()`` hands them to the registry."""

    def __init__(self, desk: DeskPort) -> None:
        self.desk = desk

    def commands(self) -> list[Command]:
        """Each command of ``SPECS``, run by this object's ``_<name>`` method."""
        return [Command(spec, getattr(self, f"_{spec.name}")) for spec in SPECS]

    async def _inbox(self, caller: Caller, args: list[str]) -> str:
        items = await self.desk.inbox(_count(args))
        if not items and not await self.desk.team_numbers():
            return "The team is attached to no number: /attach team <number> works one."
        if not items:
            return "No conversations yet."
        lines = []
        for item in items:
            flags = [f"{item.channel} {when(item.last_at)}"]
            if item.holder:
                flags.append(f"held by {flat(item.holder.agent)} of {item.holder.service}")
            if item.opted_out:
                flags.append("opted out")
            if item.blocked:
                flags.append("blocked the bot")
            lines.append(f"{item.id} {item.customer} - {', '.join(flags)}\n  {item.preview}")
        return "\n".join(lines)

    async def _audit(self, caller: Caller, args: list[str]) -> str:
        entries = await self.desk.audit_trail(_count(args))
        if not entries:
            return "The audit trail is empty."
        return "\n".join(
            f"{when(entry['at'])} {entry['who']}{_via(entry)}: {entry['command']} - "
            f"{entry['outcome']}"
            for entry in entries
        )

    async def _flows(self, caller: Caller, args: list[str]) -> str:
        if args:
            raise UsageError
        lines = []
        for number, parent, flows in await self.desk.flows():
            lines.append(f"{number} (parent: {parent or 'none'}):")
            if not flows:
                lines.append("  no guided conversations")
            for flow in flows:
                starts = ", ".join(flow.start) or "a rule"
                lines.append(f"  {flow.name}: {len(flow.steps)} steps, started by {starts}")
        return "\n".join(lines)

    async def _services(self, caller: Caller, args: list[str]) -> str:
        if args:
            raise UsageError
        return "\n".join(
            f"{number}: {order_line(names)}" for number, names in await self.desk.services()
        )

    async def _claim(self, caller: Caller, args: list[str]) -> str:
        if len(args) != 1:
            raise UsageError
        claimed = await self.desk.claim(args[0], caller.name)
        answer = f"You hold {claimed.conversation} now."
        return f"{answer}\nWarning: {claimed.warning}." if claimed.warning else answer

    async def _release(self, caller: Caller, args: list[str]) -> str:
        if len(args) != 1:
            raise UsageError
        return f"Released {await self.desk.release(args[0], caller.name)}."

    async def _reply(self, caller: Caller, args: list[str]) -> str:
        if len(args) != 2:
            raise UsageError
        sent = await self.desk.reply(args[0], args[1], caller.name)
        answer = f"Sent to {sent.customer} ({sent.conversation}): {sent.outbound.send_id}"
        return f"{answer}\nWarning: {sent.warning}." if sent.warning else answer

    async def _note(self, caller: Caller, args: list[str]) -> str:
        if not args:
            raise UsageError
        if len(args) == 2:
            cid, _ = await self.desk.note(args[0], args[1], caller.name)
            return f"Noted on {cid}."
        cid, notes = await self.desk.notes(args[0])
        if not notes:
            return f"No notes on {cid} yet."
        return "\n".join(
            f"{when(note['at'])} {note['author']} ({note['service']}): {indented(note['text'])}"
            for note in notes
        )

    async def _optout(self, caller: Caller, args: list[str]) -> str:
        switch = [word.lower() for word in args[1:]]
        if len(args) not in (1, 2) or switch not in ([], ["on"], ["off"]):
            raise UsageError
        on = switch != ["off"]
        cid, changed = await self.desk.optout(args[0], on)
        state = (
            "opted out: nothing will be sent to them in this conversation"
            if on
            else "opted in: messages may go in this conversation"
        )
        return f"{cid}: the customer is {state}{'' if changed else ' (already so)'}."

    async def _attach(self, caller: Caller, args: list[str]) -> str:
        if len(args) not in (1, 2):
            raise UsageError
        changes = await self.desk.attach(args[0], args[1] if len(args) == 2 else None)
        lines = []
        for change in changes:
            done = "was already attached to" if change.before == change.after else "attached to"
            lines.append(f"{args[0]} {done} {change_line(change)}")
        return "\n".join(lines)

    async def _detach(self, caller: Caller, args: list[str]) -> str:
        asked = args[-2:-1] == ["confirm"]
        scope = args[:-2] if asked else args
        if len(scope) not in (1, 2) or "confirm" in scope:
            raise UsageError
        service, number = scope[0], scope[1] if len(scope) == 2 else None
        numbers = await self.desk.attached_to(service, number)
        # The code confirms the numbers the question named, and no others.
        subject = f"detach|{service}|{number or '*'}|{','.join(sorted(numbers))}"
        if not asked:
            code = confirmation_code(caller, subject, time.time())
            return Question(
                f"This detaches {service} from {', '.join(numbers)}: it hears nothing more "
                f"from {'that number' if len(numbers) == 1 else 'those numbers'}, and if it "
                "is the parent the next service takes over. To go ahead, send within 10 "
                f"minutes:\n/detach {' '.join(scope)} confirm {code}"
            )
        await confirm_once(self.desk, caller, subject, args[-1], "/detach")
        changes = await self.desk.detach(service, number)
        return "\n".join(f"{service} detached from {change_line(change)}" for change in changes)

    async def _role(self, caller: Caller, args: list[str]) -> str:
        if len(args) not in (0, 2):
            raise UsageError
        if not args:
            lines = []
            for role in await self.desk.roles():
                who = f"{role.member} ({role.name})" if role.name else role.member
                source = (
                    "added by /role"
                    if not role.configured
                    else f"set by /role; the config says {role.configured}"
                    if role.configured != role.role
                    else ""
                )
                lines.append(f"{who}: {role.role}" + (f" ({source})" if source else ""))
            return "\n".join(lines) or "Nobody is on the team yet: /role <email> <role> adds."
        now, before = await self.desk.set_role(args[0], args[1].lower())
        if before == now.role and now.role != NO_ROLE:
            return f"{now.member} is {now.role} already."
        was = f" (was {before})" if before and before != now.role else ""
        if now.role == NO_ROLE:
            return f"{now.member} is off the team now{was}: their commands are refused."
        return f"{now.member} is {now.role} now{was}."
