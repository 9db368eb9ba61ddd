"""Team slash commands (OPS-1, OPS-2, OPS-4): parsed, checked against the caller's role,
and run through the same core as the HTTP API. The team chat and the CLI both use them.

A command answers plain text; the channel that shows it escapes it. The team's commands
on conversations and services live in ``handlers.team_commands``.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable
from typing import Any

from handlers.command_kit import (
    IDENTITY,
    OPERATOR,
    ROLE_RANK,
    Argument,
    Command,
    Question,
    Spec,
    UsageError,
    confirm_once,
    confirmation_code,
    counted,
    flat,
    has_control_characters,
    phone_joined,
    shown_identity,
    split_arguments,
)
from handlers.notify_commands import NotifyCommands
from handlers.ports import (
    CHAT,
    Caller,
    DeskPort,
    NotifyPort,
    ProfilePort,
    RefusedError,
)
from handlers.sequence_commands import SequenceCommands, SequencePort
from handlers.team_commands import TeamCommands

__all__ = [
    "OPERATOR",
    "Caller",
    "Command",
    "Commands",
    "RefusedError",
    "UsageError",
    "confirm_once",
    "confirmation_code",
    "has_control_characters",
    "split_arguments",
]

audit = logging.getLogger("switchboard.audit")

MAX_LINE = 5000
"""Characters in one command line: room for a reply of 4096 characters and its command."""
ORDER = (
    "help inbox profile services flows stats sequences claim release reply note optout notify "
    "enrol unenrol merge attach detach forget role audit"
).split()
"""The order /help lists the commands in: what everyone may run first."""


PROFILE = Argument(
    "profile", "a profile id (p_...) or an identity: +447700900123, wa:..., email:..."
)
SPECS: tuple[Spec, ...] = (
    Spec("help", "/help [command]", "what you can run here, or how to run one", "viewer"),
    Spec(
        "profile",
        "/profile <id|identity> [convert | notes [YYYY-MM-DD]]",
        "show a customer's profile, convert a lead, read the daily notes",
        "viewer",
        arguments=(
            PROFILE,
            Argument(
                "action",
                "convert makes a lead a contact; notes reads the daily notes",
                "?",
                ("convert", "notes"),
            ),
            Argument("day", "with notes: the day, YYYY-MM-DD (default: the latest)", "?"),
        ),
        example="+447700900123 notes 2026-11-21",
        personal=(0,),
    ),
    Spec(
        "merge",
        "/merge <id|identity> <id|identity>",
        "merge two profiles of one person (the older survives)",
        "agent",
        arguments=(PROFILE, Argument("other", "the other profile: an id or an identity")),
        example="p_0193ab email:ann@example.com",
        personal=(0, 1),
    ),
    Spec(
        "forget",
        "/forget <id|identity> [confirm <code>]",
        "erase a person for good (asks for confirmation)",
        "admin",
        arguments=(PROFILE,),
        example="email:ann@example.com",
        personal=(0,),
    ),
)
"""The commands on profiles, run by the Commands method ``_<name>``: see Spec."""


_COMMAND_NAME = re.compile(r"(?!.*\d{5})[a-z0-9_]{1,32}")
"""What an unknown command's name may be for the audit trail to keep it: Telegram's
grammar of command names (no run of five digits: a phone typed after the slash is none)."""


TOO_LONG = f"That command is longer than {MAX_LINE} characters."
CONTROLS = "Commands may not contain control characters (only text, newlines and tabs)."
UNBALANCED = "Unbalanced quotes: close every quote you open."
LINE_PROBLEMS = (TOO_LONG, CONTROLS, UNBALANCED)
"""Refusals of a line's words, whatever its command: the command line's usage errors."""


class _Refusal(Exception):
    """Why a command line was refused: the answer, and a short reason for the audit."""

    def __init__(self, answer: str, reason: str = "") -> None:
        super().__init__(answer)
        self.answer = answer
        self.reason = reason or answer.split("\n", 1)[0][:160]


class Commands:
    """The registry, and the one entry point: ``await commands.run(caller, "/profile x")``.

    With a desk, the team's commands on conversations, services and roles are there too,
    and the audit trail is also kept by the desk; with notifications, /notify and /stats;
    with drip sequences, /sequences, /enrol and /unenrol."""

    def __init__(
        self,
        profiles: ProfilePort,
        desk: DeskPort | None = None,
        notify: NotifyPort | None = None,
        sequences: SequencePort | None = None,
        outage: Callable[[BaseException], bool] = lambda error: False,
    ) -> None:
        self.profiles = profiles
        self.desk = desk
        self.outage = outage
        """Whether an error is the store's trouble (Redis down, a cluster's node failing
        over) rather than a bug: said in one line, not traced."""
        found = [Command(spec, getattr(self, f"_{spec.name}")) for spec in SPECS]
        if desk is not None:
            found += TeamCommands(desk).commands()
            if notify is not None:
                found += NotifyCommands(notify, desk).commands()
            if sequences is not None:
                found += SequenceCommands(sequences, desk).commands()
        by_name = {command.name: command for command in found}
        self.registry: dict[str, Command] = {
            name: by_name[name] for name in ORDER if name in by_name
        }

    async def run(self, caller: Caller | None, line: str, *, source: str = "") -> str:
        """The answer to one command line; never raises for anything a user can type.

        ``source`` names an unknown caller in the audit log (``tg:123456``)."""
        return (await self.execute(caller, line, source=source))[1]

    async def execute(
        self, caller: Caller | None, line: str, *, source: str = "", via: str = CHAT
    ) -> tuple[bool, str]:
        """(whether the command did its work, the answer). Every refusal, and every run
        of an agent's or admin's command, goes to the audit log, with where it was run
        (``via`` the team chat or the command line)."""
        line, name, command = self._named(line)
        args: list[str] = []
        try:
            command, caller, args = self._check(caller, line, name, command)
            answer = await self._perform(command, caller, args)
        except _Refusal as refusal:
            await self._audit(caller, source, name, command, args, refusal.reason, via=via)
            return False, refusal.answer
        if command.role != "viewer" or (name == "profile" and args[1:2] == ["convert"]):
            asked = isinstance(answer, Question)
            await self._audit(caller, source, name, command, args, "", asked=asked, via=via)
        return True, answer

    def _named(self, line: str) -> tuple[str, str, Command | None]:
        """(the line as it runs, the command's name, the command if there is one)."""
        line = line.replace("\r\n", "\n").strip(" \n\t")  # str.strip() would drop \x85 too
        first = line.split(maxsplit=1)[0] if line else ""
        name = first[1:].split("@", 1)[0].lower() if first.startswith("/") else ""
        return line, name, self.registry.get(name)  # /help@SwitchboardBot in groups is /help

    def about(self, line: str, conversation: str) -> str:
        """``line`` acting on ``conversation`` when its command takes a conversation first
        and the line names none (``/claim``, ``/note Call back after 9``, ``/optout off``
        sent in reply to a customer's post); else as it is."""
        line, _, command = self._named(line)
        arguments = command.spec.arguments if command is not None else ()
        if not arguments or arguments[0].name != "conversation":
            return line
        first, _, rest = line.partition(" ")
        if rest.lstrip().startswith("c_"):
            return line
        return f"{first} {conversation} {rest.lstrip()}".rstrip()

    async def refusal(self, caller: Caller | None, line: str, *, source: str = "") -> str:
        """Why ``caller`` may not run ``line`` (audited, as ``execute`` does), without
        running it; '' when they may."""
        line, name, command = self._named(line)
        try:
            self._check(caller, line, name, command)
        except _Refusal as refusal:
            await self._audit(caller, source, name, command, [], refusal.reason)
            return refusal.answer
        return ""

    def _check(
        self, caller: Caller | None, line: str, name: str, command: Command | None
    ) -> tuple[Command, Caller, list[str]]:
        """The command, caller and arguments of a line the caller may run; raises
        _Refusal otherwise."""
        if len(line) > MAX_LINE:
            raise _Refusal(TOO_LONG)
        if has_control_characters(line):
            raise _Refusal(CONTROLS)
        if not line.startswith("/"):
            raise _Refusal("Commands start with /. Try /help.")
        if caller is None:
            raise _Refusal(
                "You are not on this team's list, so commands are refused.", "unknown user"
            )
        if command is None:
            raise _Refusal(f"Unknown command /{name[:40]}. Try /help.")
        if ROLE_RANK.get(caller.role, -1) < ROLE_RANK[command.role]:
            raise _Refusal(
                f"/{name} needs the {command.role} role; you are {caller.role}.",
                f"role {caller.role}",
            )
        parts = line.split(maxsplit=1)
        try:
            return (
                command,
                caller,
                split_arguments(parts[1] if len(parts) > 1 else "", command.raw_after),
            )
        except ValueError:
            raise _Refusal(UNBALANCED) from None

    async def _perform(self, command: Command, caller: Caller, args: list[str]) -> str:
        try:
            return await command.run(caller, args)
        except UsageError:
            raise _Refusal(f"Usage: {command.usage}", "usage") from None
        except RefusedError as error:
            raise _Refusal(str(error)) from None
        except LookupError as error:
            raise _Refusal(str(error.args[0] if error.args else error)) from None
        except ValueError as error:
            raise _Refusal(f"{str(error)[:300]}\nUsage: {command.usage}") from None
        except Exception as error:
            # Never a trace in the chat: the operator finds it in the log.
            if self.outage(error):
                logging.getLogger(__name__).warning(
                    "/%s failed: the store failed (%s: %s)",
                    command.name,
                    type(error).__name__,
                    str(error)[:200],
                )
                raise _Refusal(
                    "The store is out of reach just now; try again in a moment."
                ) from None
            logging.getLogger(__name__).exception("/%s failed", command.name)
            raise _Refusal("That failed on our side; it is in the log. Try again later.") from None

    async def _audit(
        self,
        caller: Caller | None,
        source: str,
        name: str,
        command: Command | None,
        args: list[str],
        refused: str,
        *,
        asked: bool = False,
        via: str = CHAT,
    ) -> None:
        """Log a refusal (``refused`` says why), a question (``asked``: a confirmation
        asked for) or a done action, and keep it in Redis."""
        shown = f"/{name[:40]}" if name else "(not a command)"
        if command is None and name and not _COMMAND_NAME.fullmatch(name):
            # Not a command's name: a phone or an address typed after the slash.
            refused, shown = refused.replace(shown, f"/{IDENTITY}"), f"/{IDENTITY}"
        if has_control_characters(shown):
            shown = "(unreadable)"  # nothing that rewrites a terminal goes to the log
        # The deployment's numbers stay as typed; a customer's identity does not.
        numbers: list[str] = []
        if self.desk is not None and command:
            try:
                numbers = await self.desk.numbers()
            except Exception as error:  # hidden the more: a number is kept as <identity>
                if not self.outage(error):
                    raise
        if caller is None:
            who = source or "unknown user"
            audit.warning("refused %s: unknown user%s", shown, f" {source}" if source else "")
        elif refused:
            who = caller.name
            if command is not None:
                refused = command.spec.audited_outcome(args, refused, numbers)
            audit.warning("refused %s for %s: %s", shown, who, refused)
        else:
            who = caller.name
            audit.info("%s %s %s", who, "asked to confirm" if asked else "ran", shown)
        if self.desk is not None:
            if command is not None:
                args = command.spec.audited(args, numbers)
            summary = " ".join([shown, *args])[:300]
            try:
                outcome = "asked to confirm" if asked else "done"
                shown_outcome = f"refused: {refused}" if refused else outcome
                await self.desk.audit(who, summary, shown_outcome, via)
            except Exception as error:  # the line above is in the log
                if not self.outage(error):
                    raise
                audit.warning(
                    "the audit trail could not keep %s by %s: the store failed (%s)",
                    shown,
                    who,
                    type(error).__name__,
                )

    async def _help(self, caller: Caller, args: list[str]) -> str:
        rank = ROLE_RANK.get(caller.role, -1)
        if len(args) > 1:
            raise UsageError
        if args:
            return self._help_of(args[0].lstrip("/").split("@", 1)[0].lower(), caller)
        lines = [
            f"{command.usage} - {command.summary}"
            for command in self.registry.values()
            if ROLE_RANK[command.role] <= rank
        ]
        return "\n".join(lines)

    def _help_of(self, name: str, caller: Caller) -> str:
        """One command's usage, summary, arguments and example, as ``admin X --help``
        shows them."""
        command = self.registry.get(name)
        if command is None:
            return f"No command /{name[:40]} here: /help lists them."
        if ROLE_RANK[command.role] > ROLE_RANK.get(caller.role, -1):
            return f"/{name} needs the {command.role} role; you are {caller.role}."
        spec = command.spec
        lines = [f"{spec.usage} - {spec.summary}"]
        lines += [f"  {argument.name}: {argument.help}" for argument in spec.arguments]
        if spec.example:
            lines.append(f"Example: /{name} {spec.example}")
        return "\n".join(lines)

    async def _profile(self, caller: Caller, args: list[str]) -> str:
        args = phone_joined(args)
        if not args or len(args) > 3:
            raise UsageError
        reference, action = args[0], args[1:] or [""]
        if action[0] == "convert" and len(action) == 1:
            if ROLE_RANK.get(caller.role, -1) < ROLE_RANK["agent"]:
                raise RefusedError("Converting a lead needs the agent role.")
            profile = await self.profiles.convert(reference)
            return f"{profile['id']} is now a contact.\n" + describe(profile)
        if action[0] == "notes" and len(action) <= 2:
            day = action[1] if len(action) == 2 else ""
            # The team reads the messages of the numbers it works, as a service does.
            numbers = set(await self.desk.team_numbers()) if self.desk is not None else None
            notes = await self.profiles.notes(reference, None, day, numbers)
            if not notes:
                return "No notes for that day." if day else "No messages yet."
            return "\n\n".join(f"{note['title']}\n{note['body']}" for note in notes[-3:])
        if action != [""]:
            raise UsageError
        return describe(await self.profiles.view(reference))

    async def _merge(self, caller: Caller, args: list[str]) -> str:
        if len(args) != 2:
            raise UsageError
        result = await self.profiles.merge(args[0], args[1])
        if result is None:
            return "Those are already one profile."
        if hasattr(result, "reason"):
            raise RefusedError(f"Merge refused: {result.reason}.")
        moved = counted(len(result.identities), "identity", "identities")
        return f"Merged {result.merged} into {result.survivor} ({moved} moved)."

    async def _forget(self, caller: Caller, args: list[str]) -> str:
        args = phone_joined(args)
        if len(args) not in (1, 3) or (len(args) == 3 and args[1] != "confirm"):
            raise UsageError
        profile_id = await self.profiles.find(args[0])
        profile = await self.profiles.view(profile_id)
        # The code confirms the person the question showed: not one merged into it since.
        held = sorted(profile["identities"]) + sorted(profile["conversations"])
        subject = f"forget|{profile_id}|{','.join(held)}"
        if len(args) == 1:
            code = confirmation_code(caller, subject, time.time())
            return Question(
                f"This erases {profile_id} ({profile.get('name') or 'no name'}, "
                f"{len(profile['identities'])} identities, {len(profile['conversations'])} "
                f"conversations) for good. To go ahead, send within 10 minutes:\n"
                f"/forget {profile_id} confirm {code}"
            )
        await confirm_once(self.desk, caller, subject, args[2], "/forget")
        summary = await self.profiles.erase(profile_id)
        return (
            f"Erased {summary['profile']}: {summary['identities']} identities, "
            f"{summary['messages']} messages in {summary['conversations']} conversations."
        )


def describe(profile: dict[str, Any]) -> str:
    """A profile as a few lines of plain text."""
    # A name and fields come from customers and imports: each shows on its own line.
    lines = [
        f"{flat(profile.get('name') or '') or '(no name)'} - {profile['id']}",
        f"stage: {profile.get('stage', '?')}, source: {profile.get('source', '?')}, "
        f"owner: {profile.get('owner') or 'none'}",
        "identities: " + (", ".join(map(shown_identity, profile["identities"])) or "none"),
    ]
    if profile["fields"]:
        fields = sorted(profile["fields"].items())
        lines.append("fields: " + ", ".join(f"{k}={flat(str(v))}" for k, v in fields))
    consent = profile.get("consent")
    if consent:
        at = (
            time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(consent["at"]))
            if consent["at"]
            else "?"
        )
        lines.append(
            f"consent: {consent['basis'] or 'none'} (from {consent['source'] or '?'}, {at})"
        )
    else:
        lines.append("consent: none recorded (no marketing)")
    if profile["conversations"]:
        lines.append(f"conversations: {len(profile['conversations'])}")
    if profile["merged"]:
        lines.append("merged from: " + ", ".join(profile["merged"]))
    return "\n".join(lines)
