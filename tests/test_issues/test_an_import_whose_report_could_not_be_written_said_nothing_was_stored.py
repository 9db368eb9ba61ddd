"""``admin import contacts.csv --report /dev/full`` (a full disk where the report of rejected
rows goes) ended with "No space left on device" and exit status 2, the status of a usage
error with nothing imported, while the good rows were stored. It says now that the report
could not be written and that the rows read before may be stored, with status 1."""

from __future__ import annotations

import os
import stat
from pathlib import Path

from redis.asyncio import Redis

from bot.model import Identity
from stores.profiles import ProfileStore
from stores.redis import Keys
from tests.botprocess import run_command
from tests.test_admin_profiles import environment
from tests.test_import import contact, write_csv


async def test_a_report_that_cannot_be_written_is_said_and_the_rows_are_kept(
    real_redis: Redis, prefix: str, tmp_path: Path
) -> None:
    path = write_csv(
        tmp_path / "contacts.csv",
        [contact(phone="07700900401"), contact(phone="12"), contact(phone="07700900402")],
    )
    env = environment(prefix)
    code, _, err = await run_command(env, "admin", "import", str(path), "--report", "/dev/full")
    assert code == 1, err
    assert "the report of rejected rows could not be written" in err
    assert "Traceback" not in err
    assert stat.S_ISCHR(os.stat("/dev/full").st_mode)  # an earlier report goes, never a device
    store = ProfileStore(real_redis, Keys(prefix))
    assert await store.lookup(Identity("phone", "+447700900401"))
