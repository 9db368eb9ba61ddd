"""``python bot.py admin import``: CRM contacts from a CSV file into the identity graph, so
later messages match them instead of creating duplicates (PS-2)."""

from __future__ import annotations

import asyncio
import contextlib
import re
import time
from collections.abc import Awaitable, Callable, Collection, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

from bot.cli.contacts_csv import (
    IDENTITY_COLUMNS,
    MAX_VALUE_CHARS,
    ROW_TOO_BIG,
    Header,
    RejectReport,
    RowRejectedError,
    cell_value,
    check_binary,
    check_text,
    count_rows,
    default_report_path,
    is_blank,
    oversized,
    read_header,
    records,
)
from bot.cli.progress import Progress
from bot.config.base import known_zone
from bot.core.profiles import check_lawful_basis
from bot.identities import (
    InvalidIdentityError,
    InvalidPhoneError,
    normalize_identity,
    phone_of_whatsapp_id,
    with_aliases,
)
from bot.model import Identity, MergePolicy, display_name
from bot.outreach.spec import TOPIC
from stores.audience import MAX_TOPICS_OFF
from stores.profile_records import consent_trail
from stores.profiles import Merge, ProfileStore, Sighting
from stores.redis import StoreError

DEFAULT_BATCH = 500
MAX_BATCH = 10_000
IN_FLIGHT = 2
"""Batches stored at once: Redis works on some while Python reads the next."""
STAGES = frozenset({"lead", "contact"})
CHANNEL = re.compile(r"[a-z][a-z0-9_-]{0,31}")
_SEPARATORS = re.compile(r"[\s().-]+")
_SPREADSHEET_NUMBER = re.compile(r"\+?[0-9]+\.0+")
"""447700900123.0: a number column a spreadsheet saved as a decimal."""
CHECKED_FIELDS: dict[str, Callable[[str], object]] = {
    "f:consent": check_lawful_basis,
    "f:timezone": known_zone,
}
"""Fields the rest of the bot reads, checked as the API and the config check them: a
value they would refuse rejects the row (ValueError says why)."""


class ImportStoppedError(Exception):
    """The store failed part way; the rows counted in ``summary`` are stored."""

    def __init__(self, summary: ImportSummary, error: Exception) -> None:
        super().__init__(str(error))
        self.summary = summary


@dataclass(slots=True)
class ImportSummary:
    """What an import did; ``read == created + matched + rejected``."""

    read: int = 0
    created: int = 0
    matched: int = 0
    """Rows that landed on a profile that existed already (or an earlier row's)."""
    merges: int = 0
    rejected: int = 0
    warnings: int = 0
    """Rows stored, but with something to check in the report."""
    blank: int = 0
    """Empty rows, skipped and not counted as read."""
    elapsed: float = 0.0
    report: Path | None = None
    """The report of rejected rows and warnings, when one was written."""

    @property
    def rate(self) -> float:
        return self.read / self.elapsed if self.elapsed > 0 else 0.0

    def lines(self) -> list[str]:
        lines = [
            f"rows read         {self.read:>9,}  in {self.elapsed:.1f} s ({self.rate:,.0f} rows/s)",
            f"profiles created  {self.created:>9,}",
            f"rows matched      {self.matched:>9,}  to existing profiles",
            f"merges            {self.merges:>9,}",
            f"rows rejected     {self.rejected:>9,}",
        ]
        if self.warnings:
            lines.append(f"warnings          {self.warnings:>9,}  (rows stored, see the report)")
        if self.blank:
            lines.append(f"blank rows        {self.blank:>9,}  skipped")
        if self.report:
            lines.append(f"report of rejected rows and warnings: {self.report}")
        return lines


@dataclass(slots=True)
class _Row:
    number: int
    cells: list[str]
    sighting: Sighting
    warnings: list[str] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class RowReader:
    """Turns a row's cells into a sighting, or says why the row cannot be stored."""

    header: Header
    region: str
    policy: MergePolicy
    channel: str = "import"
    team: Collection[str] = ()
    """When given, an owner must be one of these emails (PS-5)."""
    default_owner: str = ""
    """The owner of a profile a row makes without an ``owner`` of its own (PS-5)."""

    def sighting(self, cells: list[str], at: float, warnings: list[str]) -> Sighting:
        """The row as a sighting; RowRejectedError when it cannot be stored."""
        width = len(self.header.roles)
        if len(cells) != width and not (len(cells) > width and is_blank(cells[width:])):
            raise RowRejectedError(f"the row has {len(cells)} columns, the header {width}")
        found: dict[str, list[Identity]] = {kind: [] for kind in IDENTITY_COLUMNS.values()}
        fields: dict[str, str] = {}
        name = owner = ""
        for column, role, raw in zip(self.header.names, self.header.roles, cells, strict=False):
            value = cell_value(column, raw)
            if not value:
                continue
            kind = IDENTITY_COLUMNS.get(role)
            if kind:
                found[kind] += self._identities(column, kind, value)
            elif role == "stage":
                if value.lower() not in STAGES:
                    raise RowRejectedError(f"{column}: {value[:40]!r} is not lead or contact")
                if value.lower() == "contact":
                    # '!' overwrites: a new profile starts as a lead, and an import may
                    # convert one, never demote a contact back to a lead.
                    fields["!stage"] = "contact"
            elif role == "owner":
                owner = self._owner(column, value)
                fields["owner"] = owner
            else:
                check_text(column, value, one_line=role == "name")
                if check := CHECKED_FIELDS.get(role):
                    try:
                        check(value)
                    except ValueError as error:
                        raise RowRejectedError(f"{column}: {error}") from None
                if role == "f:topics_off":
                    value = _topics(column, value)
                if len(value) > MAX_VALUE_CHARS:
                    warnings.append(f"{column}: cut to {MAX_VALUE_CHARS:,} characters")
                    value = value[:MAX_VALUE_CHARS]
                if role == "name":  # shown as a channel's names are: no overrides, 200 at most
                    name = display_name(value)
                else:
                    fields[role] = value
        if fields.get("f:consent") == "none":
            # A withdrawal (a CRM's re-export) is kept whatever basis the profile had: no
            # marketing goes to someone who withdrew it.
            fields["!f:consent"] = fields.pop("f:consent")
            fields |= consent_trail(self.channel, at, overwrite=True)
        elif fields.get("f:consent"):  # the lawful basis, where the profile has none yet
            fields |= consent_trail(self.channel, at, overwrite=False)
        identities = tuple(dict.fromkeys(i for kind in found.values() for i in kind))
        if not identities:
            raise RowRejectedError(
                "no usable identity: a row needs one of " + ", ".join(IDENTITY_COLUMNS)
            )
        return Sighting(identities, self.channel, name, at, fields, owner or self.default_owner)

    def _identities(self, column: str, kind: str, value: str) -> list[Identity]:
        if kind in ("phone", "wa", "tg") and _SPREADSHEET_NUMBER.fullmatch(value.strip()):
            raise RowRejectedError(
                f"{column}: {value[:40]!r} is a number a spreadsheet wrote as a decimal: "
                "keep the column as text"
            )
        if kind == "wa":  # written as a phone number often: "+44 7700 900123"
            value = _SEPARATORS.sub("", value)
            if value.startswith("0"):
                raise RowRejectedError(
                    f"{column}: {value[:40]!r} is not a WhatsApp id: it starts with the "
                    "country code (447700900123)"
                )
        if self.policy.is_blocked(Identity(kind, value)):
            raise RowRejectedError(f"{column}: {value[:40]!r} is blocked by the merge policy")
        try:
            identity = normalize_identity(kind, value, self.region)
        except (InvalidIdentityError, InvalidPhoneError) as error:
            raise RowRejectedError(f"{column}: {error}") from None
        if self.policy.is_blocked(identity):
            raise RowRejectedError(f"{column}: {identity.key} is blocked by the merge policy")
        if kind == "tg" and int(identity.value) <= 0:
            raise RowRejectedError(
                f"{column}: {value[:40]!r} is not a Telegram user id: a user's is a positive "
                "number (a negative one is a group's)"
            )
        if kind != "wa":
            return with_aliases([identity])
        # As for a message: the phone behind a WhatsApp id, so an SMS or a later import
        # with the phone alone finds this profile too.
        try:
            phone = phone_of_whatsapp_id(identity.value)
        except InvalidPhoneError:
            raise RowRejectedError(
                f"{column}: {value[:40]!r} is not a WhatsApp id: no phone number is +{value[:40]}"
            ) from None
        if self.policy.is_blocked(phone):  # the office line's WhatsApp: as shared as it
            raise RowRejectedError(f"{column}: {phone.key} is blocked by the merge policy")
        return with_aliases([identity, phone])

    def _owner(self, column: str, value: str) -> str:
        try:
            email = normalize_identity("email", value, self.region).value
        except InvalidIdentityError:
            raise RowRejectedError(f"{column}: {value[:80]!r} is not an email address") from None
        if self.team and email not in self.team:
            raise RowRejectedError(f"{column}: {email} is not a team member")
        return email


def _topics(column: str, value: str) -> str:
    """The topics a customer left, as campaigns read them: lowercase, comma separated
    (``Offers; News`` is ``offers,news``); RowRejectedError for one that is no topic."""
    topics = [topic for topic in re.split(r"[,;\s]+", value.lower()) if topic]
    wrong = [topic for topic in topics if not TOPIC.fullmatch(topic)]
    if wrong:
        raise RowRejectedError(
            f"{column}: {wrong[0][:40]!r} is not a topic (lowercase letters, digits, _ . -)"
        )
    left = list(dict.fromkeys(topics))
    if len(left) > MAX_TOPICS_OFF:  # as the API keeps them: every campaign reads them all
        raise RowRejectedError(
            f"{column}: {len(left):,} topics; a customer leaves at most {MAX_TOPICS_OFF}"
        )
    return ",".join(left)


MergesHook = Callable[[list[Merge]], Awaitable[None]]


def _forget_earlier_report(report: Path, source: Path) -> None:
    """Remove an earlier import's report at ``report``: it would list rows this import may
    store. Only a file of its own: never the file imported, nor a device (``/dev/full``)."""
    with contextlib.suppress(OSError):
        if report.is_file() and not report.samefile(source):
            report.unlink()


class _Import:
    """One run over one file: rows to batches, batches to the graph, and the counts."""

    def __init__(
        self,
        profiles: ProfileStore,
        reader: RowReader,
        report: RejectReport,
        summary: ImportSummary,
        bar: Progress,
        on_merges: MergesHook | None,
    ) -> None:
        self.profiles = profiles
        self.reader = reader
        self.report = report
        self.summary = summary
        self.bar = bar
        self.on_merges = on_merges
        self.in_flight: list[tuple[asyncio.Task[None], set[Identity]]] = []

    async def submit(self, batch: Sequence[_Row]) -> None:
        """Store ``batch`` while the next one is read: while one batch waits on Redis,
        the next is parsed and sent. Batches in flight never share an identity, so
        they never race to claim one (two claims would leave an empty profile)."""
        if not batch:
            return
        identities = {i for row in batch for i in row.sighting.identities}
        while self.in_flight and (
            len(self.in_flight) >= IN_FLIGHT or any(identities & i for _, i in self.in_flight)
        ):
            await self.in_flight.pop(0)[0]
        self.in_flight.append((asyncio.create_task(self.store(batch)), identities))
        await asyncio.sleep(0)  # let it send its first round trip before parsing goes on

    async def drain(self) -> None:
        """Wait for every batch in flight."""
        while self.in_flight:
            await self.in_flight.pop(0)[0]

    async def abandon(self) -> None:
        """Cancel the batches in flight (after a failure), and wait until they stop."""
        tasks = [task for task, _ in self.in_flight]
        self.in_flight = []
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    def reject(self, number: int, reason: str, cells: Sequence[str], cut: bool = False) -> None:
        self.summary.rejected += 1
        self.report.add(number, reason, cells, cut=cut)

    def read(self, number: int, cells: list[str] | None, problem: str) -> _Row | None:
        """The row ready to store, or None once it is rejected."""
        self.summary.read += 1
        warnings: list[str] = []
        try:
            if cells is None:
                raise RowRejectedError(problem)
            if oversized(cells):
                self.reject(number, ROW_TOO_BIG, cells, True)
                self.bar.advance(1)
                return None
            return _Row(number, cells, self.reader.sighting(cells, time.time(), warnings), warnings)
        except RowRejectedError as error:
            self.reject(number, str(error), cells or [])
            self.bar.advance(1)
            return None

    async def store(self, batch: Sequence[_Row]) -> None:
        """Stitch one batch: the suppression lookup, then ``resolve_many``, in a few round
        trips whatever the batch size."""
        every = sorted({i for row in batch for i in row.sighting.identities}, key=lambda i: i.key)
        erased = await self.profiles.suppression.erased_at(every)
        kept: list[_Row] = []
        for row in batch:
            gone = [i.kind for i in row.sighting.identities if i in erased]
            if gone:  # stale CRM data must not bring back a person who was erased (PS-7)
                self.reject(row.number, f"erased (suppressed): its {gone[0]} was erased", row.cells)
            else:
                kept.append(row)
        if not kept:
            self.bar.advance(len(batch))
            return
        resolutions = await self.profiles.resolve_many([row.sighting for row in kept])
        fills: list[tuple[str, dict[str, str]]] = []
        merges: list[Merge] = []
        for row, resolution in zip(kept, resolutions, strict=True):
            if not resolution.profile:
                reason = "erased (suppressed)" if resolution.suppressed else "no usable identity"
                self.reject(row.number, reason, row.cells)
                continue
            if resolution.created:
                self.summary.created += 1
            else:
                self.summary.matched += 1
                fills.append((resolution.profile, _fields_of(row.sighting)))
            merges += resolution.merges
            row.warnings += [
                f"merge refused by the merge policy ({refusal.reason}); "
                f"stored on {resolution.profile}"
                for refusal in resolution.refusals
            ]
            if row.warnings:
                self.summary.warnings += 1
                self.report.add(row.number, "warning: " + "; ".join(row.warnings), row.cells)
        self.summary.merges += len(merges)
        await self.fill(fills)
        if merges and self.on_merges:
            await self.on_merges(merges)
        self.bar.advance(len(batch))

    async def fill(self, fills: Sequence[tuple[str, dict[str, str]]]) -> None:
        """Give matched profiles the row's fields where they have none yet.

        ``resolve_many`` writes a sighting's fields only when it also writes identities,
        and a row matching a profile that holds all of them writes none; an imported
        name, stage or custom field must not be dropped for that.
        """
        await self.profiles.fill(fills)


def _fields_of(sighting: Sighting) -> dict[str, str]:
    fields = dict(sighting.fields)
    if sighting.name:
        fields["name"] = sighting.name
    return fields


async def import_contacts(
    profiles: ProfileStore,
    path: Path,
    *,
    region: str,
    channel: str = "import",
    batch_size: int = DEFAULT_BATCH,
    report_path: Path | None = None,
    progress: TextIO | None = None,
    team: Collection[str] = (),
    on_merges: MergesHook | None = None,
    default_owner: str = "",
) -> ImportSummary:
    """Read ``path`` and stitch each row into the graph, ``batch_size`` rows a round.

    UnreadableFileError when the file cannot be imported (nothing is stored then);
    ImportStoppedError when the store fails part way. ``on_merges`` hears each batch's
    merges, so they can be announced as a message's are (``profile.merged``).
    """
    started = time.monotonic()
    check_binary(path)
    total = count_rows(path)
    summary = ImportSummary()
    report = RejectReport(report_path or default_report_path(path))
    _forget_earlier_report(report.path, path)
    try:
        with path.open(encoding="utf-8-sig", newline="") as stream:
            numbered = enumerate(records(stream), 1)
            header = read_header(numbered)
            report.names = list(header.names)
            reader = RowReader(
                header, region, profiles.policy, channel, frozenset(team), default_owner
            )
            with Progress(total, f"importing {path.name}", progress) as bar:
                run = _Import(profiles, reader, report, summary, bar, on_merges)
                batch: list[_Row] = []
                try:
                    for number, (cells, problem) in numbered:
                        if is_blank(cells):
                            summary.blank += 1
                        elif row := run.read(number, cells, problem):
                            batch.append(row)
                            if len(batch) >= batch_size:
                                await run.submit(batch)
                                batch = []
                    await run.submit(batch)
                    await run.drain()
                finally:
                    await run.abandon()
    except StoreError as error:
        raise ImportStoppedError(summary, error) from error
    finally:
        summary.report = report.close()
        summary.elapsed = time.monotonic() - started
    return summary
