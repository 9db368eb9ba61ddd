"""``admin import`` stored a name holding a bell and an escape sequence (``A\\aB\\e[31m``),
and ``admin profile`` then played them on the operator's terminal. The API refuses
control characters in its text fields; the import now rejects such a row as the API
would, with its reason in the report: none at all in a name (one line), and all but the
newline, the carriage return and the tab in a custom field's text."""

from __future__ import annotations

import io
from pathlib import Path

from redis.asyncio import Redis

from bot.cli.importer import import_contacts
from bot.model import Identity
from stores.profiles import ProfileStore
from stores.redis import Keys
from tests.test_import import read_report, write_csv


async def test_a_row_with_control_characters_is_rejected_as_the_api_would(
    real_redis: Redis, prefix: str, tmp_path: Path
) -> None:
    store = ProfileStore(real_redis, Keys(prefix))
    rows = [
        ["A\aB\x1b[31m", "+447700900021", ""],  # 2
        ["Ann\x9bLee", "+447700900022", ""],  # 3: a C1 control, the one-byte CSI
        ["Ann\nLee", "+447700900023", ""],  # 4: a name is one line
        ["Ann", "+447700900024", "ok\x1b]0;owned\x07"],  # 5
        ["Ann Lee", "+447700900025", "line one\r\nline two\tend"],  # 6: stored
    ]
    path = write_csv(tmp_path / "c.csv", rows, ["name", "phone", "Notes"])
    summary = await import_contacts(store, path, region="GB", progress=io.StringIO())
    assert (summary.read, summary.created, summary.rejected) == (5, 1, 4)
    report = read_report(summary.report)
    reasons = {number: entry[0] for number, entry in report.items()}
    assert reasons[2] == "name: may not hold control characters"
    assert reasons[3] == "name: may not hold control characters"
    assert reasons[4] == "name: may not hold control characters"
    assert (
        reasons[5]
        == "Notes: may not hold control characters (newlines, carriage returns and tabs may)"
    )
    assert set(reasons) == {2, 3, 4, 5}
    assert report[2][1] == "A\aB\x1b[31m"  # as the file has it, to be corrected there
    for number in ("+447700900021", "+447700900022", "+447700900023", "+447700900024"):
        assert await store.lookup(Identity("phone", number)) == ""
    stored = await store.get(await store.lookup(Identity("phone", "+447700900025")))
    assert stored["name"] == "Ann Lee"
    assert stored["fields"] == {"notes": "line one\r\nline two\tend"}
