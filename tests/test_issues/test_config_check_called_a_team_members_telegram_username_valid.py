"""A team member's ``telegram:`` written as their @username, with the ``tg:`` of an
identity, or as anything else that is no Telegram user id, was called valid by ``config
check`` and taken at the start. Nothing could ever match it, so every command of theirs
in the team chat was refused as a stranger's, and nothing said why. The file is refused
now, naming the line and what the id must be."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.config_run import config_check
from tests.test_config import write


@pytest.mark.parametrize("given", ['"@ann_at_acme"', '"tg:7770001"', "-7770001", '" 7770001"'])
async def test_a_telegram_id_that_is_no_user_id_is_refused(tmp_path: Path, given: str) -> None:
    path = write(
        tmp_path, f"team:\n  - {{email: ann@example.com, role: admin, telegram: {given}}}\n"
    )
    code, out, err = await config_check(path)
    assert code == 2, (out, err)
    assert f"{path}:2: team[0].telegram: must be a Telegram user id" in err
    assert "Traceback" not in err


async def test_a_user_id_written_as_a_number_or_as_text_is_taken(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "team:\n"
        "  - {email: ann@example.com, role: admin, telegram: 7770001}\n"
        '  - {email: bob@example.com, role: agent, telegram: "7770002"}\n'
        "  - {email: cy@example.com, role: viewer}\n",
    )
    code, out, err = await config_check(path)
    assert (code, out.strip()) == (0, f"{path}: valid"), err
