"""Slash commands on profiles (OPS-1, OPS-2, OPS-4): each one, each refusal, hostile input,
run through the runtime's ProfileBook on the real Redis."""

from __future__ import annotations

import logging
import re

import pytest

from bot.model import Identity
from handlers.commands import OPERATOR, Caller, Commands
from tests.conftest import BotFactory
from tests.test_api import WA_ID, say

ADMIN = Caller("ann@example.com", "admin")
AGENT = Caller("bob@example.com", "agent")
VIEWER = Caller("vic@example.com", "viewer")


async def commands_with_a_customer(make_bot: BotFactory) -> tuple[Commands, str]:
    bot = await make_bot()
    await say(bot, "hello there")
    profile_id = await bot.runtime.profiles.lookup(Identity("wa", WA_ID))
    return Commands(bot.runtime.profile_book), profile_id


async def test_profile_shows_the_customer_by_any_identity(make_bot: BotFactory) -> None:
    commands, profile_id = await commands_with_a_customer(make_bot)
    for reference in (profile_id, f"wa:{WA_ID}", "+447911123456", "'+44 7911 123456'"):
        answer = await commands.run(VIEWER, f"/profile {reference}")
        assert profile_id in answer, answer
        assert "stage: lead" in answer and "phone:+447911123456" in answer


async def test_profile_convert_and_notes(make_bot: BotFactory) -> None:
    commands, profile_id = await commands_with_a_customer(make_bot)
    assert "needs the agent role" in await commands.run(VIEWER, f"/profile {profile_id} convert")
    answer = await commands.run(AGENT, f"/profile {profile_id} convert")
    assert "is now a contact" in answer and "stage: contact" in answer
    notes = await commands.run(VIEWER, f"/profile {profile_id} notes")
    assert notes.startswith("WhatsApp Chat with Ann (") and "Ann: hello there" in notes
    assert await commands.run(VIEWER, f"/profile {profile_id} notes 1999-01-01") == (
        "No notes for that day."
    )


async def test_merge_needs_an_agent_and_merges(make_bot: BotFactory) -> None:
    commands, profile_id = await commands_with_a_customer(make_bot)
    runtime_book = commands.profiles
    other = await runtime_book.profiles.resolve(  # type: ignore[attr-defined]
        [Identity("email", "ann@example.com")], channel="web"
    )
    refused = await commands.run(VIEWER, f"/merge {profile_id} {other}")
    assert refused == "/merge needs the agent role; you are viewer."
    answer = await commands.run(AGENT, f"/merge {other} {profile_id}")
    assert answer.startswith(f"Merged {other} into {profile_id}")
    assert await commands.run(AGENT, f"/merge {other} {profile_id}") == (
        "Those are already one profile."
    )


async def test_forget_asks_for_a_confirmation_code_first(make_bot: BotFactory) -> None:
    commands, profile_id = await commands_with_a_customer(make_bot)
    assert "needs the admin role" in await commands.run(AGENT, f"/forget {profile_id}")
    question = await commands.run(ADMIN, f"/forget wa:{WA_ID}")
    assert "for good" in question
    match = re.search(rf"/forget {profile_id} confirm (\d{{6}})", question)
    assert match, question
    wrong = await commands.run(ADMIN, f"/forget {profile_id} confirm 000000")
    assert "wrong or expired" in wrong
    # Another admin cannot use the code that was shown to Ann.
    other_admin = Caller("zed@example.com", "admin")
    assert "wrong or expired" in await commands.run(other_admin, match.group(0))
    assert await commands.profiles.find(profile_id) == profile_id
    done = await commands.run(ADMIN, match.group(0))
    assert done.startswith(f"Erased {profile_id}: 2 identities")
    assert "was erased" in await commands.run(ADMIN, f"/profile {profile_id}")


async def test_help_lists_what_the_role_may_run(make_bot: BotFactory) -> None:
    commands, _ = await commands_with_a_customer(make_bot)
    viewer = await commands.run(VIEWER, "/help")
    assert "/profile" in viewer and "/merge" not in viewer and "/forget" not in viewer
    admin = await commands.run(OPERATOR, "/help@SwitchboardBot")
    assert all(f"/{name}" in admin for name in ("help", "profile", "merge", "forget"))


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("/profile", "Usage: /profile <id|identity> [convert | notes [YYYY-MM-DD]]"),
        ("/profile a b c d", "Usage: /profile"),
        ("/profile p_1 explode", "Usage: /profile"),
        ("/merge onlyone", "Usage: /merge <id|identity> <id|identity>"),
        ("/forget x confirm", "Usage: /forget"),
        ("/profile 'unclosed", "Unbalanced quotes"),
        ("/profile fax:123", "is not an identity"),
        ("/profile phone:12", "not a"),
        ("/profile p_000000000000ffffffff", "no profile p_000000000000ffffffff"),
        ("/profile wa:447000000001", "no profile with wa:447000000001"),
        ("/nosuch", "Unknown command /nosuch"),
        ("hello", "Commands start with /"),
        ("/profile " + "9" * 5000, "longer than 2000 characters"),
        ("/profile <b>ann</b>@x.com", "not an email"),
        ("/profile 📞+44", "not"),
    ],
)
async def test_bad_arguments_get_a_usage_line_never_a_trace(
    make_bot: BotFactory, line: str, expected: str
) -> None:
    commands, _ = await commands_with_a_customer(make_bot)
    answer = await commands.run(ADMIN, line)
    assert expected in answer
    assert "Traceback" not in answer


async def test_unknown_users_are_refused_and_audited(
    make_bot: BotFactory, caplog: pytest.LogCaptureFixture
) -> None:
    commands, profile_id = await commands_with_a_customer(make_bot)
    with caplog.at_level(logging.INFO, logger="switchboard.audit"):
        answer = await commands.run(None, f"/forget {profile_id}")
        await commands.run(VIEWER, f"/merge {profile_id} {profile_id}")
    assert "not on this team's list" in answer
    refusals = [r.getMessage() for r in caplog.records if r.name == "switchboard.audit"]
    assert refusals == [
        "refused /forget: unknown user",
        "refused /merge for vic@example.com: role viewer",
    ]
