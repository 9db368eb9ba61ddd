"""Telegram's frameworks are install extras: a bot without them starts, and a Telegram token
without them says which extra to install."""

from __future__ import annotations

import asyncio
import os
import secrets
import signal
import sys
import urllib.request

from tests.botprocess import ROOT, free_port

WITHOUT_TELEGRAM = (
    "import runpy, sys\n"
    "sys.modules['aiogram'] = None\n"
    "sys.modules['telegram'] = None\n"
    "sys.argv = ['bot.py']\n"
    "runpy.run_path('bot.py', run_name='__main__')\n"
)


def environment(**extra: str) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("WHATSAPP_", "TELEGRAM_", "TWILIO_", "REDIS_URL"))
    }
    return {**env, "SWITCHBOARD_CONFIG": os.devnull, "PORT": str(free_port()), **extra}


async def start_without_telegram(env: dict[str, str]) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable, "-c", WITHOUT_TELEGRAM, cwd=ROOT, env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip


async def test_a_telegram_token_without_the_extra_names_the_extra() -> None:
    for framework, extra in (("aiogram", "telegram"), ("ptb", "ptb")):
        token = f"123456:{secrets.token_urlsafe(30)}"
        env = environment(TELEGRAM_BOT_TOKEN=token, TELEGRAM_FRAMEWORK=framework)
        process = await start_without_telegram(env)
        _, err = await asyncio.wait_for(process.communicate(), 30)
        assert process.returncode == 2, err.decode()
        assert f"pip install 'switchboard[{extra}]'" in err.decode()
        assert "Traceback" not in err.decode() and "Unclosed" not in err.decode()


async def test_the_bot_starts_without_either_framework() -> None:
    env = environment()
    process = await start_without_telegram(env)
    url = f"http://127.0.0.1:{env['PORT']}/readyz"

    def ready() -> bool:
        try:
            with urllib.request.urlopen(url, timeout=1) as response:
                return response.status == 200
        except OSError:
            return False

    try:
        for _ in range(200):
            if process.returncode is not None or await asyncio.to_thread(ready):
                break
            await asyncio.sleep(0.1)
        assert await asyncio.to_thread(ready)
    finally:
        process.send_signal(signal.SIGTERM)
        await asyncio.wait_for(process.communicate(), 30)
