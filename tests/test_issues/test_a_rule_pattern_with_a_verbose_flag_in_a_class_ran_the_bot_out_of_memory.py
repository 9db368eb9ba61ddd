"""A rule's regex with large counted repeats was refused, but not when ``(?x`` appeared
anywhere in it: inside a class (``[(?x]#(?:x{3000}){3000}``), after an escaped paren or
inside a ``(?#...)`` comment. The size check took that for the verbose flag and skipped
from ``#`` to the line's end as a comment, which the regex module does not, and
``config check``, the start and a hot reload compiled the repeats in full and ran out of
memory (a MemoryError traceback, or the machine's memory taken). Spaces in a verbose
repeat's count (``{3 000}``) and an escaped paren in a comment fooled it the same way.
The size is now read from the regex module's own parse of the pattern, so such a pattern
is refused in one line as the plain one is."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.config.automation import automation_settings
from tests.test_issues.test_a_rule_pattern_with_large_repeats_ran_the_bot_out_of_memory import (
    config_check_within_memory,
)


def config(pattern: str) -> str:
    # In YAML's single quotes a backslash is itself.
    return f"automation:\n  rules:\n    - pattern: '{pattern}'\n      reply: \"Hi\"\n"


@pytest.mark.parametrize(
    "pattern",
    [
        "[(?x]#(?:x{3000}){3000}",
        r"\(?x#(?:x{3000}){3000}",
        "(?#(?x)#(?:x{3000}){3000}",
        "(?x)(?:x{3 000}){3 000}",
        r"(?:(?#\))x{3000}){3000}",
        "(?x)(?-x)#(?:x{3000}){3000}",
    ],
)
async def test_config_check_refuses_it_in_one_line(tmp_path: Path, pattern: str) -> None:
    path = tmp_path / "switchboard.yaml"
    path.write_text(config(pattern), encoding="utf-8")
    code, out, err = await config_check_within_memory(path)
    assert (code, out) == (2, ""), err
    assert err.startswith(f"{path}:3: automation.rules[0].pattern: too large:"), err
    assert len(err.splitlines()) == 1, err


@pytest.mark.parametrize(
    "pattern",
    [
        "(?x) order \\s* (\\d{4,8})  # never x{30000}{30000}",
        "(?x) \\d{4} # not (?:x{3000}){3000}\n -? \\d{2}",
        "order (?x: \\# \\d+ ) # a number",
        "[(?x]#x{20}",
    ],
)
def test_a_verbose_pattern_with_repeats_in_its_comments_is_taken(pattern: str) -> None:
    rule = {"pattern": pattern, "reply": "Hi"}
    assert automation_settings({"rules": [rule]}).rules[0].pattern == pattern
