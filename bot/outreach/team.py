"""Notifications as the team's /notify and /stats see them (``handlers.ports.NotifyPort``)."""

from __future__ import annotations

from typing import Any

from bot.outreach.notifications import Notifications
from bot.outreach.spec import parse_notification
from handlers.ports import Scheduled


class TeamNotifications:
    """The notify port over the runtime's notifications; unknown ids raise LookupError."""

    def __init__(self, notifications: Notifications, region: str) -> None:
        self.notifications = notifications
        self.region = region

    @property
    def timezone(self) -> str:
        return self.notifications.settings.timezone

    async def create_from(self, body: dict[str, Any], service: str) -> Scheduled:
        spec, entries = parse_notification(
            body, service=service, region=self.region, zone=self.timezone
        )
        draft = body.get("draft", False) is True
        created = await self.notifications.create(spec, entries, draft=draft)
        return Scheduled(created.id, created.status, created.first_run)

    async def review(self, notification_id: str) -> dict[str, Any]:
        """A draft's review (``Notifications.review``); ValueError unless it is a draft."""
        return await self.notifications.review(notification_id)

    async def send(self, notification_id: str) -> Scheduled:
        """Send a reviewed draft; ValueError unless it is one."""
        created = await self.notifications.send(notification_id)
        return Scheduled(created.id, created.status, created.first_run)

    async def report(self, notification_id: str) -> dict[str, Any]:
        return await self.notifications.report(notification_id)

    async def cancel(self, notification_id: str) -> None:
        await self.notifications.spec(notification_id)  # LookupError for an unknown one
        await self.notifications.cancel(notification_id)

    async def stats(self, numbers: list[str]) -> list[dict[str, Any]]:
        return await self.notifications.stats(numbers)
