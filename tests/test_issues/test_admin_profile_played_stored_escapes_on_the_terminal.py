"""``admin profile`` printed a stored name as it was, so ``A\\aB\\e[31m`` rang the bell and
turned the operator's terminal red. Names and fields come from channels and from data
stored before the import refused them; the admin commands now print each control
character of stored text as its escape (``\\x07``, ``\\x1b``), and keep their lines."""

from __future__ import annotations

import unicodedata

from redis.asyncio import Redis

from bot.model import Identity
from stores.profiles import ProfileStore
from stores.redis import Keys
from stores.streams import InboundLog
from tests.botprocess import run_command
from tests.test_admin_profiles import environment

NAME = "A\aB\x1b[31m\x9b2J"
SHOWN = "A\\x07B\\x1b[31m\\x9b2J"


def has_controls(text: str) -> bool:
    return any(unicodedata.category(c) == "Cc" and c != "\n" for c in text)


async def test_profile_and_forget_print_stored_control_characters_escaped(
    real_redis: Redis, prefix: str
) -> None:
    graph = ProfileStore(real_redis, Keys(prefix))
    phone = Identity("phone", "+447700900021")
    ann = await graph.resolve([phone], channel="telegram", name=NAME, at=1000)
    await graph.update(ann, {"f:notes": "line one\r\nline two\x1b[0m"})
    env = environment(prefix)

    code, out, err = await run_command(env, "admin", "profile", phone.value)
    assert code == 0, err
    assert not has_controls(out), repr(out)
    lines = out.splitlines()
    assert lines[0] == f"{SHOWN} - {ann}"
    assert lines[1].startswith("stage: lead, source: telegram")
    assert "fields: notes=line one line two\\x1b[0m\n" in out  # on one line, escaped

    code, out, _ = await run_command(env, "admin", "forget", ann, typed="no\n")
    assert code == 1 and "Nothing erased." in out
    assert f"({SHOWN}, " in out and not has_controls(out), repr(out)


async def test_dead_letters_print_a_stored_error_escaped(real_redis: Redis, prefix: str) -> None:
    log = InboundLog(real_redis, Keys(prefix), 8)  # the default SWITCHBOARD_SHARDS
    await log.ensure_groups()
    await log.append(3, '{"text": "hi\x07"}')
    [entry] = await log.read(3, "test", 1, 0)
    await log.fail(3, entry, "ValueError: \x1b]0;owned\x07", 1000.0, 1)

    code, out, err = await run_command(environment(prefix), "admin", "dead-letters", "--inbound")
    assert code == 0, err
    assert not has_controls(out), repr(out)
    [line] = out.splitlines()
    assert "ValueError: \\x1b]0;owned\\x07" in line and '{"text": "hi\\x07"}' in line
