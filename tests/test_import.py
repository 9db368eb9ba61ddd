"""``python bot.py admin import``: CRM contacts into the identity graph (PS-2), rejected rows
in a report, hostile files, the progress line; on the real Redis under the test's prefix."""

from __future__ import annotations

import csv
import io
import os
import re
import time
from collections.abc import Sequence
from pathlib import Path

import pytest
from redis.asyncio import Redis

from bot.cli.contacts_csv import MAX_VALUE_CHARS, UnreadableFileError, field_name, neutralize
from bot.cli.importer import ImportSummary, import_contacts
from bot.cli.progress import Progress
from bot.identities import phone_of_whatsapp_id
from bot.model import Identity, MergePolicy
from stores.profiles import Merge, ProfileStore, Sighting
from stores.redis import Keys
from tests.botprocess import free_port, run_command
from tests.conftest import REDIS_URL
from tests.test_admin_profiles import environment

PHONE = Identity("phone", "+447700900123")
HEADER = ["name", "phone", "whatsapp", "email", "telegram", "external_id", "stage", "owner"]


def write_csv(path: Path, rows: Sequence[Sequence[str]], header: Sequence[str] = HEADER) -> Path:
    with path.open("w", encoding="utf-8", newline="") as file:
        writer = csv.writer(file)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def contact(**cells: str) -> list[str]:
    return [cells.get(column, "") for column in HEADER]


def read_report(path: Path | None) -> dict[int, list[str]]:
    """The report's entries by row number; reasons and cells as written."""
    assert path is not None and path.is_file()
    with path.open(encoding="utf-8-sig", newline="") as file:
        rows = list(csv.reader(file))
    assert rows[0][:2] == ["row", "reason"]
    return {int(row[0]): row[1:] for row in rows[1:]}


def graph(redis: Redis, prefix: str, policy: MergePolicy | None = None) -> ProfileStore:
    return ProfileStore(redis, Keys(prefix), policy)


async def run(
    store: ProfileStore, path: Path, *, batch: int = 500, progress: io.StringIO | None = None
) -> ImportSummary:
    summary = await import_contacts(
        store, path, region="GB", batch_size=batch, progress=progress or io.StringIO()
    )
    assert summary.read == summary.created + summary.matched + summary.rejected
    return summary


async def test_one_phone_in_two_formats_is_one_profile(
    real_redis: Redis, prefix: str, tmp_path: Path
) -> None:
    store = graph(real_redis, prefix)
    path = write_csv(
        tmp_path / "contacts.csv",
        [
            contact(name="Ann", phone="07700 900123"),
            contact(name="Ann Lee", phone="+44 7700 900123"),
        ],
    )
    summary = await run(store, path)
    assert (summary.read, summary.created, summary.matched, summary.rejected) == (2, 1, 1, 0)
    assert summary.report is None and not (tmp_path / "contacts.csv.rejected.csv").exists()
    profile = await store.get(await store.lookup(PHONE))
    assert profile["identities"] == [PHONE.key]
    assert profile["name"] == "Ann"  # the first row's; a later row only fills what is missing
    assert profile["source"] == "import" and profile["stage"] == "lead"


async def test_a_later_whatsapp_message_finds_the_imported_profile(
    real_redis: Redis, prefix: str, tmp_path: Path
) -> None:
    store = graph(real_redis, prefix)
    await run(store, write_csv(tmp_path / "c.csv", [contact(phone="07700 900123")]))
    imported = await store.lookup(PHONE)
    wa = Identity("wa", "447700900123")
    sighting = Sighting((wa, phone_of_whatsapp_id(wa.value)), "whatsapp", "Ann", time.time())
    (resolution,) = await store.resolve_many([sighting])
    assert resolution.profile == imported and not resolution.created
    assert await store.resolve([wa, PHONE], channel="whatsapp") == imported


async def test_a_whatsapp_column_brings_the_phone_behind_it(
    real_redis: Redis, prefix: str, tmp_path: Path
) -> None:
    store = graph(real_redis, prefix)
    await run(store, write_csv(tmp_path / "c.csv", [contact(whatsapp="+44 7700 900123")]))
    profile = await store.get(await store.lookup(PHONE))
    assert profile["identities"] == ["phone:+447700900123", "wa:447700900123"]


async def test_custom_fields_stage_and_owner_are_stored(
    real_redis: Redis, prefix: str, tmp_path: Path
) -> None:
    store = graph(real_redis, prefix)
    notes = "x" * 5000
    header = ["Name", " EMAIL ", "Stage", "Owner", "Lifetime Value (£)", "Straße", "", "Notes"]
    rows = [
        ["Zoë 🌸", "Zoe@Example.com", "Contact", "Bob@Example.com", "1200", "Main St", "", notes],
        ["", "zoe@example.com", "lead", "", "", "", "kept", ""],
    ]
    summary = await run(store, write_csv(tmp_path / "c.csv", rows, header))
    assert (summary.created, summary.matched, summary.warnings) == (1, 1, 1)
    profile = await store.get(await store.lookup(Identity("email", "zoe@example.com")))
    assert profile["name"] == "Zoë 🌸"
    assert profile["stage"] == "contact"  # and a later "lead" row never demotes it
    assert profile["owner"] == "bob@example.com"
    assert profile["fields"] == {
        "lifetime_value": "1200",
        "strae": "Main St",
        "column_7": "kept",
        "notes": "x" * MAX_VALUE_CHARS,
    }
    assert read_report(summary.report)[2][0] == "warning: Notes: cut to 1,000 characters"


async def test_a_consent_column_is_recorded_with_its_source_and_time(
    real_redis: Redis, prefix: str, tmp_path: Path
) -> None:
    """The lawful basis an import brings is kept with where it came from and when."""
    store = graph(real_redis, prefix)
    known = await store.resolve([PHONE], channel="whatsapp", name="Ann")
    rows = [["+447700900123", "consent"], ["+447700900124", "contract"], ["+447700900125", ""]]
    before = time.time()
    await run(store, write_csv(tmp_path / "c.csv", rows, ["phone", "consent"]))
    matched = await store.get(known)
    assert matched["fields"] == {"consent": "consent"}
    assert matched["consent"]["basis"] == "consent" and matched["consent"]["source"] == "import"
    assert before <= matched["consent"]["at"] <= time.time()
    created = await store.get(await store.lookup(Identity("phone", "+447700900124")))
    assert created["consent"]["basis"] == "contract" and created["consent"]["source"] == "import"
    assert "consent_source" not in created and "consent_at" not in created
    without = await store.get(await store.lookup(Identity("phone", "+447700900125")))
    assert "consent" not in without


async def test_a_row_matching_a_known_profile_fills_what_it_lacks(
    real_redis: Redis, prefix: str, tmp_path: Path
) -> None:
    store = graph(real_redis, prefix)
    known = await store.resolve([PHONE], channel="whatsapp", name="Ann from WhatsApp")
    rows = [["+447700900123", "Ann Lee", "contact", "Gold"]]
    path = write_csv(tmp_path / "c.csv", rows, ["phone", "name", "stage", "tier"])
    summary = await run(store, path)
    assert (summary.created, summary.matched) == (0, 1)
    profile = await store.get(known)
    assert profile["name"] == "Ann from WhatsApp"  # set already: kept
    assert profile["stage"] == "contact"
    assert profile["fields"] == {"tier": "Gold"}
    assert profile["source"] == "whatsapp"


async def test_a_row_that_ties_two_profiles_merges_them(
    real_redis: Redis, prefix: str, tmp_path: Path
) -> None:
    store = graph(real_redis, prefix)
    email = Identity("email", "ann@example.com")
    older = await store.resolve([PHONE], channel="whatsapp", at=1000.0)
    newer = await store.resolve([email], channel="web", at=2000.0)
    heard: list[Merge] = []

    async def on_merges(merges: list[Merge]) -> None:
        heard.extend(merges)

    path = write_csv(tmp_path / "c.csv", [contact(phone="07700900123", email="ann@example.com")])
    summary = await import_contacts(
        store, path, region="GB", progress=io.StringIO(), on_merges=on_merges
    )
    assert (summary.matched, summary.merges) == (1, 1)
    assert [(m.survivor, m.merged) for m in heard] == [(older, newer)]
    assert await store.lookup(email) == older


async def test_every_reject_reason_is_reported_with_its_row_number(
    real_redis: Redis, prefix: str, tmp_path: Path
) -> None:
    policy = MergePolicy(blocked=frozenset({"phone:+442079460000"}))
    store = graph(real_redis, prefix, policy)
    erased = Identity("email", "gone@example.com")
    async with real_redis.pipeline(transaction=False) as pipe:
        store.suppression.queue_record(pipe, [erased], time.time() - 60)
        await pipe.execute()
    rows = [
        contact(name="Nobody"),  # 2
        contact(phone="12"),  # 3
        contact(email="not-an-email"),  # 4
        contact(whatsapp="07700900123"),  # 5
        contact(telegram="@ann"),  # 6
        contact(external_id="has space"),  # 7
        contact(phone="020 7946 0000"),  # 8: the office line
        contact(email="N/A"),  # 9: a placeholder
        contact(phone="07700900124", email="gone@example.com"),  # 10
        contact(phone="07700900125", stage="customer"),  # 11
        contact(phone="07700900126", owner="bob"),  # 12
        [*contact(phone="07700900127"), "extra"],  # 13
        contact(phone="07700900128", name="x" * (70 * 1024)),  # 14
        contact(phone="07700900129", name="nul\x00byte"),  # 15
        contact(phone="07700900130", external_id="crm-1"),  # 16: stored
        contact(phone="07700900130", external_id="crm-2"),  # 17: its own, one ext a profile
        [*contact(phone="07700900131"), "", "  "],  # 18: blank extra cells are fine
    ]
    path = write_csv(tmp_path / "c.csv", rows)
    with path.open("a", encoding="utf-8") as file:
        file.write("\n,,,,,,,\n" + ",".join(contact(phone="07700900132")) + "\n")  # 19, 20, 21
    summary = await run(store, path)
    assert summary.rejected == 14 and summary.warnings == 1 and summary.blank == 2
    assert (summary.read, summary.created, summary.matched) == (18, 4, 0)
    report = read_report(summary.report)
    assert summary.report == tmp_path / "c.csv.rejected.csv"
    reasons = {number: entry[0] for number, entry in report.items()}
    assert reasons[2].startswith("no usable identity")
    assert reasons[3] == "phone: '12' is not a possible phone number"
    assert reasons[4] == "email: 'not-an-email' is not an email address"
    assert reasons[5].startswith("whatsapp: ") and "country code" in reasons[5]
    assert reasons[6] == "telegram: '@ann' is not a Telegram id (digits)"
    assert reasons[7].startswith("external_id: ")
    assert reasons[8] == "phone: phone:+442079460000 is blocked by the merge policy"
    assert reasons[9] == "email: 'N/A' is blocked by the merge policy"
    assert reasons[10] == "erased (suppressed): its email was erased"
    assert reasons[11] == "stage: 'customer' is not lead or contact"
    assert reasons[12] == "owner: 'bob' is not an email address"
    assert reasons[13] == "the row has 9 columns, the header 8"
    assert reasons[14] == "the row is over 64 KiB"
    assert reasons[15] == "name: contains a NUL byte"
    assert reasons[17].startswith("warning: merge refused by the merge policy (more than 1 ext")
    assert set(reasons) == {*range(2, 16), 17}
    assert report[3][1:] == contact(phone="12")  # the row's cells follow the reason
    assert len(report[14][1]) == MAX_VALUE_CHARS  # an oversized row is cut in the report
    assert await store.lookup(Identity("phone", "+447700900132"))  # after the blank rows
    assert not await store.lookup(Identity("phone", "+447700900124"))


async def test_hostile_cells_are_stored_as_text_and_neutralized_in_the_report(
    real_redis: Redis, prefix: str, tmp_path: Path
) -> None:
    store = graph(real_redis, prefix)
    html = "<script>alert(1)</script><b>Ann</b>"
    rows = [
        [html, "07700900123", '=HYPERLINK("http://evil")', "ok"],
        ["=cmd|' /C calc'!A0", "12", "+SUM(1)", "@ann"],
        ["-2+3", "", "\tTAB", "普通话"],
    ]
    path = write_csv(tmp_path / "c.csv", rows, ["name", "phone", "company", "=evil()"])
    summary = await run(store, path)
    assert (summary.created, summary.rejected) == (1, 2)
    profile = await store.get(await store.lookup(PHONE))
    assert profile["name"] == html
    assert profile["fields"] == {"company": '=HYPERLINK("http://evil")', "evil": "ok"}
    assert summary.report is not None
    with summary.report.open(encoding="utf-8-sig", newline="") as file:
        header, *lines = list(csv.reader(file))
    assert header == ["row", "reason", "name", "phone", "company", "'=evil()"]
    assert lines[0][2:] == ["'=cmd|' /C calc'!A0", "12", "'+SUM(1)", "'@ann"]
    assert lines[1][2:] == ["'-2+3", "", "'\tTAB", "普通话"]
    for line in lines:
        assert not any(cell.lstrip(" ").startswith(("=", "+", "-", "@")) for cell in line)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "the file is empty"),
        (b"\xef\xbb\xbf\r\n\r\n", "the file is empty"),
        (b"\x89PNG\r\n\x1a\n" + os.urandom(2000), "this is a PNG image, not CSV"),
        (b"PK\x03\x04" + os.urandom(500), "Excel workbook (.xlsx)"),
        (bytes(range(256)) * 8, "the file is binary"),
        ("name,phone\nRenée,07700900123\n".encode("latin-1"), "not UTF-8 text (line 2 has"),
        ("name,phone\n".encode("utf-16"), "UTF-16 text"),
        (b"name,company\nAnn,Acme\n", "no identity column"),
        ((",".join(f"c{n}" for n in range(201)) + ",phone\n").encode(), "at most 200"),
        (b"phone,Phone\n1,2\n", "the column 'phone' appears twice"),
    ],
    # Named by their first bytes: the random ones would name them differently in each
    # process (pytest-xdist's workers must collect the same names).
    ids=lambda value: repr(value[:4]) if isinstance(value, bytes) else None,
)
async def test_a_file_that_cannot_be_imported_stores_nothing(
    real_redis: Redis, prefix: str, tmp_path: Path, content: bytes, message: str
) -> None:
    path = tmp_path / "bad.csv"
    path.write_bytes(content)
    with pytest.raises(UnreadableFileError, match=re.escape(message)):
        await import_contacts(graph(real_redis, prefix), path, region="GB")
    assert [key async for key in real_redis.scan_iter(match=f"{prefix}*")] == []
    assert not (tmp_path / "bad.csv.rejected.csv").exists()


async def test_a_bom_and_windows_line_ends_are_read(
    real_redis: Redis, prefix: str, tmp_path: Path
) -> None:
    path = tmp_path / "excel.csv"
    path.write_bytes("\ufeffName;Phone\r\n".replace(";", ",").encode() + b"Ann,07700900123\r\n")
    summary = await run(graph(real_redis, prefix), path)
    assert summary.created == 1


async def test_batches_give_the_same_graph_and_a_second_run_matches_everything(
    real_redis: Redis, prefix: str, tmp_path: Path
) -> None:
    store = graph(real_redis, prefix)
    rows = []
    for n in range(40):  # every fourth row repeats an earlier person, in another format
        k = n - 3 if n % 4 == 3 else n
        phone = f"07700 9{k:05d}" if n % 2 else f"+44 7700 9{k:05d}"
        rows.append(contact(phone=phone, email=f"p{k}@example.com" if n % 3 else ""))
    path = write_csv(tmp_path / "c.csv", rows)
    first = await run(store, path, batch=3)
    assert (first.read, first.created, first.matched, first.rejected) == (40, 30, 10, 0)
    again = await run(store, path, batch=7)
    assert (again.created, again.matched, again.merges) == (0, 40, 0)


async def test_progress_is_shown_on_the_stream(
    real_redis: Redis, prefix: str, tmp_path: Path
) -> None:
    rows = [contact(phone=f"07700 9{n:05d}") for n in range(50)]
    progress = io.StringIO()
    await run(
        graph(real_redis, prefix), write_csv(tmp_path / "c.csv", rows), batch=5, progress=progress
    )
    lines = progress.getvalue().splitlines()
    assert len(lines) == 10  # off a terminal: one line per tenth
    assert lines[0].startswith("importing c.csv  5/50   10%")
    assert lines[-1].startswith("importing c.csv  50/50  100%") and lines[-1].endswith("/s")


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_progress_redraws_a_terminal_line_at_most_ten_times_a_second() -> None:
    clock, terminal = Clock(), Terminal()
    bar = Progress(1000, "sending", terminal, clock=clock)
    for _ in range(100):  # 100 updates in 0.5 s: 5 redraws
        bar.advance(5)
        clock.now += 0.005
    assert terminal.getvalue().count("\r") == 5
    clock.now = 102.0
    bar.advance(500)
    bar.close()
    bar.close()
    text = terminal.getvalue()
    assert text.endswith("\n") and text.count("\n") == 1
    last = text.rsplit("\r", 1)[1]
    assert last.startswith("sending  [####################] 1,000/1,000  100%  500/s")


def test_progress_off_a_terminal_logs_each_tenth_once() -> None:
    clock, log = Clock(), io.StringIO()
    with Progress(200, "import", log, clock=clock) as bar:
        for _ in range(200):
            clock.now += 0.01
            bar.advance()
    lines = log.getvalue().splitlines()
    assert [line.split()[2] for line in lines] == [f"{n}%" for n in range(10, 101, 10)]
    assert lines[-1] == "import  200/200  100%  100/s"


def test_progress_with_no_total_counts_and_rates() -> None:
    clock, terminal = Clock(), Terminal()
    bar = Progress(None, "", terminal, clock=clock)
    clock.now += 2
    bar.advance(3000)
    bar.close()
    assert terminal.getvalue() == "\r3,000  1,500/s\r3,000  1,500/s\n"


def test_column_names_and_formulas() -> None:
    assert field_name(" Lifetime Value (£) ") == "lifetime_value"
    assert field_name("Café Société") == "cafe_societe"
    assert field_name("x" * 100) == "x" * 64
    assert field_name("☃") == ""
    assert neutralize("=1+1") == "'=1+1"
    assert neutralize("  @SUM(A1)") == "'  @SUM(A1)"
    assert neutralize("a\x00b") == "a\ufffdb"
    assert neutralize("Ann") == "Ann"


async def test_the_admin_command_imports_and_reports(
    real_redis: Redis, prefix: str, tmp_path: Path
) -> None:
    path = write_csv(
        tmp_path / "contacts.csv",
        [
            contact(name="Ann", phone="07700 900123", stage="contact"),
            contact(name="Ann", phone="+44 7700 900123"),
            contact(name="=cmd()", phone="not a phone"),
        ],
    )
    env = environment(prefix)
    code, out, err = await run_command(env, "admin", "import", str(path), "--batch", "2")
    assert code == 0, err
    assert "Traceback" not in err
    assert "importing contacts.csv  3/3  100%" in err
    counts = dict(re.findall(r"^(\w+ \w+|merges) +(\d+)", out, re.MULTILINE))
    assert counts == {
        "rows read": "3",
        "profiles created": "1",
        "rows matched": "1",
        "merges": "0",
        "rows rejected": "1",
    }
    assert re.search(r"in \d+\.\d s \([\d,]+ rows/s\)", out)
    report = tmp_path / "contacts.csv.rejected.csv"
    assert out.splitlines()[-1] == f"report of rejected rows and warnings: {report}"
    reason, name, *_ = read_report(report)[4]
    assert reason.startswith("phone: 'not a phone' is not a phone number")
    assert name == "'=cmd()"
    store = graph(real_redis, prefix)
    assert (await store.get(await store.lookup(PHONE)))["stage"] == "contact"

    # A second file ties the imported phone to a known email: the two profiles merge.
    email = Identity("email", "ann@example.com")
    newer = await store.resolve([email], channel="web")
    later = write_csv(tmp_path / "later.csv", [contact(phone="07700900123", email=email.value)])
    code, out, err = await run_command(env, "admin", "import", str(later))
    assert code == 0 and "Traceback" not in err
    assert re.search(r"^merges +1$", out, re.MULTILINE)
    assert await store.lookup(email) == await store.lookup(PHONE) != newer


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("missing.csv",), "missing.csv: no such file"),
        (("{dir}",), "not a file"),
        (("{empty}",), "the file is empty; nothing was imported"),
        (("{empty}", "--batch", "0"), "--batch is 1 to 10,000 rows"),
        (("{empty}", "--channel", "Bad Channel"), "--channel is up to 32"),
        (("{empty}", "--report", "{empty}"), "--report must not be the file being imported"),
    ],
)
async def test_a_usage_error_is_one_line_and_exit_code_2(
    prefix: str, tmp_path: Path, args: tuple[str, ...], message: str
) -> None:
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    filled = [arg.format(dir=tmp_path, empty=empty) for arg in args]
    env = {
        **os.environ,
        "REDIS_URL": REDIS_URL,
        "SWITCHBOARD_KEY_PREFIX": prefix,
        "SWITCHBOARD_CONFIG": os.devnull,
    }
    code, out, err = await run_command(env, "admin", "import", *filled)
    assert code == 2
    assert out == "" and err.count("\n") == 1 and message in err
    assert err.startswith("switchboard: import: ")


async def test_without_redis_url_the_import_refuses(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "c.csv", [contact(phone="07700900123")])
    env = {k: v for k, v in os.environ.items() if k != "REDIS_URL"}
    env["SWITCHBOARD_CONFIG"] = os.devnull
    code, _, err = await run_command(env, "admin", "import", str(path))
    assert code == 2 and "import needs REDIS_URL" in err and "Traceback" not in err


async def test_a_store_that_fails_stops_the_import_with_exit_code_1(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "c.csv", [contact(phone="07700900123")])
    env = {
        **os.environ,
        "REDIS_URL": f"redis://127.0.0.1:{free_port()}/0",
        "SWITCHBOARD_CONFIG": os.devnull,
    }
    code, out, err = await run_command(env, "admin", "import", str(path))
    assert code == 1 and out == "" and "Traceback" not in err
    assert "import stopped, the store failed" in err and "0 rows were stored" in err
