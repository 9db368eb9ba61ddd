"""Notifications as the team's /notify and /stats see them (``handlers.ports.NotifyPort``)."""

from __future__ import annotations

from typing import Any, Protocol

from bot.outreach.campaigns import (
    CancelRefusedError,
    NoTeamPhoneError,
    StopRefusedError,
    checked_reason,
    parse_cursor,
)
from bot.outreach.notifications import Notifications
from bot.outreach.spec import parse_notification
from handlers.ports import RefusedError, Scheduled

PAGE = 20
"""Recipients per page in the team chat."""


class Profiles(Protocol):
    """Finds a profile and those merged into it (``bot.core.profiles.ProfileBook``)."""

    async def find(self, reference: str) -> str: ...
    async def with_merged(self, root: str) -> list[str]: ...


class TeamNotifications:
    """The notify port over the runtime's notifications; unknown ids raise LookupError."""

    def __init__(
        self, notifications: Notifications, region: str, profiles: Profiles | None = None
    ) -> None:
        self.notifications = notifications
        self.region = region
        self.profiles = profiles

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

    async def number_of(self, notification_id: str) -> str:
        return (await self.notifications.spec(notification_id)).number

    async def report(self, notification_id: str) -> dict[str, Any]:
        return await self.notifications.report(notification_id)

    async def cancel(self, notification_id: str) -> None:
        await self.notifications.spec(notification_id)  # LookupError for an unknown one
        try:
            await self.notifications.cancel(notification_id)
        except CancelRefusedError as refusal:
            raise RefusedError(str(refusal)) from None

    async def stats(self, numbers: list[str]) -> list[dict[str, Any]]:
        return await self.notifications.stats(numbers)

    async def test(self, notification_id: str, members: list[str]) -> list[dict[str, str]]:
        await self.notifications.spec(notification_id)  # LookupError for an unknown one
        try:
            phones = self.notifications.test_phones(members, [])
        except NoTeamPhoneError as error:  # in the API's words ('members', 'to')
            if members:  # one not on the team, or without a phone
                raise RefusedError(f"Not tested: {error}.") from None
            raise RefusedError(
                "Not tested: no team member has a phone in the config "
                "(a member's phone: under team:)."
            ) from None
        return await self.notifications.test(notification_id, phones)

    async def stop(self, notification_id: str, reason: str, by: str) -> dict[str, Any]:
        """The API's rule for a reason (one line): a report shows it on its own line."""
        try:
            reason = checked_reason(reason)
        except ValueError as error:
            raise RefusedError(f"Not stopped: {error}.") from None
        await self.notifications.spec(notification_id)
        try:
            await self.notifications.campaigns_view.stop(notification_id, reason, by)
        except StopRefusedError as refusal:
            raise RefusedError(str(refusal)) from None
        return await self.notifications.report(notification_id)

    async def recipients(
        self, notification_id: str, status: str, cursor: str
    ) -> tuple[list[dict[str, Any]], str | None]:
        spec = await self.notifications.spec(notification_id)
        page = await self.notifications.campaigns_view.recipients(
            notification_id, spec, status, parse_cursor(cursor), PAGE
        )
        return page.items, page.cursor

    async def campaigns_of(
        self, reference: str, numbers: list[str]
    ) -> tuple[str, list[dict[str, Any]]]:
        if self.profiles is None:
            raise LookupError("profiles are not available here")
        profile_id = await self.profiles.find(reference)
        every = await self.profiles.with_merged(profile_id)
        return profile_id, await self.notifications.campaigns_view.of_profiles(every, numbers, 50)
