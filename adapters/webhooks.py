"""Outbound signed webhooks to services: ``Switchboard-Signature: t=<unix>,v1=<hex>``."""

from __future__ import annotations

import hashlib
import hmac
import time

from adapters.keepalive import KeepAlivePoster, PostFailed
from adapters.provider import retry_after_seconds

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


class Refusal(str):
    """Why a service did not take a delivery (a reason like any other), with how long its
    answer asked to be left alone: its ``Retry-After``, in seconds, when it sent one; and
    the answer's status, when there was one."""

    retry_after: float | None
    status: int | None

    def __new__(
        cls, reason: str, retry_after: float | None = None, status: int | None = None
    ) -> Refusal:
        refusal = super().__new__(cls, reason)
        refusal.retry_after = retry_after
        refusal.status = status
        return refusal


def too_large(problem: str) -> bool:
    """Whether the service refused a POST for its size (413, over its body limit)."""
    return isinstance(problem, Refusal) and problem.status == 413


def answer_problem(status: int, retry_after: str | None = None) -> str:
    """'' for an accepted delivery (2xx), else what the service answered."""
    if 200 <= status < 300:
        return ""
    if 300 <= status < 400:
        return f"HTTP {status}: redirects are not followed, attach the URL it points to"
    return Refusal(f"HTTP {status}", retry_after_seconds(retry_after), status)


class WebhookClient:
    """Posts events to services over kept-alive connections; reports whether each was
    accepted."""

    def __init__(self, posts: KeepAlivePoster, timeout: float) -> None:
        self.posts = posts
        self.timeout = timeout

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
            # A redirect is an answer (never followed): the service attaches its URL.
            answer = await self.posts.post(url, headers, body, self.timeout)
            return answer_problem(answer.status, answer.retry_after)
        except TimeoutError:
            return "timed out"
        except (PostFailed, ValueError) as error:
            return str(error)
