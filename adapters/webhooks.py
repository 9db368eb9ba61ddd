"""Outbound signed webhooks to services: ``Switchboard-Signature: t=<unix>,v1=<hex>``."""

from __future__ import annotations

import hashlib
import hmac
import time

import aiohttp

SIGNATURE_HEADER = "Switchboard-Signature"
EVENT_ID_HEADER = "Switchboard-Event-Id"
BATCH_HEADER = "Switchboard-Batch"
"""On a batched POST: how many events its ``{"events": [...]}`` body holds."""


def batch_body(events: list[bytes]) -> bytes:
    """The body of a batched POST: each event exactly as it would be sent alone, in order."""
    return b'{"events":[' + b",".join(events) + b"]}"


def sign(secret: str, body: bytes, timestamp: int | None = None) -> str:
    """HMAC-SHA256 over ``"<t>." + body``: binding the time lets receivers refuse replays."""
    t = int(time.time()) if timestamp is None else timestamp
    digest = hmac.new(secret.encode(), f"{t}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={t},v1={digest}"


class WebhookClient:
    """Posts events to services on one shared session; reports whether each was accepted."""

    def __init__(self, session: aiohttp.ClientSession, timeout: float) -> None:
        self.session = session
        self.timeout = aiohttp.ClientTimeout(total=timeout)

    async def deliver(
        self, url: str, secret: str, event_id: str, body: bytes, batch: int | None = None
    ) -> str:
        """Post one event, or with ``batch`` a batch body of that many (``event_id`` then
        names the first); the empty string when accepted (2xx), else why it was not."""
        headers = {
            "Content-Type": "application/json",
            SIGNATURE_HEADER: sign(secret, body),
            EVENT_ID_HEADER: event_id,
            "User-Agent": "Switchboard",
        }
        if batch is not None:
            headers[BATCH_HEADER] = str(batch)
        try:
            async with self.session.post(
                url, data=body, headers=headers, timeout=self.timeout
            ) as response:
                await response.read()
                if 200 <= response.status < 300:
                    return ""
                return f"HTTP {response.status}"
        except TimeoutError:
            return "timed out"
        except aiohttp.ClientError as error:
            return f"{type(error).__name__}: {error}"
