"""The services of each number: attach and detach, the parent, and whose automation runs."""

from __future__ import annotations

import json
import secrets
import time
from collections.abc import Iterable, Sequence
from typing import Any

from bot.config.automation import AutomationSettings, automation_settings
from bot.model import AUTOMATION_SERVICE, Event, Service
from handlers.autoreply import AutoReply
from stores.services import Attachment, ServiceStore

CACHE_SECONDS = 1.0
"""How stale a process's view of the attachments may be; changes made here apply at once."""


class ParentOnlyError(Exception):
    """A subscriber asked for what only the parent may do (SN-6)."""

    def __init__(self, service: str, parent: str | None) -> None:
        super().__init__(
            f"only the parent service automates on this number; the parent is {parent!r}, "
            f"not {service!r}"
        )
        self.parent = parent


def new_token() -> str:
    return "sbt_" + secrets.token_urlsafe(32)


class Directory:
    """Reads and changes attachments; every process reads them from Redis, briefly cached."""

    def __init__(self, store: ServiceStore, runtime_automation: AutomationSettings) -> None:
        self.store = store
        self.runtime = Service(AUTOMATION_SERVICE, "", "", mask=False)
        self._runtime_automation = AutoReply(runtime_automation)
        self._automations: dict[str, tuple[str, AutoReply]] = {}
        self._cache: dict[str, tuple[float, tuple[Service, ...]]] = {}

    async def attached(self, number: str) -> tuple[Service, ...]:
        """The services of ``number`` in attach order (the parent first)."""
        cached = self._cache.get(number)
        if cached and time.monotonic() - cached[0] < CACHE_SECONDS:
            return cached[1]
        services = tuple(
            self.runtime if service.name == AUTOMATION_SERVICE else service
            for service in await self.store.attached(number)
        )
        self._cache[number] = (time.monotonic(), services)
        return services

    async def refresh(self, numbers: Iterable[str]) -> None:
        for number in set(numbers):
            await self.attached(number)

    def cached(self, number: str) -> tuple[Service, ...]:
        """The view ``refresh`` or ``attached`` loaded last; empty for a number never read."""
        cached = self._cache.get(number)
        return cached[1] if cached else ()

    def parent(self, number: str) -> Service | None:
        services = self.cached(number)
        return services[0] if services else None

    def use_runtime_automation(self, settings: AutomationSettings) -> None:
        """Take the runtime's automation as reloaded from the config file."""
        self._runtime_automation = AutoReply(settings)

    async def reload_automation(
        self, automation: AutomationSettings, services: Sequence[Service]
    ) -> None:
        """Use a reloaded config file's automation from now on: the runtime's own, and
        each service's, kept with its definition so that every process sees it."""
        self.use_runtime_automation(automation)
        for service in services:
            await self.store.save(service)

    def automation(self, number: str) -> AutoReply | None:
        """The parent's auto-replies: only the parent automates (SN-6)."""
        parent = self.parent(number)
        if parent is None:
            return None
        if parent.name == AUTOMATION_SERVICE:
            return self._runtime_automation
        if not parent.automation:
            return None
        key = json.dumps(parent.automation, sort_keys=True)
        known = self._automations.get(parent.name)
        if known is None or known[0] != key:
            known = (key, AutoReply(automation_settings(parent.automation)))
            self._automations[parent.name] = known
        return known[1]

    async def require_parent(self, number: str, service: str) -> None:
        await self.attached(number)
        parent = self.parent(number)
        if parent is None or parent.name != service:
            raise ParentOnlyError(service, parent.name if parent else None)

    async def attach(self, number: str, name: str) -> list[Event]:
        """Attach a known service; the events to fan out if the parent changed."""
        if name != AUTOMATION_SERVICE and await self.store.get(name) is None:
            raise LookupError(f"no service named {name!r}")
        return await self._changed(number, await self.store.attach(number, name))

    async def detach(self, number: str, name: str) -> list[Event]:
        change = await self.store.detach(number, name)
        if not change.changed:
            raise LookupError(f"{name!r} is not attached to {number}")
        return await self._changed(number, change)

    async def define(self, service: Service, *, with_token: bool) -> str:
        """Create or update a service; a new API token, shown once, when asked for."""
        await self.store.save(service)
        return await self.define_token(service.name) if with_token else ""

    async def define_token(self, name: str) -> str:
        """A new API token for ``name``, kept only as its hash; the one before stops working."""
        token = new_token()
        await self.store.set_token(name, token)
        return token

    async def adopt_config(
        self, numbers: Sequence[str], services: Sequence[Service], runtime_service: bool
    ) -> list[Event]:
        """Attach the configured services to each number, keeping any order already kept."""
        events: list[Event] = []
        for service in services:
            await self.store.save(service)
        names = [AUTOMATION_SERVICE] if runtime_service else []
        names += [service.name for service in services]
        for number in numbers:
            for name in names:
                events += await self._changed(number, await self.store.attach(number, name))
        return events

    async def _changed(self, number: str, change: Attachment) -> list[Event]:
        self._cache.pop(number, None)
        if not change.changed or change.parent_before == change.parent_after:
            return []
        if change.parent_before is None:
            return []  # the first attachment: there was no parent to change from
        data: dict[str, Any] = {
            "number": number,
            "previous_parent": change.parent_before,
            "parent": change.parent_after,
        }
        return [Event.new("number.parent_changed", number, data)]
