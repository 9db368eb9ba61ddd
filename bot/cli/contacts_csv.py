"""Contacts CSV files as the importer reads them: text and encoding checks, records, the
header's columns, row limits, and the report of rejected rows that a spreadsheet opens safely."""

from __future__ import annotations

import contextlib
import csv
import re
import unicodedata
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, TextIO

from bot.model import TEXT_CONTROLS
from handlers.command_kit import NO_CONTROLS, has_control_characters

MAX_COLUMNS = 200
MAX_ROW_BYTES = 64 * 1024
MAX_VALUE_CHARS = 1000
MAX_FIELD_NAME = 64
IDENTITY_COLUMNS = {
    "external_id": "ext",
    "phone": "phone",
    "whatsapp": "wa",
    "email": "email",
    "telegram": "tg",
}
"""Columns read as identities, in the order a row gives them: the CRM's own id first."""
KNOWN_COLUMNS = frozenset({*IDENTITY_COLUMNS, "name", "stage", "owner"})
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
"""Cells a spreadsheet would run as a formula (OWASP's CSV injection list)."""
_NOT_NAME = re.compile(r"[^a-z0-9_]+")
_BINARY_MAGIC = {
    b"PK\x03\x04": "an Excel workbook (.xlsx) or a zip archive",
    b"\xd0\xcf\x11\xe0": "an old Excel workbook (.xls)",
    b"\xff\xfe": "UTF-16 text",
    b"\xfe\xff": "UTF-16 text",
    b"%PDF": "a PDF document",
    b"\x1f\x8b": "a gzip archive",
    b"\x89PNG": "a PNG image",
    b"\xff\xd8\xff": "a JPEG image",
}
_CONTROL = frozenset(range(32)) - {9, 10, 12, 13}
ROW_TOO_BIG = f"the row is over {MAX_ROW_BYTES // 1024} KiB"


class UnreadableFileError(Exception):
    """The file cannot be imported at all, and nothing was stored; the message says why."""


class RowRejectedError(ValueError):
    """One row that is not stored; the message is the reason given in the report."""


def field_name(header: str) -> str:
    """A column name as a field name: ``[a-z0-9_]``, at most 64 characters ('' if none)."""
    ascii_text = unicodedata.normalize("NFKD", header).encode("ascii", "ignore").decode()
    name = _NOT_NAME.sub("_", ascii_text.strip().lower()).strip("_")
    return name[:MAX_FIELD_NAME].rstrip("_")


def neutralize(cell: str) -> str:
    """A cell safe to open in a spreadsheet: a would-be formula is turned into text."""
    cell = cell.replace("\x00", "\ufffd")
    return "'" + cell if cell.lstrip(" ").startswith(FORMULA_START) else cell


@dataclass(frozen=True, slots=True)
class Header:
    """The header row: the column names as written, and each one's role (a known column
    name, or ``f:<field>`` for a custom profile field)."""

    names: tuple[str, ...]
    roles: tuple[str, ...]

    @classmethod
    def read(cls, cells: Sequence[str]) -> Header:
        if len(cells) > MAX_COLUMNS:
            raise UnreadableFileError(f"the header has {len(cells)} columns; at most {MAX_COLUMNS}")
        roles: list[str] = []
        for number, cell in enumerate(cells, 1):
            name = field_name(cell)
            if name in KNOWN_COLUMNS:
                if name in roles:
                    raise UnreadableFileError(f"the column {name!r} appears twice in the header")
                roles.append(name)
                continue
            base = name or f"column_{number}"
            role, copy = f"f:{base}", 1
            while role in roles:  # "Notes" and "notes" are two columns, two fields
                copy += 1
                role = f"f:{base[: MAX_FIELD_NAME - len(str(copy)) - 1]}_{copy}"
            roles.append(role)
        if not set(roles) & IDENTITY_COLUMNS.keys():
            found = ", ".join(repr(c.strip()[:40]) for c in cells[:8])
            raise UnreadableFileError(
                "no identity column: the header needs one of "
                + ", ".join(IDENTITY_COLUMNS)
                + f" (its first columns are {found})"
            )
        return cls(tuple(c.strip() for c in cells), tuple(roles))


class RejectReport:
    """Rejected rows and warnings as CSV: row number, reason, the row's cells. The file is
    created at the first entry, so a clean import leaves none."""

    def __init__(self, path: Path, names: Sequence[str] = ()) -> None:
        self.path = path
        self.names = list(names)
        self._file: IO[str] | None = None
        self._writer: Any = None

    def add(self, number: int, reason: str, cells: Sequence[str], *, cut: bool = False) -> None:
        with self._naming_the_file():
            self._add(number, reason, cells, cut=cut)

    def _add(self, number: int, reason: str, cells: Sequence[str], *, cut: bool) -> None:
        if self._writer is None:
            # utf-8-sig: Excel reads a UTF-8 CSV as UTF-8 only when it starts with a BOM.
            self._file = self.path.open("w", encoding="utf-8-sig", newline="")
            self._writer = csv.writer(self._file)
            self._writer.writerow([neutralize(c) for c in ["row", "reason", *self.names]])
        if cut:  # a row over the size limit is kept recognizable, not whole
            cells = [c[:MAX_VALUE_CHARS] for c in cells[: MAX_COLUMNS + 1]]
        self._writer.writerow([str(number), neutralize(reason), *map(neutralize, cells)])

    def close(self) -> Path | None:
        if self._file is None:
            return None
        with self._naming_the_file():
            self._file.close()
        return self.path

    @contextlib.contextmanager
    def _naming_the_file(self) -> Iterator[None]:
        """A failed write (a full disk) says it was the report's, by its path."""
        try:
            yield
        except OSError as error:
            if error.filename is not None:
                raise
            raise OSError(error.errno, error.strerror, str(self.path)) from None


def default_report_path(path: Path) -> Path:
    return path.with_name(path.name + ".rejected.csv")


def check_binary(path: Path) -> None:
    """Refuse what is not text at all, before reading it as CSV."""
    with path.open("rb") as raw:
        sample = raw.read(8192)
    if not sample.strip(b" \t\r\n\xef\xbb\xbf"):
        raise UnreadableFileError("the file is empty")
    for magic, kind in _BINARY_MAGIC.items():
        if sample.startswith(magic):
            raise UnreadableFileError(f"this is {kind}, not CSV: save it as 'CSV UTF-8'")
    controls = sum(byte in _CONTROL for byte in sample)
    if controls > len(sample) // 10 or (b"\x00" in sample and not _is_utf8(sample)):
        raise UnreadableFileError("the file is binary, not CSV text")


def _is_utf8(sample: bytes) -> bool:
    try:
        sample.decode("utf-8")
    except UnicodeDecodeError as error:
        return error.start >= len(sample) - 3  # a character cut by the sample's end
    return True


def records(stream: TextIO) -> Iterator[tuple[list[str] | None, str]]:
    """Each record of the file: its cells, or None and what is wrong with it."""
    reader = csv.reader(stream)
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as error:
            # The reader goes on at the next line: one bad row does not sink the file.
            if "field larger than field limit" in str(error):
                yield None, ROW_TOO_BIG
            else:
                yield None, f"malformed CSV: {error}"
            continue
        yield cells, ""


def is_blank(cells: list[str] | None) -> bool:
    return cells is not None and not any(cell.strip() for cell in cells)


def oversized(cells: Sequence[str]) -> bool:
    """Whether the row is over MAX_ROW_BYTES, as UTF-8 with its commas."""
    if sum(map(len, cells)) + len(cells) <= MAX_ROW_BYTES // 4:  # 4 bytes a character at most
        return False
    return len(",".join(cells).encode()) > MAX_ROW_BYTES


def cell_value(column: str, raw: str) -> str:
    """A cell's value, stripped; RowRejectedError when it holds a NUL byte."""
    value = raw.strip()
    if "\x00" in value:
        raise RowRejectedError(f"{column}: contains a NUL byte")
    return value


def check_text(column: str, value: str, *, one_line: bool) -> None:
    """RowRejectedError when ``value`` holds a control character (an escape, a bell) that
    the API refuses in such a field: any in one line, like a name; in text, any but the
    newline, the carriage return and the tab."""
    if has_control_characters(value, allowed="" if one_line else TEXT_CONTROLS):
        why = "may not hold control characters" if one_line else NO_CONTROLS
        raise RowRejectedError(f"{column}: {why}")


def count_rows(path: Path) -> int:
    """Data rows in the file (blank ones left out). Reading it through once before storing
    anything also finds a file that is not UTF-8 while nothing is stored yet."""
    try:
        with path.open(encoding="utf-8-sig", newline="") as stream:
            count = sum(1 for cells, _ in records(stream) if not is_blank(cells))
    except UnicodeDecodeError:
        raise UnreadableFileError(
            f"the file is not UTF-8 text ({_first_bad_line(path)}): save it as 'CSV UTF-8'"
        ) from None
    if count == 0:
        raise UnreadableFileError("the file is empty")
    return count - 1


def _first_bad_line(path: Path) -> str:
    """Where a file stops being UTF-8, for the message: the text decoder reads ahead in
    chunks, so its error cannot say."""
    with path.open("rb") as raw:
        for number, line in enumerate(raw, 1):
            try:
                line.decode("utf-8")
            except UnicodeDecodeError as error:
                return f"line {number} has the byte {line[error.start : error.start + 1]!r}"
    return "it ends inside a character"


def read_header(numbered: Iterator[tuple[int, tuple[list[str] | None, str]]]) -> Header:
    """The first row that is not blank, as the header."""
    for _, (cells, problem) in numbered:
        if cells is None:
            raise UnreadableFileError(f"the header row cannot be read: {problem}")
        if is_blank(cells):
            continue
        if oversized(cells):
            raise UnreadableFileError(f"the header row is over {MAX_ROW_BYTES // 1024} KiB")
        return Header.read(cells)
    raise UnreadableFileError("the file is empty")
