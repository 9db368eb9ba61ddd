"""A file the team sent into the web chat (``POST /v1/media``, then a reply with it) was
kept a day, as every upload is, while the visitor's own files are kept 30 days: the next
day the customer's copy of the invoice was a dead link. The web chat has no other copy of
it. A file delivered to the web chat is now kept ``FILE_TTL`` from its delivery, its meta
and bytes together, and its ``expires_at`` says so; a file kept longer is never shortened."""

from __future__ import annotations

import time

from adapters.webchat import FILE_TTL
from bot.config.settings import Settings
from bot.model import Identity, Outbound
from bot.runtime import Runtime

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
"""What the store checks of a PNG: its signature."""


async def _ttls(runtime: Runtime, keys: list[str]) -> list[int]:
    return [await runtime.redis.ttl(key) for key in keys]


def _reply(media_id: str, number: str) -> Outbound:
    return Outbound(
        send_id="snd_1",
        conversation_id="conv",
        channel="web",
        number=number,
        recipient=Identity("vid", "v" * 22),
        text="",
        service="desk",
        media={"kind": "image", "upload": media_id, "caption": "Your invoice"},
    )


async def test_a_file_delivered_to_the_web_chat_is_kept_as_long_as_the_chats_files() -> None:
    runtime = Runtime(Settings(key_prefix="test:teamfile:"))  # the embedded store
    try:
        upload = await runtime.media.save(PNG, "image/png", "", "desk")
        keys = [runtime.keys.media(upload.id, part) for part in ("meta", "data")]
        assert all(0 < ttl <= 24 * 3600 for ttl in await _ttls(runtime, keys))
        transport = runtime.channels.transports["web"]
        await transport.deliver(_reply(upload.id, runtime.settings.web_number))
        # Both, so the file is never found without its bytes.
        assert all(ttl > FILE_TTL - 60 for ttl in await _ttls(runtime, keys))
        record = await runtime.media.record(upload.id)
        assert record is not None
        assert record.expires_at > time.time() + FILE_TTL - 60
        # Kept longer already (60 days, say): never shortened.
        for key in keys:
            await runtime.redis.expire(key, int(FILE_TTL) * 2)
        await transport.deliver(_reply(upload.id, runtime.settings.web_number))
        assert all(ttl > FILE_TTL * 1.5 for ttl in await _ttls(runtime, keys))
    finally:
        await runtime.close()
