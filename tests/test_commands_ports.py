"""The team's commands against fakes of their ports: no Redis, no HTTP, no runtime. What
a team member types goes in; what they read comes out, and what the desk was asked to do
is checked on the fake."""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from typing import Any

import pytest

from bot.config.flows import Flow
from bot.model import Attachment, Claim, Identity, Outbound
from handlers.commands import Commands
from handlers.ports import (
    CHAT,
    Caller,
    Claimed,
    InboxItem,
    RefusedError,
    Scheduled,
    Sent,
    TeamRole,
)

ANN = Caller("ann@example.com", "admin")
VIC = Caller("vic@example.com", "viewer")
AGENT = Caller("bob@example.com", "agent")
CONVERSATION = "c_0123456789abcdef"


@dataclass
class FakeDesk:
    """Conversations and services in memory; records what it was asked to do."""

    numbers_list: list[str] = field(default_factory=lambda: ["wa:1065", "web:site"])
    order: dict[str, list[str]] = field(
        default_factory=lambda: {"wa:1065": ["bot", "crm"], "web:site": ["bot"]}
    )
    holder: Claim | None = None
    done: list[tuple[str, ...]] = field(default_factory=list)
    audits: list[tuple[str, str, str]] = field(default_factory=list)
    used: set[str] = field(default_factory=set)

    def _known(self, conversation: str) -> str:
        if not CONVERSATION.startswith(conversation):
            raise LookupError(f"no conversation {conversation}")
        return CONVERSATION

    async def numbers(self) -> list[str]:
        return self.numbers_list

    async def team_numbers(self) -> list[str]:
        return self.numbers_list

    async def acting_on(self, number: str, refused: str, *, sending: bool) -> None:
        return None  # the team is attached to every number here

    async def inbox(self, limit: int = 10) -> list[InboxItem]:
        customer = "Ann (wa:447700900123)"
        item = InboxItem(
            CONVERSATION, "wa:1065", "whatsapp", customer, 0.0, "hi", self.holder, False
        )
        return [item][:limit]

    async def claim(self, conversation: str, agent: str) -> Claimed:
        cid = self._known(conversation)
        self.done.append(("claim", cid, agent))
        warning = f"{self.holder.agent} of {self.holder.service} holds it" if self.holder else ""
        return Claimed(cid, Claim("team", agent, time.time()), warning)

    async def release(self, conversation: str, agent: str) -> str:
        cid = self._known(conversation)
        if self.holder is None:
            raise RefusedError(f"Nobody holds {cid}.")
        self.done.append(("release", cid, agent))
        return cid

    async def reply(self, conversation: str, text: str, agent: str) -> Sent:
        cid = self._known(conversation)
        self.done.append(("reply", cid, text, agent))
        customer = Identity("wa", "4477")
        outbound = Outbound("snd_1", cid, "whatsapp", "wa:1065", customer, text, "team", agent)
        return Sent(cid, "Ann (wa:4477)", outbound, "")

    async def note(self, conversation: str, text: str, author: str) -> tuple[str, Any]:
        self.done.append(("note", self._known(conversation), text, author))
        return CONVERSATION, {"text": text}

    async def notes(self, conversation: str, limit: int = 20) -> tuple[str, list[Any]]:
        return self._known(conversation), []

    async def optout(self, conversation: str, on: bool) -> tuple[str, bool]:
        self.done.append(("optout", self._known(conversation), str(on)))
        return CONVERSATION, True

    async def services(self) -> list[tuple[str, list[str]]]:
        return [(number, self.order[number]) for number in self.numbers_list]

    async def flows(self) -> list[tuple[str, str, list[Flow]]]:
        return [(number, self.order[number][0], []) for number in self.numbers_list]

    async def attach(self, service: str, number: str | None = None) -> list[Attachment]:
        changes = []
        for each in [number] if number else self.numbers_list:
            before = tuple(self.order[each])
            if service not in self.order[each]:
                self.order[each].append(service)
            changes.append(Attachment(each, before, tuple(self.order[each])))
        return changes

    async def attached_to(self, service: str, number: str | None = None) -> list[str]:
        found = [n for n in ([number] if number else self.numbers_list) if service in self.order[n]]
        if not found:
            raise LookupError(f"{service} is not attached to {number or 'any number'}.")
        return found

    async def detach(self, service: str, number: str | None = None) -> list[Attachment]:
        changes = []
        for each in await self.attached_to(service, number):
            before = tuple(self.order[each])
            self.order[each].remove(service)
            changes.append(Attachment(each, before, tuple(self.order[each])))
        return changes

    async def roles(self) -> list[TeamRole]:
        return [TeamRole("ann@example.com", "Ann", "admin", "admin")]

    async def set_role(self, member: str, role: str) -> tuple[TeamRole, str]:
        return TeamRole(member, "", role, ""), "viewer"

    async def audit(self, who: str, command: str, outcome: str, via: str = CHAT) -> None:
        self.audits.append((who, command, outcome))

    async def first_use(self, digest: str, seconds: int) -> bool:
        new = digest not in self.used
        self.used.add(digest)
        return new


@dataclass
class FakeNotifications:
    created: list[tuple[dict[str, Any], str]] = field(default_factory=list)
    timezone: str = "Europe/London"

    async def create_from(self, body: dict[str, Any], service: str) -> Scheduled:
        self.created.append((body, service))
        return Scheduled("ntf_1", "sending", time.time())

    async def number_of(self, notification_id: str) -> str:
        raise LookupError(f"no notification {notification_id}")

    async def report(self, notification_id: str) -> dict[str, Any]:
        raise LookupError(f"no notification {notification_id}")

    async def cancel(self, notification_id: str) -> None:
        raise LookupError(f"no notification {notification_id}")

    async def review(self, notification_id: str) -> dict[str, Any]:
        raise LookupError(f"no notification {notification_id}")

    async def send(self, notification_id: str) -> Scheduled:
        raise LookupError(f"no notification {notification_id}")

    async def stats(self, numbers: list[str]) -> list[dict[str, Any]]:
        return []


class FakeProfiles:
    async def view(self, reference: str) -> dict[str, Any]:
        if reference != "p_ann":
            raise LookupError(f"no profile {reference}")
        return {
            "id": "p_ann",
            "name": "Ann",
            "stage": "lead",
            "source": "whatsapp",
            "identities": ["wa:4477"],
            "fields": {},
            "conversations": [],
            "merged": [],
        }

    async def merge(self, first: str, second: str) -> Any:
        return None

    async def convert(self, reference: str) -> dict[str, Any]:
        return await self.view(reference)

    async def erase(self, reference: str) -> dict[str, Any]:
        raise AssertionError("not asked to erase")

    async def notes(self, reference: str, viewer: Any = None, day: str = "") -> list[Any]:
        return []

    async def find(self, reference: str) -> str:
        return reference


@pytest.fixture
def desk() -> FakeDesk:
    return FakeDesk()


@pytest.fixture
def notify() -> FakeNotifications:
    return FakeNotifications()


@pytest.fixture
def commands(desk: FakeDesk, notify: FakeNotifications) -> Commands:
    return Commands(FakeProfiles(), desk, notify)


async def test_a_reply_goes_to_the_desk_as_typed(commands: Commands, desk: FakeDesk) -> None:
    answer = await commands.run(AGENT, '/reply c_0123456789 Hi "Ann",  it  is done.')
    assert answer == "Sent to Ann (wa:4477) (c_0123456789abcdef): snd_1"
    assert desk.done == [("reply", CONVERSATION, 'Hi "Ann",  it  is done.', AGENT.name)]
    assert desk.audits == [(AGENT.name, "/reply c_0123456789 <23 characters>", "done")]


async def test_a_claim_held_by_someone_else_answers_with_the_warning(
    commands: Commands, desk: FakeDesk
) -> None:
    desk.holder = Claim("crm", "zoe", time.time())
    answer = await commands.run(AGENT, "/claim c_0123456789")
    assert answer.splitlines() == [f"You hold {CONVERSATION} now.", "Warning: zoe of crm holds it."]


async def test_a_viewer_is_refused_and_the_refusal_is_audited(
    commands: Commands, desk: FakeDesk
) -> None:
    assert await commands.run(VIC, "/reply c_0123456789 hi") == (
        "/reply needs the agent role; you are viewer."
    )
    assert desk.done == []
    assert desk.audits == [(VIC.name, "/reply", "refused: role viewer")]


async def test_a_stranger_is_refused(commands: Commands, desk: FakeDesk) -> None:
    answer = await commands.run(None, "/inbox", source="tg:42")
    assert answer == "You are not on this team's list, so commands are refused."
    assert desk.audits == [("tg:42", "/inbox", "refused: unknown user")]


async def test_a_detach_asks_for_a_code_and_then_detaches(
    commands: Commands, desk: FakeDesk
) -> None:
    question = await commands.run(ANN, "/detach crm")
    assert "This detaches crm from wa:1065" in question and desk.order["wa:1065"] == ["bot", "crm"]
    line = question.splitlines()[-1]
    assert re.fullmatch(r"/detach crm confirm \d{6}", line)
    assert await commands.run(ANN, line) == "crm detached from wa:1065: bot (parent)"
    assert desk.order["wa:1065"] == ["bot"]
    wrong = await commands.run(ANN, "/detach bot confirm 000000")
    assert wrong.startswith("That confirmation code is wrong or expired")


async def test_bad_arguments_get_the_usage_line_never_a_trace(commands: Commands) -> None:
    assert await commands.run(AGENT, "/claim") == "Usage: /claim <conversation>"
    assert await commands.run(AGENT, "/claim nope") == "no conversation nope"
    assert await commands.run(AGENT, '/reply "c_0123') == (
        "Unbalanced quotes: close every quote you open."
    )
    assert await commands.run(AGENT, "/reply c_0123456789 \x1b[2J") == (
        "Commands may not contain control characters (only text, newlines and tabs)."
    )


async def test_notify_builds_the_request_and_reports_unknown_ids(
    commands: Commands, notify: FakeNotifications
) -> None:
    answer = await commands.run(AGENT, "/notify wa topic=offers Sale starts now")
    assert answer == "Sending ntf_1 now. /notify report ntf_1 for its counts."
    body, service = notify.created[0]
    assert service == "team"
    assert body == {"number": "wa:1065", "audience": {"topic": "offers"}, "text": "Sale starts now"}
    assert await commands.run(AGENT, "/notify report ntf_9") == "no notification ntf_9"
    assert await commands.run(AGENT, "/notify cancel ntf_9") == "no notification ntf_9"


async def test_help_lists_only_what_the_caller_may_run(commands: Commands) -> None:
    shown = {line.split()[0] for line in (await commands.run(VIC, "/help")).splitlines()}
    assert shown == {"/help", "/inbox", "/profile", "/services", "/flows", "/stats"}


async def test_without_a_desk_only_the_profile_commands_exist() -> None:
    alone = Commands(FakeProfiles())
    assert await alone.run(ANN, "/inbox") == "Unknown command /inbox. Try /help."
    assert (await alone.run(ANN, "/profile p_ann")).startswith("Ann - p_ann")
