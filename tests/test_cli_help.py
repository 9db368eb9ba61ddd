"""The command line's help, as a new user reads it: every command says what it does, shows
an example, and declares its arguments; none shows the source's markup."""

from __future__ import annotations

import argparse
import re
import shlex
from collections.abc import Iterator

from bot.cli.main import build_parser
from tests.botprocess import run_command
from tests.test_cli_basics import environment

MARKUP = re.compile(r"``|:[a-z]+:`|\.\. [a-z]+::")
"""reStructuredText: ``literal``, :role:`target`, .. directive::"""


def parsers(parser: argparse.ArgumentParser) -> Iterator[argparse.ArgumentParser]:
    """The parser and every subcommand's, each once (an alias shares its command's)."""
    yield parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for sub in dict.fromkeys(action.choices.values()):
                yield from parsers(sub)


def test_every_command_has_its_own_help_with_an_example() -> None:
    found = list(parsers(build_parser("python bot.py")))
    assert len(found) > 20
    for parser in found:
        text = parser.format_help()
        assert not MARKUP.search(text), (parser.prog, MARKUP.search(text))
        assert "Example:" in text or "Examples:" in text, parser.prog
        assert "[arguments ...]" not in text and "ARGUMENTS" not in text, parser.prog
        assert parser.description, parser.prog
        for line in text.splitlines():
            if line.startswith("  python bot.py") and "--help" not in line:
                build_parser("python bot.py").parse_args(shlex.split(line)[2:])  # it runs


def test_the_team_commands_declare_their_arguments() -> None:
    helps = {
        p.prog.removeprefix("python bot.py "): p for p in parsers(build_parser("python bot.py"))
    }
    assert helps["admin reply"].format_usage() == (
        "usage: python bot.py admin reply [-h] [--agent EMAIL]\n"
        "                                 CONVERSATION TEXT [TEXT ...]\n"
    )
    assert "SERVICE [NUMBER]" in helps["admin detach"].format_usage()
    assert "[MEMBER] [ROLE]" in helps["admin role"].format_usage()
    assert "PROFILE [ACTION] [DAY]" in helps["admin profile"].format_usage()
    # the CSV's columns are in the import's help
    text = helps["admin import"].format_help()
    for column in ("external_id", "phone", "whatsapp", "email", "telegram", "name", "stage"):
        assert f"\n  {column} " in text, column


def test_send_is_reply_under_its_old_name() -> None:
    parser = build_parser("python bot.py")
    send = parser.parse_args(["admin", "send", "c_1", "hello", "there"])
    reply = parser.parse_args(["admin", "reply", "c_1", "hello", "there"])
    assert send.team_command == reply.team_command == "reply"
    assert send.cli_parser is reply.cli_parser
    assert (send.conversation, send.text) == (reply.conversation, reply.text)


async def test_help_from_the_shell_needs_no_store() -> None:
    code, out, err = await run_command(environment(), "admin", "optout", "--help")
    assert code == 0, err
    assert out.startswith("usage: python bot.py admin optout [-h] CONVERSATION [SWITCH]")
    assert "Example:\n  python bot.py admin optout c_3f2a9b off" in out
