"""``admin notify --at`` with a time already past queued the notification to go at once:
it is refused with a clear error, exit 2, and nothing is stored."""

from __future__ import annotations

from redis.asyncio import Redis

from tests.botprocess import run_command
from tests.test_admin_profiles import environment


async def test_a_past_time_is_refused(real_redis: Redis, prefix: str) -> None:
    code, out, err = await run_command(
        environment(prefix), "admin", "notify", "--number", "web:site", "--topic", "offers",
        "--at", "2020-01-01T09:00", "--text", "Too late",
    )  # fmt: skip
    assert code == 2 and out == ""
    assert "--at 2020-01-01T09:00 is in the past" in err and "nothing is scheduled" in err
    assert "Traceback" not in err
    stored = [key async for key in real_redis.scan_iter(match=f"{prefix}*")]
    assert not [key for key in stored if "ntf" in key or "notif" in key], stored
