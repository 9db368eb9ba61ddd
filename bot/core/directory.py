"""The services of each number: attach and detach, the parent, and whose automation runs."""

from __future__ import annotations

import json
import logging
import secrets
from collections.abc import Iterable, Sequence
from typing import Any

from bot.config.automation import AutomationSettings, automation_settings
from bot.config.base import ConfigError
from bot.model import AUTOMATION_SERVICE, Event, Service
from handlers.autoreply import AutoReply
from stores.pipeline import Take, when_whole
from stores.redis import Pipe
from stores.services import Attachment, ServiceStore, Version

log = logging.getLogger(__name__)
RUNTIME_RECORDED, RUNTIME_ON = "#runtime", "#runtime:on"
"""Kept among the services a start found in the file (no service is named so): that start
recorded ``runtime_service``, and it was on. Never the runtime's own service's name: the
versions before read the record as the file's services, and detach every other one from
every number."""

OUTDATED = Version(-1, -1)
"""The version of a view this process changed the services of: older than any read, so
the next ``refresh`` loads the view again, while a batch under way still reads it."""


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
    """Reads and changes attachments. Each process keeps a view of each number's services,
    and uses it only while the number's version says that nothing changed since: a
    change made by any process is seen by the next batch of every process (SN-7)."""

    def __init__(self, store: ServiceStore, runtime_automation: AutomationSettings) -> None:
        self.store = store
        self.runtime = Service(AUTOMATION_SERVICE, "", "", mask=False)
        self._runtime_automation = AutoReply(runtime_automation)
        self._automations: dict[str, tuple[str, AutoReply | None]] = {}
        self._views: dict[str, tuple[Version, tuple[Service, ...]]] = {}
        self._latest: dict[str, Version] = {}
        """The newest version of each number read so far."""

    def queue_versions(self, pipe: Pipe, numbers: Sequence[str]) -> None:
        """Queue the reads of the numbers' versions on a round trip the caller makes; hand
        its answers (``len(numbers) + 1``) to ``take_versions``."""
        self.store.queue_versions(pipe, numbers)

    def take_versions(self, numbers: Sequence[str], answers: Sequence[Any]) -> None:
        self._note(numbers, self.store.take_versions(answers))

    def versions_rider(self, numbers: Sequence[str]) -> VersionsRead:
        """A rider (``stores.pipeline.ride``) that reads the numbers' versions on another
        part's round trip; ``read`` says whether they came."""
        return VersionsRead(self, numbers)

    def _note(self, numbers: Sequence[str], versions: Sequence[Version]) -> None:
        for number, version in zip(numbers, versions, strict=True):
            known = self._latest.get(number)
            self._latest[number] = version if known is None else known.merged(version)

    async def refresh(self, numbers: Iterable[str]) -> None:
        """Reload the views older than the versions read last, and load those never read."""
        for number in set(numbers):
            view = self._views.get(number)
            latest = self._latest.get(number)
            if view is None or (latest is not None and not view[0].covers(latest)):
                await self._load(number)  # moved since: the view is stale

    async def catch_up(self, numbers: Iterable[str]) -> None:
        """Read the numbers' versions in a round trip of their own, then ``refresh``."""
        numbers = sorted(set(numbers))
        if numbers:
            self._note(numbers, await self.store.versions(numbers))
            await self.refresh(numbers)

    async def attached(self, number: str) -> tuple[Service, ...]:
        """The services of ``number`` in attach order (the parent first), as they are now."""
        await self.catch_up([number])
        return self.cached(number)

    def cached(self, number: str) -> tuple[Service, ...]:
        """The view ``refresh`` or ``catch_up`` brought up to date last; empty for a number
        never read."""
        view = self._views.get(number)
        return view[1] if view else ()

    def parent(self, number: str) -> Service | None:
        services = self.cached(number)
        return services[0] if services else None

    async def _load(self, number: str) -> None:
        version, found = await self.store.attached_as_of(number)
        services = tuple(
            self.runtime if service.name == AUTOMATION_SERVICE else service for service in found
        )
        view = self._views.get(number)
        # Two batches may load a number at once: a view never replaces a newer one.
        newer = view is not None and view[0] != version and view[0].covers(version)
        if not newer:
            self._views[number] = (version, services)
        self._note([number], [version])

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
            known = (key, self._auto_reply(parent))
            self._automations[parent.name] = known
        return known[1]

    @staticmethod
    def _auto_reply(parent: Service) -> AutoReply | None:
        """The parent's stored automation; None, with a warning once per definition, when
        the checks refuse it (stored before they grew stricter): its number's messages
        must still flow."""
        try:
            return AutoReply(automation_settings(parent.automation))
        except ConfigError as error:
            log.warning(
                "service %s: its stored automation is refused (%s); its numbers run none "
                "until it is defined again",
                parent.name,
                "; ".join(error.problems),
            )
            return None

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
        self,
        numbers: Sequence[str],
        services: Sequence[Service],
        runtime_service: bool,
        *,
        define: bool = True,
    ) -> list[Event]:
        """Attach the configured services to each number, keeping any order already kept,
        but where the operator detached one since it was last attached (one added to the
        file since the last start is attached all the same); the runtime's own service,
        new to a number, goes first, and with ``runtime_service`` off it is detached from
        every number. A service the file defined at the last start and
        defines no more is detached from every number (at the first start that keeps them,
        one the file defined once, as ``_once_the_files`` tells). ``define`` False keeps
        their definitions as stored (the ones the running processes took)."""
        events: list[Event] = []
        for service in services if define else ():
            await self.store.save(service)
        configured = [service.name for service in services]
        # Whether ``runtime_service`` was on is kept with them (``RUNTIME_ON``), so that
        # turning it off detaches it, and turning it on again attaches it again.
        names = [AUTOMATION_SERVICE] if runtime_service else []
        before = await self.store.configured()
        if before is None:  # kept by no start before: those the file defined are inferred
            before = {*names, *configured} | await self._once_the_files(configured)
        elif RUNTIME_RECORDED not in before or RUNTIME_ON in before:
            # On at the last start, or kept by a version that did not record the runtime's
            # own service (it was on, as by default): where the operator detached it, it
            # stays detached.
            before.add(AUTOMATION_SERVICE)
        before -= {RUNTIME_RECORDED, RUNTIME_ON}
        added = {*names, *configured} - before
        gone = before - {*names, *configured}
        if not runtime_service:
            gone.add(AUTOMATION_SERVICE)  # attached by nothing else: off means nowhere
        for name in sorted(gone):
            for number in await self.store.numbers():
                change = await self.store.detach(number, name)
                events += await self._changed(number, change)
        for number in numbers:
            for name in names + configured:
                # The runtime's own service is the parent out of the box (SN-1), even of a
                # number a service was attached to before the first start.
                first = name == AUTOMATION_SERVICE
                change = await self.store.attach(
                    number, name, unless_detached=name not in added, first=first
                )
                events += await self._changed(number, change)
        runtime = [RUNTIME_RECORDED, *([RUNTIME_ON] if runtime_service else [])]
        await self.store.set_configured([*configured, *runtime])
        return events

    async def _once_the_files(self, configured: Sequence[str]) -> set[str]:
        """The services attached somewhere that the file defined once and defines no more,
        told, in a store no start kept the file's services in (the versions before), by
        their definitions: one made through the API or ``admin services attach`` got an
        API token, and no automation; the file's got automation, or no token. One with a
        token and no automation may be either: it stays, and the log names it."""
        attached: set[str] = set()
        for number in await self.store.numbers():
            attached.update(await self.store.order(number))
        found: set[str] = set()
        for name in sorted(attached - {*configured, AUTOMATION_SERVICE}):
            service, digest = await self.store.get_keyed(name)
            if service is None:
                continue  # no definition: not the file's
            if service.automation or not digest:
                found.add(name)
            else:
                log.warning(
                    "service %s is attached and not in the config file: kept, as its API "
                    "token says it may have been defined through the API; if the file "
                    "defined it before, detach it: admin services detach %s",
                    name,
                    name,
                )
        return found

    async def _changed(self, number: str, change: Attachment) -> list[Event]:
        view = self._views.get(number)
        if view is not None:
            self._views[number] = (OUTDATED, view[1])
        if not change.changed or change.parent_before == change.parent_after:
            return []
        if change.first:
            return []  # there was no parent to change from
        data: dict[str, Any] = {
            "number": number,
            "previous_parent": change.parent_before,
            "parent": change.parent_after,
        }
        return [Event.new("number.parent_changed", number, data)]


class VersionsRead:
    """The numbers' versions, read riding another part's round trip: ``read`` once they
    came whole, and noted as ``queue_versions`` and ``take_versions`` would have. A failed
    round trip or command leaves ``read`` False, and the views as they were."""

    __slots__ = ("directory", "numbers", "read")

    def __init__(self, directory: Directory, numbers: Sequence[str]) -> None:
        self.directory = directory
        self.numbers = numbers
        self.read = False

    def __call__(self, pipe: Pipe) -> Take:
        self.directory.queue_versions(pipe, self.numbers)
        return when_whole(self._take)

    def _take(self, answers: list[Any]) -> None:
        self.directory.take_versions(self.numbers, answers)
        self.read = True
