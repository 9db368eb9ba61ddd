"""Who owns a new profile (PS-5), and the events that stitching produces (PS-2)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from bot.config.settings import Settings
from bot.identities import person_email
from bot.model import Claim, Event, Inbound, derived_id
from stores.claims import ClaimStore
from stores.pipeline import Take, when_whole
from stores.profiles import Merge, Resolution
from stores.redis import Pipe


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
        email = person_email(email)
        if not email or "@" not in email:
            return ""
        if self.settings.team and self.settings.team_member(email) is None:
            return ""
        return email

    def owners_rider(
        self, messages: Sequence[Inbound], resolutions: Sequence[Resolution]
    ) -> OwnersRead:
        """The owner of each profile these messages created ('' for the others): the
        team member holding the conversation, else the number's owner, else the default.
        Claims are read only for new profiles, which are few: by this rider
        (``stores.pipeline.ride``) on another part's round trip, else by ``owners``."""
        return OwnersRead(self, messages, resolutions)

    async def owners(self, read: OwnersRead) -> list[str]:
        """The owners ``read`` found, reading the claims now when it did not ride."""
        if not read.read:
            read.take(await self.claims.holders(read.conversations))
        return read.owners

    def owner_of(self, holder: Claim | None, number: str) -> str:
        return self.owner_for(holder.agent if holder else "", number)

    def owner_for(self, agent: str, number: str) -> str:
        """The owner of a profile made for a conversation on ``number`` that ``agent``
        holds (or opens): that agent when a team member, else the number's owner, else
        the default owner; '' when none is a team member."""
        settings = self.settings.profiles
        return (
            self._member(agent)
            or self._member(settings.number_owners.get(number, ""))
            or self._member(settings.default_owner)
        )

    @staticmethod
    def merge_events(resolutions: Sequence[Resolution]) -> list[Event]:
        return [merged_event(merge) for r in resolutions for merge in r.merges]


class OwnersRead:
    """The owners of the profiles a batch created (``Lifecycle.owners_rider``): known
    once ``read`` (at once when none is new). A failed round trip or read leaves ``read``
    False, for ``Lifecycle.owners`` to read them."""

    __slots__ = ("conversations", "created", "lifecycle", "numbers", "owners", "read")

    def __init__(
        self, lifecycle: Lifecycle, messages: Sequence[Inbound], resolutions: Sequence[Resolution]
    ) -> None:
        self.lifecycle = lifecycle
        self.created = [n for n, r in enumerate(resolutions) if r.created]
        self.conversations = [messages[n].conversation_id for n in self.created]
        self.numbers = [messages[n].number for n in self.created]
        self.owners = [""] * len(resolutions)
        self.read = not self.created

    def __call__(self, pipe: Pipe) -> Take:
        self.lifecycle.claims.queue_holders(pipe, self.conversations)
        return when_whole(self._take)

    def _take(self, answers: list[Any]) -> None:
        self.take(self.lifecycle.claims.take_holders(answers))

    def take(self, holders: Sequence[Claim | None]) -> None:
        for n, number, holder in zip(self.created, self.numbers, holders, strict=True):
            self.owners[n] = self.lifecycle.owner_of(holder, number)
        self.read = True
