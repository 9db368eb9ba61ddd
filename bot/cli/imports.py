"""``python bot.py admin import`` as an operator runs it: the arguments checked, the
import run, and a summary or a one-line error, never a traceback."""

from __future__ import annotations

import os
from collections.abc import Collection
from pathlib import Path
from typing import TextIO

from bot.cli.contacts_csv import UnreadableFileError, default_report_path
from bot.cli.importer import (
    CHANNEL,
    DEFAULT_BATCH,
    MAX_BATCH,
    ImportStoppedError,
    MergesHook,
    import_contacts,
)
from stores.profiles import ProfileStore


def usage_problem(path: Path, report: Path, channel: str, batch: int) -> str:
    """What is wrong with the command's arguments, '' when nothing."""
    if not path.exists():
        return f"{path}: no such file"
    if not path.is_file():
        return f"{path}: not a file"
    if not os.access(path, os.R_OK):
        return f"{path}: cannot be read (permission denied)"
    if not 1 <= batch <= MAX_BATCH:
        return f"--batch is 1 to {MAX_BATCH:,} rows"
    if not CHANNEL.fullmatch(channel):
        return "--channel is up to 32 lowercase letters, digits, - and _"
    if report.resolve() == path.resolve():
        return "--report must not be the file being imported"
    if not report.parent.is_dir():
        return f"--report: no directory {report.parent}"
    return ""


async def run_import(
    profiles: ProfileStore,
    file: str,
    *,
    region: str,
    report: str | None = None,
    channel: str = "import",
    batch: int = DEFAULT_BATCH,
    team: Collection[str] = (),
    on_merges: MergesHook | None = None,
    default_owner: str = "",
    out: TextIO,
    err: TextIO,
) -> int:
    """``admin import`` as an operator sees it: 0 once the file is read (rejected rows
    included), 1 when the store fails part way, 2 for a usage error; never a traceback."""
    path = Path(file)
    report_path = Path(report) if report else default_report_path(path)
    problem = usage_problem(path, report_path, channel, batch)
    if problem:
        print(f"switchboard: import: {problem}", file=err)
        return 2
    try:
        summary = await import_contacts(
            profiles,
            path,
            region=region,
            channel=channel,
            batch_size=batch,
            report_path=report_path,
            progress=err,
            team=team,
            on_merges=on_merges,
            default_owner=default_owner,
        )
    except UnreadableFileError as error:
        print(f"switchboard: import: {path}: {error}; nothing was imported", file=err)
        return 2
    except OSError as error:
        where = f"{error.filename}: " if error.filename else ""
        said = f"switchboard: import: {where}{error.strerror or error}"
        if error.filename is not None and Path(error.filename) == report_path:
            # The report is written as the rows are read: the rows before are stored.
            print(
                f"{said}; the report of rejected rows could not be written, the rows read "
                "before it may be stored, and importing again (with another --report) is safe",
                file=err,
            )
            return 1
        print(said, file=err)
        return 2
    except ImportStoppedError as error:
        done = error.summary
        print(
            f"switchboard: import stopped, the store failed ({str(error).rstrip('.')}): "
            f"{done.created + done.matched:,} rows were stored before, and importing again "
            "is safe" + (f"; rejected so far: {done.report}" if done.report else ""),
            file=err,
        )
        return 1
    for line in summary.lines():
        print(line, file=out)
    return 0
