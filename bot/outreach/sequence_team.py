"""Drip sequences as the team's /sequences, /enrol and /unenrol see them
(``handlers.sequence_commands.SequencePort``)."""

from __future__ import annotations

from typing import Any

from bot.identities import InvalidIdentityError, InvalidPhoneError, parse_identity
from bot.outreach.sequence_reports import SequenceReports
from bot.outreach.sequences import Sequences


class TeamSequences:
    """The sequences port over the runtime's sequences; unknown names raise LookupError."""

    def __init__(self, sequences: Sequences, reports: SequenceReports, region: str) -> None:
        self.sequences = sequences
        self.reports = reports
        self.region = region

    async def listing(self, numbers: list[str]) -> list[dict[str, Any]]:
        return await self.reports.listing(numbers)

    async def report(self, name: str) -> dict[str, Any]:
        return await self.reports.report(name)

    async def number_of(self, name: str) -> str:
        return self.sequences.get(name).number

    async def enrol(self, name: str, reference: str, again: bool) -> bool:
        if not self.sequences.get(name).enabled:
            raise ValueError(f"sequence {name} is disabled in the configuration")
        _, enrolled = await self.sequences.enrol(name, self._entry(reference), again=again)
        return enrolled

    async def unenrol(self, name: str, reference: str) -> bool:
        _, stopped = await self.sequences.unenrol(name, self._entry(reference))
        return stopped

    def _entry(self, reference: str) -> str:
        """An audience entry of what the team typed; ValueError when it names nobody."""
        reference = reference.strip()
        if reference.startswith("c_"):
            return f"c:{reference}"
        if not reference.startswith("p_"):
            try:
                parse_identity(reference, self.region)
            except (InvalidIdentityError, InvalidPhoneError) as error:
                raise ValueError(f"{reference[:60]!r}: {error}") from None
        return f"p:{reference}"
