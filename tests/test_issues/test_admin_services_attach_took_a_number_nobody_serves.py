"""``admin services attach NAME --number X`` took any X: 'wa:999 bogus' or one holding an
escape became a number with that service as its parent, listed by ``GET /v1/numbers`` and
``admin stats``, and ``admin notify --number wa`` no longer knew which WhatsApp number was
meant. The API refused such numbers already; the command now does too."""

from __future__ import annotations

from tests.botprocess import run_command
from tests.conftest import REDIS_URL
from tests.test_cli_basics import environment


async def test_a_number_the_deployment_does_not_serve_is_refused(prefix: str) -> None:
    env = environment(
        REDIS_URL=REDIS_URL,
        SWITCHBOARD_KEY_PREFIX=prefix,
        CRM_SECRET="c" * 24,
    )
    for number in ("wa:999 bogus", "x\x1b[2Jy"):
        code, out, err = await run_command(
            env, "admin", "services", "attach", "crm", "--url", "http://127.0.0.1:9/h",
            "--secret-env", "CRM_SECRET", "--number", number,
        )  # fmt: skip
        assert code == 1, (out, err)
        assert "no number" in err and "web:site" in err, err
        assert "\x1b" not in err
    code, out, err = await run_command(env, "admin", "services", "list")
    assert code == 0, err
    assert "bogus" not in out and "crm" not in out
