"""What the team's commands may ask of the runtime: three ports (the desk, notifications and
profiles) and the values that cross them. The runtime provides them; tests feed fakes."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from bot.config.flows import Flow
from bot.model import Attachment, Claim, Outbound

CHAT = "chat"
"""Where a command was run: the team chat, or the command line (``COMMAND_LINE``)."""
COMMAND_LINE = "command line"


@dataclass(frozen=True, slots=True)
class Caller:
    """Who runs a command: a team member (by email or Telegram id) or the operator."""

    name: str
    role: str


class RefusedError(Exception):
    """The command ran and said no; the message is the answer."""


@dataclass(frozen=True, slots=True)
class InboxItem:
    """One conversation as the inbox lists it; the team sees every message in full."""

    id: str
    number: str
    channel: str
    customer: str
    """The profile's name with the customer's identity, or the identity alone."""
    last_at: float
    preview: str
    holder: Claim | None
    opted_out: bool
    blocked: bool = False
    """A Telegram customer who blocked the bot: nothing reaches them until they restart it."""


@dataclass(frozen=True, slots=True)
class Claimed:
    """A claim taken, and the warning when someone else held the conversation (SN-5)."""

    conversation: str
    claim: Claim
    warning: str


@dataclass(frozen=True, slots=True)
class Sent:
    """A reply queued to go out, and the warning when someone else holds the conversation."""

    conversation: str
    customer: str
    outbound: Outbound
    warning: str


@dataclass(frozen=True, slots=True)
class TeamRole:
    """A team member's role: from the config, or set by /role (kept in Redis)."""

    member: str
    """Their email, or ``tg:<id>`` for someone known only by their Telegram id."""
    name: str
    role: str
    configured: str
    """The role the config gives them; '' for someone added by /role."""


@dataclass(frozen=True, slots=True)
class Scheduled:
    """A notification made by /notify: its id, whether it is sending now, and its first run."""

    id: str
    status: str
    first_run: float


class DeskPort(Protocol):
    """The team's conversations, services and roles (``bot.team.desk.TeamDesk``)."""

    async def numbers(self) -> list[str]: ...
    async def inbox(self, limit: int = 10) -> list[InboxItem]: ...
    async def claim(self, conversation: str, agent: str) -> Claimed: ...
    async def release(self, conversation: str, agent: str) -> str: ...
    async def reply(self, conversation: str, text: str, agent: str) -> Sent: ...
    async def note(self, conversation: str, text: str, author: str) -> tuple[str, Any]: ...
    async def notes(self, conversation: str, limit: int = 20) -> tuple[str, list[Any]]: ...
    async def optout(self, conversation: str, on: bool) -> tuple[str, bool]: ...
    async def team_numbers(self) -> list[str]: ...
    async def acting_on(self, number: str, refused: str, *, sending: bool) -> None:
        """RefusedError (whose words start with ``refused``) unless the team acts on
        ``number``: its service is attached there, and for what ``sending``, any is."""

    async def services(self) -> list[tuple[str, list[str]]]: ...
    async def flows(self) -> list[tuple[str, str, list[Flow]]]: ...
    async def attach(self, service: str, number: str | None = None) -> list[Attachment]: ...
    async def attached_to(self, service: str, number: str | None = None) -> list[str]: ...
    async def detach(self, service: str, number: str | None = None) -> list[Attachment]: ...
    async def roles(self) -> list[TeamRole]: ...
    async def set_role(self, member: str, role: str) -> tuple[TeamRole, str]: ...
    async def audit(self, who: str, command: str, outcome: str, via: str = CHAT) -> None: ...
    async def audit_trail(self, limit: int = 50) -> list[dict[str, Any]]: ...
    async def first_use(self, digest: str, seconds: int) -> bool: ...


class NotifyPort(Protocol):
    """Notifications as /notify and /stats use them (``bot.outreach``'s notifications).
    Lookups of unknown notifications raise LookupError; bad requests ValueError."""

    @property
    def timezone(self) -> str:
        """The zone a time without one is read in."""

    async def create_from(self, body: dict[str, Any], service: str) -> Scheduled: ...
    async def number_of(self, notification_id: str) -> str:
        """The number a notification is on."""

    async def report(self, notification_id: str) -> dict[str, Any]: ...
    async def cancel(self, notification_id: str) -> None: ...
    async def review(self, notification_id: str) -> dict[str, Any]: ...
    async def send(self, notification_id: str) -> Scheduled: ...
    async def stats(self, numbers: list[str]) -> list[dict[str, Any]]: ...
    async def test(self, notification_id: str, members: list[str]) -> list[dict[str, str]]:
        """A test to these team members (their phones), or to those with a phone."""

    async def stop(self, notification_id: str, reason: str, by: str) -> dict[str, Any]:
        """Stop a sending or scheduled campaign; its report after."""

    async def recipients(
        self, notification_id: str, status: str, cursor: str
    ) -> tuple[list[dict[str, Any]], str | None]:
        """A page of a campaign's recipients of one outcome, and the next page's cursor."""

    async def campaigns_of(
        self, reference: str, numbers: list[str]
    ) -> tuple[str, list[dict[str, Any]]]:
        """The profile's id, and the campaigns it got on ``numbers``, the newest first."""


class ProfilePort(Protocol):
    """What commands may do with profiles (``bot.core.profiles.ProfileBook``)."""

    async def view(self, reference: str) -> dict[str, Any]: ...
    async def merge(self, first: str, second: str) -> Any: ...
    async def convert(self, reference: str) -> dict[str, Any]: ...
    async def erase(self, reference: str) -> dict[str, Any]: ...
    async def notes(
        self, reference: str, viewer: Any = None, day: str = "", numbers: set[str] | None = None
    ) -> list[Any]: ...
    async def find(self, reference: str) -> str: ...
