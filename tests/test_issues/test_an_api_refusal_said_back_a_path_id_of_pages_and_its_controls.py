"""A 404 of the API said the id of its path back whole and raw: ``GET
/v1/conversations/<5,000 characters>`` answered "no conversation" and all of them, and
``/v1/conversations/%00`` or ``%1b[2J`` a NUL or a terminal's escape sequence, for the
caller's logs and consoles to act on. A refusal's message is cut to 1,000 characters
now, and each control character in it is written as its escape."""

from __future__ import annotations

from tests.conftest import BotFactory


async def test_a_refusal_cuts_a_long_id_and_escapes_controls(make_bot: BotFactory) -> None:
    bot = await make_bot()
    token = await bot.runtime.directory.define_token("support")
    headers = {"Authorization": f"Bearer {token}"}

    long = await bot.client.get("/v1/conversations/" + "c" * 5000, headers=headers)
    assert long.status == 404
    said = (await long.json())["error"]
    assert said.startswith("no conversation ccc") and len(said) <= 1000

    escapes = await bot.client.get("/v1/conversations/" + "%1b" * 2000, headers=headers)
    assert escapes.status == 404
    said = (await escapes.json())["error"]
    assert said.startswith("no conversation \\x1b\\x1b") and len(said) <= 1000, len(said)

    for raw, written in (("%00", "\\x00"), ("%1b[2J", "\\x1b[2J"), ("a%0Ab", "a\\x0ab")):
        answer = await bot.client.get(f"/v1/conversations/{raw}", headers=headers)
        assert answer.status == 404, raw
        said = (await answer.json())["error"]
        assert said == f"no conversation {written}", (raw, said)
        assert not any(ord(c) < 32 for c in said)
