"""The config file's automation, taken while running (AU-1): the runtime's own, and each
service's, which lives with its definition in Redis so that every process sees it."""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Awaitable, Callable, Sequence

from bot.config.automation import AutomationSettings
from bot.config.settings import ConfigError, reload_automation
from bot.model import Service

log = logging.getLogger(__name__)

POLL_SECONDS = 1.0


def _modified(path: str) -> float:
    try:
        return os.stat(path).st_mtime
    except OSError:
        return 0.0


Apply = Callable[[AutomationSettings, Sequence[Service]], Awaitable[None]]
"""Puts a reloaded file's automation to use: the runtime's own, and each service's."""


async def watch_config(path: str, apply: Apply, stopping: asyncio.Event) -> None:
    """Reload the automation whenever the file changes; a broken file keeps the old."""
    seen = _modified(path)
    while not stopping.is_set():
        await asyncio.sleep(POLL_SECONDS)
        modified = _modified(path)
        if modified == seen:
            continue
        seen = modified
        try:
            automation, services = reload_automation(path)
            await apply(automation, services)
        except ConfigError as error:
            log.error("config file not reloaded, the running automation stays: %s", error)
            continue
        except Exception:  # whatever it was, the next change of the file is still watched
            log.exception("config file not reloaded, the running automation stays")
            continue
        log.info("automation reloaded from %s", path)
