"""Slash commands (OPS-1, OPS-2, OPS-4): the profile commands, each refusal, hostile input,
run through the runtime's ProfileBook on the real Redis; team roles and the audit trail."""

from __future__ import annotations

import logging
import re
from typing import Any

import pytest

from bot.config.settings import TeamMember
from bot.model import Identity
from bot.runtime import Runtime
from bot.team.desk import TeamDesk
from handlers.commands import OPERATOR, Caller, Commands, split_arguments
from tests.conftest import Bot, BotFactory
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
        ("/profile " + "9" * 5000, "longer than 5000 characters"),
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


# --- Team roles, the audit trail, and how a line is split ------------------------------

TEAM = (
    TeamMember("ann@example.com", "Ann", "admin", telegram="1001"),
    TeamMember("bob@example.com", "Bob", "agent"),
    TeamMember("vic@example.com", "", "viewer", telegram="1003"),
)


async def team_bot(make_bot: BotFactory) -> tuple[Bot, TeamDesk, Commands]:
    bot = await make_bot(team=TEAM)
    return bot, bot.runtime.desk, bot.runtime.commands


async def test_callers_are_resolved_from_the_config_and_role_changes(
    make_bot: BotFactory,
) -> None:
    bot, desk, commands = await team_bot(make_bot)
    assert await desk.caller_for_telegram(1001) == Caller("ann@example.com", "admin")
    assert await desk.caller_for_telegram("1003") == Caller("vic@example.com", "viewer")
    assert await desk.caller_for_email(" Bob@Example.com ") == Caller("bob@example.com", "agent")
    for stranger in ("9999", "tg:1001", "-1001", ""):
        assert await desk.caller_for_telegram(stranger) is None, stranger
    assert await desk.caller_for_email("eve@example.com") is None

    ann = await desk.caller_for_telegram(1001)
    assert (
        await commands.run(ann, "/role 1003 agent") == "vic@example.com is agent now (was viewer)."
    )
    assert await commands.run(ann, "/role bob@example.com viewer") == (
        "bob@example.com is viewer now (was agent)."
    )
    assert await commands.run(ann, "/role 4242 viewer") == "tg:4242 is viewer now."
    assert await commands.run(ann, "/role NEW@example.com Agent") == "new@example.com is agent now."
    assert await commands.run(ann, "/role") == "\n".join(
        [
            "ann@example.com (Ann): admin",
            "bob@example.com (Bob): viewer (set by /role; the config says agent)",
            "vic@example.com: agent (set by /role; the config says viewer)",
            "new@example.com: agent (added by /role)",
            "tg:4242: viewer (added by /role)",
        ]
    )
    for bad, expected in (
        ("/role bob@example.com boss", "'boss' is not a role: viewer, agent, admin"),
        ("/role bob viewer", "'bob' is neither an email nor a Telegram user id"),
        ("/role <b>@x viewer", "is neither an email nor a Telegram user id"),
    ):
        assert expected in await commands.run(ann, bad), bad

    # Another process, started later, sees the same roles: they live in Redis.
    later = Runtime(bot.runtime.settings)
    try:
        other = later.desk
        assert await other.caller_for_telegram(1003) == Caller("vic@example.com", "agent")
        assert await other.caller_for_email("bob@example.com") == Caller(
            "bob@example.com", "viewer"
        )
        assert await other.caller_for_telegram(4242) == Caller("tg:4242", "viewer")
        assert await other.caller_for_email("new@example.com") == Caller("new@example.com", "agent")
        bob = await other.caller_for_email("bob@example.com")
        again = later.commands
        assert await again.run(bob, "/claim c_0123456789") == (
            "/claim needs the agent role; you are viewer."
        )
    finally:
        await later.close()


async def test_every_refusal_and_action_is_in_the_audit_trail(
    make_bot: BotFactory, caplog: pytest.LogCaptureFixture
) -> None:
    bot, desk, commands = await team_bot(make_bot)
    await say(bot, "hello")
    cid = bot.conversation(WA_ID)
    bob = await desk.caller_for_email("bob@example.com")
    with caplog.at_level(logging.INFO, logger="switchboard.audit"):
        await commands.run(None, "/inbox", source="tg:666")
        await commands.run(bob, "/role tg:666 admin")
        await commands.run(bob, f"/reply {cid} a private matter")
        await commands.run(bob, "/claim")
        await commands.run(bob, "/inbox")  # a viewer's command that did its work
        await commands.run(OPERATOR, "/role 666 viewer")
    logged = [r.getMessage() for r in caplog.records if r.name == "switchboard.audit"]
    assert logged == [
        "refused /inbox: unknown user tg:666",
        "refused /role for bob@example.com: role agent",
        "bob@example.com ran /reply",
        "refused /claim for bob@example.com: usage",
        "operator ran /role",
    ]
    trail = [(e["who"], e["command"], e["outcome"]) for e in await desk.audit_trail()]
    assert trail == [
        ("operator", "/role 666 viewer", "done"),
        ("bob@example.com", "/claim", "refused: usage"),
        ("bob@example.com", f"/reply {cid} <16 characters>", "done"),
        ("bob@example.com", "/role", "refused: role agent"),
        ("tg:666", "/inbox", "refused: unknown user"),
    ]
    assert all(isinstance(entry["at"], float) for entry in await desk.audit_trail())


async def test_a_failure_inside_a_command_is_an_answer_not_a_trace(
    make_bot: BotFactory, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    _, desk, commands = await team_bot(make_bot)

    async def broken(limit: int = 10) -> list[Any]:
        raise RuntimeError("the store fell over")

    monkeypatch.setattr(desk, "inbox", broken)
    with caplog.at_level(logging.ERROR):
        answer = await commands.run(VIEWER, "/inbox")
    assert answer == "That failed on our side; it is in the log. Try again later."
    assert "the store fell over" in caplog.text


@pytest.mark.parametrize(
    ("rest", "raw_after", "expected"),
    [
        ('c_1 It\'s "fine"  really ', 1, ["c_1", 'It\'s "fine"  really']),
        ("'c 1' *bold* <b>x</b>", 1, ["c 1", "*bold* <b>x</b>"]),
        ("c_1\nline one\nline two", 1, ["c_1", "line one\nline two"]),
        ("c_1", 1, ["c_1"]),
        ("c_1    ", 1, ["c_1"]),
        ("", 1, []),
        ("a 'b c' d", -1, ["a", "b c", "d"]),
        ("a # not a comment", 1, ["a", "# not a comment"]),
    ],
)
def test_a_text_is_taken_as_typed_after_its_leading_words(
    rest: str, raw_after: int, expected: list[str]
) -> None:
    assert split_arguments(rest, raw_after) == expected
