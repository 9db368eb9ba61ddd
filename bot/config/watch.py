"""The config file's automation, taken while running (AU-1): the runtime's own, and each
service's, which lives with its definition in Redis so that every process sees it."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from bot.config.automation import AutomationSettings
from bot.config.flows import watched_flow_files
from bot.config.settings import ConfigError, reload_automation, sections_at_start
from bot.config.yamlfile import read_yaml
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


def flow_files(path: str) -> list[str]:
    """Every place the flow files the config file names (``flows: {name: {file: ...}}``,
    the runtime's and each service's automation) are looked for, there or not, so that a
    watch sees one appear; none when it cannot be read."""
    try:
        document, _, _ = read_yaml(path, os.environ)
    except Exception:  # the reload that follows reads the file too, and says what is wrong
        return []
    return [str(where) for where in watched_flow_files(document)]


class FileTimes:
    """When the config file and the flow files it names last changed, as a watch looks at
    them: the flow files' names are read again only when the config file changed."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.named = flow_files(path)
        self.seen = self._now()

    def _now(self) -> list[float]:
        return [_modified(name) for name in [self.path, *self.named]]

    def changed(self) -> bool:
        """Whether any of them changed since the last look."""
        if _modified(self.path) != self.seen[0]:
            self.named = flow_files(self.path)
        now = self._now()
        changed, self.seen = now != self.seen, now
        return changed


def _sections(path: str) -> dict[str, Any]:
    """``sections_at_start`` of the file, or {} when it cannot be read now."""
    try:
        return sections_at_start(path)
    except Exception:  # a reload reads it too, and says what is wrong
        return {}


async def watch_config(
    path: str,
    apply: Apply,
    stopping: asyncio.Event,
    read_at: float | None = None,
    asked: asyncio.Event | None = None,
) -> None:
    """Reload the automation whenever the file, or a flow file it names, changes; a broken
    file keeps the old. The flow files are read from the file when it changes. One changed
    since ``read_at`` (when the running settings read it) is reloaded at the first look,
    and the file is read again, changed or not, at once when ``asked`` is set (SIGHUP)."""
    named = flow_files(path)  # before the first wait: what is there when the watch starts
    seen = [_modified(name) for name in [path, *named]]
    if read_at is not None and max(seen) > read_at:
        seen = []  # edited while this process started: what it runs is older
    started = await asyncio.to_thread(_sections, path)
    asked = asked or asyncio.Event()
    while not stopping.is_set():
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(asked.wait(), POLL_SECONDS)
        if asked.is_set():
            asked.clear()
            seen = []  # read again, as the operator asks, whatever its times say
        if not seen or _modified(path) != seen[0]:
            named = await asyncio.to_thread(flow_files, path)
        modified = [_modified(name) for name in [path, *named]]
        if modified == seen:
            continue
        seen = modified
        try:
            reloaded = reload_automation(path)
            await apply(reloaded.automation, reloaded.services)
        except ConfigError as error:
            log.error("config file not reloaded, the running automation stays: %s", error)
            continue
        except Exception:  # whatever it was, the next change of the file is still watched
            log.exception("config file not reloaded, the running automation stays")
            continue
        log.info("automation reloaded from %s", path)
        now = reloaded.sections
        if started:
            changed = sorted(name for name in now if now[name] != started.get(name))
            if changed:
                log.warning(
                    "config file %s: %s changed, which apply at the next start: restart "
                    "the bot to take them",
                    path,
                    ", ".join(changed),
                )
