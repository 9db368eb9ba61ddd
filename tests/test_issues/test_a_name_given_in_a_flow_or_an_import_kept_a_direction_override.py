"""A name typed as the answer to a guided conversation's name question, or given in a
contacts file, kept a right-to-left override (U+202E) and its length (1,000 characters
from a file): the daily note's title showed "WhatsApp Chat with <name> (06/12/2026)" with
its date turned around. Names from the channels were already cleaned of it. A name from a
flow or a file is kept as a channel's is: on one line, without overrides, 200 at most."""

from __future__ import annotations

from pathlib import Path

from redis.asyncio import Redis

from bot.model import MAX_NAME, Identity
from tests.conftest import BotFactory
from tests.test_flows_runtime import FLOWS, NAME_Q
from tests.test_import import graph, run, write_csv
from tests.test_webchat import next_message, open_chat

OVERRIDE = "\u202e"


async def test_a_name_answered_in_a_flow_is_kept_without_an_override(
    make_bot: BotFactory,
) -> None:
    bot = await make_bot(whatsapp=False, automation=FLOWS)
    socket, _ = await open_chat(bot)
    await socket.send_json({"type": "message", "id": "m1", "text": "can you call me back?"})
    assert (await next_message(socket))["text"] == NAME_Q
    await socket.send_json({"type": "message", "id": "m2", "text": f"{OVERRIDE}Ann\nLee"})
    await next_message(socket)
    await socket.close()
    await bot.sinks["support"].wait_for_count(2, "message.inbound")
    profile_id = bot.sinks["support"].events("message.inbound")[0]["data"]["profile"]
    profile = await bot.runtime.profiles.get(profile_id)
    assert profile["name"] == "Ann Lee"
    assert profile["fields"]["name"] == "Ann Lee"  # the answer kept as its field, the same


async def test_a_name_from_a_contacts_file_is_kept_as_a_channels_is(
    real_redis: Redis, prefix: str, tmp_path: Path
) -> None:
    store = graph(real_redis, prefix)
    rows = [[f"{OVERRIDE}evil", "07700900131"], ["x" * 1000, "07700900132"]]
    await run(store, write_csv(tmp_path / "c.csv", rows, ["name", "phone"]))
    for phone, name in (("+447700900131", "evil"), ("+447700900132", "x" * MAX_NAME)):
        profile = await store.get(await store.lookup(Identity("phone", phone)))
        assert profile["name"] == name
