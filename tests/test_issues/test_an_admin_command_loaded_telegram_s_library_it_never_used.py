"""With ``TELEGRAM_BOT_TOKEN`` set, every ``admin`` command (``admin inbox``, ``admin
reply``...) imported aiogram, which builds its models of the whole Bot API on import,
seconds of CPU, for a command that never calls Telegram. The Telegram client is made
at its first use now; a token without its library still stops the start."""

from __future__ import annotations

import asyncio

from tests.config_run import environment, start_saying_imports, without_import_times
from tests.conftest import REDIS_URL
from tests.emulators.telegram_api import fake_token


async def test_admin_inbox_does_not_import_the_telegram_library(prefix: str) -> None:
    env = environment(
        REDIS_URL=REDIS_URL, SWITCHBOARD_KEY_PREFIX=prefix, TELEGRAM_BOT_TOKEN=fake_token()
    )
    child = await start_saying_imports(env, "admin", "inbox")
    out, err = await asyncio.wait_for(child.communicate(), 120)
    said = out.decode() + without_import_times(err.decode())
    assert child.returncode == 0, said
    imported = [line.rsplit("|", 1)[-1].strip() for line in err.decode().splitlines()]
    assert "aiogram" not in imported and "telegram" not in imported, said
