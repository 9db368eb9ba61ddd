"""Who owns a new profile (PS-5), and the events that stitching produces (PS-2)."""

from __future__ import annotations

from collections.abc import Sequence

from bot.config.settings import Settings
from bot.model import Event, Inbound, derived_id
from stores.claims import ClaimStore
from stores.profiles import Merge, Resolution


def merged_event(merge: Merge) -> Event:
    """``profile.merged``: the id is derived, so a redo queues the same event again."""
    return Event.new(
        "profile.merged",
        "",
        {
            "profile": merge.survivor,
            "merged": merge.merged,
            "identities": list(merge.identities),
        },
        id=derived_id("evt", "merged", merge.merged, merge.survivor),
    )


class Lifecycle:
    """Ownership of profiles created automatically, and stitching's events."""

    def __init__(self, settings: Settings, claims: ClaimStore) -> None:
        self.settings = settings
        self.claims = claims

    def _member(self, email: str) -> str:
        """``email`` when it names a team member (any email while no team is configured)."""
        email = email.strip().lower()
        if not email or "@" not in email:
            return ""
        if self.settings.team and self.settings.team_member(email) is None:
            return ""
        return email

    async def owners_for(
        self, messages: Sequence[Inbound], resolutions: Sequence[Resolution]
    ) -> list[str]:
        """The owner of each profile these messages created ('' for the others): the
        team member holding the conversation, else the number's owner, else the default.
        Claims are read only for new profiles, which are few."""
        created = [n for n, r in enumerate(resolutions) if r.created]
        owners = [""] * len(resolutions)
        if not created:
            return owners
        holders = await self.claims.holders([messages[n].conversation_id for n in created])
        settings = self.settings.profiles
        for n, holder in zip(created, holders, strict=True):
            owners[n] = (
                (self._member(holder.agent) if holder else "")
                or self._member(settings.number_owners.get(messages[n].number, ""))
                or self._member(settings.default_owner)
            )
        return owners

    @staticmethod
    def merge_events(resolutions: Sequence[Resolution]) -> list[Event]:
        return [merged_event(merge) for r in resolutions for merge in r.merges]
