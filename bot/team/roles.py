"""The team's roles, from the config and from /role (kept in the store, so they survive
restarts and hold in every process), and the audit trail of the team's commands (OPS-2)."""

from __future__ import annotations

import re
import time
from collections.abc import Sequence
from typing import Any

from bot.config.settings import ROLES, TeamMember
from bot.identities import person_email
from handlers.command_kit import NO_ROLE
from handlers.ports import CHAT, Caller, TeamRole
from stores.team import TeamStore

EMAIL = re.compile(r"[^@\s]{1,64}@[^@\s]+\.[^@\s]+")
TELEGRAM_ID = re.compile(r"(?:tg:)?(\d{1,20})")


class TeamRoster:
    """Who is on the team with which role; who did what with the team's commands."""

    def __init__(
        self, store: TeamStore, team: Sequence[TeamMember], bots: Sequence[str] = ()
    ) -> None:
        self.store = store
        self.team = tuple(team)
        self.bots = frozenset(bots)
        """The Telegram user ids of the bot itself: no member, whatever /role says."""

    async def roles(self) -> list[TeamRole]:
        """The config's team with the roles /role set, then the people /role added."""
        overrides = await self.store.roles()
        listed = []
        for member in self.team:
            role = _override(overrides, member) or member.role
            listed.append(TeamRole(member.email, member.name, role, member.role))
        known = {key for member in self.team for key in _keys(member)}
        for key in sorted(set(overrides) - known):
            listed.append(TeamRole(key, "", overrides[key], ""))
        return listed

    async def set_role(self, member: str, role: str) -> tuple[TeamRole, str]:
        """Give a team member (an email or a Telegram id) a role, kept in Redis so that it
        survives restarts and holds in every process; (their role now, the role before)."""
        if role not in (*ROLES, NO_ROLE):
            raise ValueError(f"{role[:20]!r} is not a role: {', '.join((*ROLES, NO_ROLE))}")
        key = self._member_key(member)
        before = next((r.role for r in await self.roles() if r.member == key), "")
        if before == "admin" and role != "admin":
            admins = [r for r in await self.roles() if r.role == "admin" and r.member != key]
            if not admins:  # nobody in the chat could give it back, nor /attach or /detach
                raise ValueError(f"{key} is the team's last admin: make another admin first")
        configured = self._configured(key)
        if role == NO_ROLE and configured is None:
            await self.store.forget_role(key)  # one /role added: gone from the list too
        else:  # a member of the config stays listed, as "none", until the config drops them
            await self.store.set_role(key, role)
        return TeamRole(
            key, configured.name if configured else "", role, configured.role if configured else ""
        ), before

    def _member_key(self, member: str) -> str:
        member = person_email(member)
        telegram = TELEGRAM_ID.fullmatch(member)
        if telegram:
            user = str(int(telegram.group(1)))  # 0042 is user 42, as Telegram writes it
            if user == "0":
                raise ValueError(f"{member[:30]!r}: a Telegram user id is a positive number")
            if user in self.bots:
                raise ValueError(f"{member[:30]!r} is the bot itself, not a member of the team")
            known = next((m for m in self.team if m.telegram == user), None)
            return known.email if known else f"tg:{user}"
        if len(member) <= 254 and EMAIL.fullmatch(member):
            return member
        raise ValueError(f"{member[:60]!r} is neither an email nor a Telegram user id")

    def _configured(self, key: str) -> TeamMember | None:
        return next((m for m in self.team if m.email == key), None)

    async def caller_for_email(self, email: str) -> Caller | None:
        """The team member with this email, with their role now; None for a stranger."""
        email = person_email(email)
        member = self._configured(email)
        roles = await self.store.roles_of(_keys(member) if member else [email])
        role = next((str(r) for r in roles if r), "") or (member.role if member else "")
        return Caller(email, role) if role and role != NO_ROLE else None

    async def caller_for_telegram(self, user_id: int | str) -> Caller | None:
        """The team member with this Telegram user id, by their email when the config
        knows it; None for a stranger."""
        user = str(user_id).strip()
        if not user.isdigit():
            return None
        member = next((m for m in self.team if m.telegram == user), None)
        keys = [member.email, f"tg:{user}"] if member else [f"tg:{user}"]
        roles = await self.store.roles_of(keys)
        role = next((str(r) for r in roles if r), "") or (member.role if member else "")
        if not role or role == NO_ROLE:
            return None
        return Caller(member.email if member else f"tg:{user}", role)

    async def audit(self, who: str, command: str, outcome: str, via: str = CHAT) -> None:
        """Keep one entry of the audit trail (the newest 10,000 are kept): who ran what,
        what came of it, and where (``via`` the team chat or the command line)."""
        entry = {"at": time.time(), "who": who, "command": command, "outcome": outcome}
        if via != CHAT:
            entry["via"] = via
        await self.store.audit(entry)

    async def audit_trail(self, limit: int = 50) -> list[dict[str, Any]]:
        """The last entries of the audit trail, the newest first."""
        return await self.store.audit_trail(limit)

    async def first_use(self, digest: str, seconds: int) -> bool:
        """Whether a confirmation is used for the first time (then it is used)."""
        return await self.store.first_use(digest, seconds)


def _keys(member: TeamMember) -> list[str]:
    return [member.email, f"tg:{member.telegram}"] if member.telegram else [member.email]


def _override(overrides: dict[str, str], member: TeamMember) -> str:
    return next((overrides[key] for key in _keys(member) if key in overrides), "")
