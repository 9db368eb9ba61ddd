"""The runtime of a command that works on the running bot's store (``admin …``): built
with the shard count the bot's processes use, whatever this shell's environment says."""

from __future__ import annotations

from dataclasses import replace

from bot.config.settings import Settings
from bot.runtime import Runtime
from stores.redis import is_store_fault


async def runtime_of_the_running(settings: Settings, *, sending: bool = True) -> Runtime:
    """A runtime on the bot's store whose sends and work go to the shards the running
    processes read: queued with another SWITCHBOARD_SHARDS, a conversation's work would
    land on a shard nobody works (or beside its order)."""
    runtime = Runtime(settings, sending=sending)
    try:
        used = await runtime.shards_in_use()
    except Exception as error:  # the command's own work says so, in its own words
        if not is_store_fault(error):
            raise
        return runtime
    if used is None or used == settings.shards:
        return runtime
    await runtime.close()
    return Runtime(replace(settings, shards=used), sending=sending)
