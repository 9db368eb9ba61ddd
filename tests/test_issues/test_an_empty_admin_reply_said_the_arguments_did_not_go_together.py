"""``admin reply CONVERSATION ''`` said "those arguments do not go together".

As an operator saw it: a reply whose text was empty (a variable that was unset, say)
was refused with a reason that named nothing; it says the text is empty.
"""

from __future__ import annotations

from redis.asyncio import Redis

from tests.botprocess import run_command
from tests.test_admin_profiles import environment


async def test_an_empty_text_is_named(real_redis: Redis, prefix: str) -> None:
    code, out, err = await run_command(environment(prefix), "admin", "reply", "c_12345", "")
    assert code == 2, (out, err)
    assert "TEXT is empty" in err and "Traceback" not in err
