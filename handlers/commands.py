"""Team slash commands (OPS-1, OPS-2, OPS-4): parsed, checked against the caller's role,
and run through the same core as the HTTP API. The team chat and the CLI both use them.

A command answers plain text; the channel that shows it escapes it.
"""

from __future__ import annotations

import hashlib
import logging
import shlex
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Protocol

audit = logging.getLogger("switchboard.audit")

ROLE_RANK = {"viewer": 0, "agent": 1, "admin": 2}
MAX_LINE = 2000
CONFIRM_WINDOW = 600
"""Seconds a confirmation code stays good."""


class ProfileDesk(Protocol):
    """What commands may do with profiles (bot.profiles.ProfileBook provides it)."""

    async def view(self, reference: str) -> dict[str, Any]: ...
    async def merge(self, first: str, second: str) -> Any: ...
    async def convert(self, reference: str) -> dict[str, Any]: ...
    async def erase(self, reference: str) -> dict[str, Any]: ...
    async def notes(self, reference: str, viewer: Any = None, day: str = "") -> list[Any]: ...
    async def find(self, reference: str) -> str: ...


@dataclass(frozen=True, slots=True)
class Caller:
    """Who runs a command: a team member (by email or Telegram id) or the operator."""

    name: str
    role: str


OPERATOR = Caller("operator", "admin")
"""The CLI: whoever can run ``python bot.py admin`` holds the keys anyway."""


class UsageError(Exception):
    """Bad arguments: the answer is the command's usage line."""


class RefusedError(Exception):
    """The command ran and said no; the message is the answer."""


@dataclass(frozen=True, slots=True)
class Command:
    name: str
    usage: str
    summary: str
    role: str
    run: Callable[[Caller, list[str]], Awaitable[str]]


class Commands:
    """The registry, and the one entry point: ``await commands.run(caller, "/profile x")``."""

    def __init__(self, profiles: ProfileDesk) -> None:
        self.profiles = profiles
        self.registry: dict[str, Command] = {}
        for command in (
            Command("help", "/help", "what you can run here", "viewer", self._help),
            Command(
                "profile",
                "/profile <id|identity> [convert | notes [YYYY-MM-DD]]",
                "show a customer's profile, convert a lead, read the daily notes",
                "viewer",
                self._profile,
            ),
            Command(
                "merge",
                "/merge <id|identity> <id|identity>",
                "merge two profiles of one person (the older survives)",
                "agent",
                self._merge,
            ),
            Command(
                "forget",
                "/forget <id|identity> [confirm <code>]",
                "erase a person for good (asks for confirmation)",
                "admin",
                self._forget,
            ),
        ):
            self.registry[command.name] = command

    async def run(self, caller: Caller | None, line: str) -> str:
        """The answer to one command line; never raises for anything a user can type."""
        return (await self.execute(caller, line))[1]

    async def execute(self, caller: Caller | None, line: str) -> tuple[bool, str]:
        """(whether the command did its work, the answer)."""
        if len(line) > MAX_LINE:
            return False, f"That command is longer than {MAX_LINE} characters."
        try:
            words = shlex.split(line.strip())
        except ValueError:
            return False, "Unbalanced quotes: close every quote you open."
        if not words or not words[0].startswith("/"):
            return False, "Commands start with /. Try /help."
        name = words[0][1:].split("@", 1)[0].lower()  # /help@SwitchboardBot in groups
        command = self.registry.get(name)
        if command is None:
            return False, f"Unknown command /{name[:40]}. Try /help."
        if caller is None:
            audit.warning("refused /%s: unknown user", name)
            return False, "You are not on this team's list, so commands are refused."
        if ROLE_RANK.get(caller.role, -1) < ROLE_RANK[command.role]:
            audit.warning("refused /%s for %s: role %s", name, caller.name, caller.role)
            return False, f"/{name} needs the {command.role} role; you are {caller.role}."
        try:
            answer = await command.run(caller, words[1:])
        except UsageError:
            return False, f"Usage: {command.usage}"
        except RefusedError as error:
            return False, str(error)
        except LookupError as error:
            return False, str(error.args[0] if error.args else error)
        except ValueError as error:
            return False, f"{str(error)[:300]}\nUsage: {command.usage}"
        if command.role != "viewer":
            audit.info("%s ran /%s", caller.name, name)
        return True, answer

    async def _help(self, caller: Caller, args: list[str]) -> str:
        rank = ROLE_RANK.get(caller.role, -1)
        lines = [
            f"{command.usage} - {command.summary}"
            for command in self.registry.values()
            if ROLE_RANK[command.role] <= rank
        ]
        return "\n".join(lines)

    async def _profile(self, caller: Caller, args: list[str]) -> str:
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
            notes = await self.profiles.notes(reference, None, day)
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
        moved = len(result.identities)
        return f"Merged {result.merged} into {result.survivor} ({moved} identities moved)."

    async def _forget(self, caller: Caller, args: list[str]) -> str:
        if len(args) not in (1, 3) or (len(args) == 3 and args[1] != "confirm"):
            raise UsageError
        profile_id = await self.profiles.find(args[0])
        if len(args) == 1:
            profile = await self.profiles.view(profile_id)
            code = confirmation_code(caller, profile_id, time.time())
            return (
                f"This erases {profile_id} ({profile.get('name') or 'no name'}, "
                f"{len(profile['identities'])} identities, {len(profile['conversations'])} "
                f"conversations) for good. To go ahead, send within 10 minutes:\n"
                f"/forget {profile_id} confirm {code}"
            )
        now = time.time()
        codes = {confirmation_code(caller, profile_id, at) for at in (now, now - CONFIRM_WINDOW)}
        if args[2] not in codes:
            raise RefusedError(
                "That confirmation code is wrong or expired; send /forget again for a new one."
            )
        summary = await self.profiles.erase(profile_id)
        return (
            f"Erased {summary['profile']}: {summary['identities']} identities, "
            f"{summary['messages']} messages in {summary['conversations']} conversations."
        )


def confirmation_code(caller: Caller, profile_id: str, at: float) -> str:
    """A short code that shows the confirmation follows the question, for one caller.

    Not a secret: it guards against a one-shot erasure by mistake, and the role check
    guards against everyone else."""
    window = int(at // CONFIRM_WINDOW)
    digest = hashlib.blake2b(f"{caller.name}|{profile_id}|{window}".encode(), digest_size=4)
    return f"{int.from_bytes(digest.digest(), 'big') % 1_000_000:06d}"


def describe(profile: dict[str, Any]) -> str:
    """A profile as a few lines of plain text."""
    lines = [
        f"{profile.get('name') or '(no name)'} - {profile['id']}",
        f"stage: {profile.get('stage', '?')}, source: {profile.get('source', '?')}, "
        f"owner: {profile.get('owner') or 'none'}",
        "identities: " + (", ".join(profile["identities"]) or "none"),
    ]
    if profile["fields"]:
        fields = sorted(profile["fields"].items())
        lines.append("fields: " + ", ".join(f"{k}={v}" for k, v in fields))
    if profile["conversations"]:
        lines.append(f"conversations: {len(profile['conversations'])}")
    if profile["merged"]:
        lines.append("merged from: " + ", ".join(profile["merged"]))
    return "\n".join(lines)
