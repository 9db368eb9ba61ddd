"""The command line as a new user meets it: a version, a clear refusal of admin commands
on the embedded store, and a clear word for a signing secret's variable that is unset."""

from __future__ import annotations

import os

from tests.botprocess import run_command
from tests.conftest import REDIS_URL


def environment(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "REDIS_URL"}
    return {**env, "SWITCHBOARD_CONFIG": os.devnull, **extra}


async def test_version() -> None:
    code, out, err = await run_command(environment(), "--version")
    assert code == 0, err
    assert out.startswith("switchboard ")


async def test_admin_commands_refuse_the_embedded_store() -> None:
    for command in (["services", "list"], ["inbox"], ["dead-letters", "support"]):
        code, out, err = await run_command(environment(), "admin", *command)
        assert code == 2, (command, out, err)
        assert "admin commands need REDIS_URL" in err and "Traceback" not in err
        assert out == ""


async def test_an_unset_secret_variable_is_named(prefix: str) -> None:
    env = environment(REDIS_URL=REDIS_URL, SWITCHBOARD_KEY_PREFIX=prefix)
    env.pop("CRM_SECRET_FOR_THIS_TEST", None)
    code, _, err = await run_command(
        env, "admin", "services", "attach", "crm", "--url", "http://127.0.0.1:9/h",
        "--secret-env", "CRM_SECRET_FOR_THIS_TEST",
    )  # fmt: skip
    assert code == 2
    assert "CRM_SECRET_FOR_THIS_TEST is unset or empty" in err
