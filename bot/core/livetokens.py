"""Live view tokens: short-lived, signed, naming one service, one profile and the agent the
service vouches for. The live chat page acts with one of these, never with the service's
API token."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import re
import secrets
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from bot.config.environment import MIN_LINK_SECRET as MIN_SECRET

VERSION = "2"
"""2: the token names the API token it was made with (1 did not, and is refused)."""
MAX_TOKEN = 1024
MAC_BYTES = 32
KEY_CHARS = 16
"""Hex digits of the API token's digest a live token names."""
MAX_AGENT = 200
_TOKEN = re.compile(r"[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+")
_FIELD = re.compile(r"[^\x00-\x1f\x7f]+")


@dataclass(frozen=True, slots=True)
class LiveGrant:
    """What a valid live token lets its holder do: work ``profile``'s conversations on the
    numbers of ``service``, as ``agent`` of that service, until ``expires_at``."""

    service: str
    profile: str
    agent: str
    expires_at: int
    key: str
    """The API token's digest (its start) it was made with: rotating that token, or
    setting one, ends the live tokens made with the one before."""


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes | None:
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (ValueError, binascii.Error):
        return None
    # Only the one canonical spelling: unused low bits must not make a second token.
    return raw if _b64(raw) == text else None


class LiveTokenSigner:
    """Makes and checks ``base64url(payload).base64url(HMAC-SHA256(payload))`` tokens.

    The payload is readable (signed, not encrypted): a service, a profile id, an agent's
    name and an expiry, all of which the page shows anyway.
    """

    def __init__(self, secret: bytes) -> None:
        if len(secret) < MIN_SECRET:
            raise ValueError(f"a signing secret needs at least {MIN_SECRET} bytes")
        # A key of its own: a link token can never pass for a live token, or back.
        self._key = hmac.new(secret, b"switchboard/live/v1", hashlib.sha256).digest()

    def _mac(self, payload: bytes) -> bytes:
        return hmac.new(self._key, payload, hashlib.sha256).digest()

    def issue(
        self, service: str, profile: str, agent: str, ttl: float, key: str = ""
    ) -> tuple[str, int]:
        """A token for ``agent`` of ``service`` on ``profile``, and when it expires;
        ``key``: the digest of the API token of ``service`` that asked for it."""
        for value in (service, profile, agent):
            if not _FIELD.fullmatch(value) or len(value) > MAX_AGENT:
                raise ValueError("service, profile and agent are 1 to 200 printable characters")
        expires_at = int(time.time() + ttl)
        nonce = secrets.token_hex(8)
        fields = (VERSION, service, profile, agent, str(expires_at), nonce, key[:KEY_CHARS])
        payload = "\n".join(fields).encode("utf-8")
        return f"{_b64(payload)}.{_b64(self._mac(payload))}", expires_at

    def verify(self, token: object, now: float | None = None) -> LiveGrant | None:
        """The grant of a token this signer made that has not expired; None otherwise."""
        if not isinstance(token, str) or not 0 < len(token) <= MAX_TOKEN:
            return None
        if not _TOKEN.fullmatch(token):
            return None
        encoded, _, signature = token.partition(".")
        payload, mac = _unb64(encoded), _unb64(signature)
        if payload is None or mac is None or len(mac) != MAC_BYTES:
            return None
        if not hmac.compare_digest(mac, self._mac(payload)):
            return None
        try:
            version, service, profile, agent, expires, _, key = payload.decode("utf-8").split("\n")
        except (UnicodeDecodeError, ValueError):
            return None
        if version != VERSION or not (expires.isascii() and expires.isdigit()):
            return None
        if int(expires) <= (time.time() if now is None else now):
            return None
        return LiveGrant(service, profile, agent, int(expires), key)


class LiveTokens:
    """This process's signer, loaded on first use from the secret tracked links use."""

    def __init__(self, load_secret: Callable[[], Awaitable[bytes]], ttl: float) -> None:
        self._load_secret = load_secret
        self.ttl = ttl
        """The longest a token may last, in seconds (``live.token_ttl``)."""
        self._signer: LiveTokenSigner | None = None

    async def signer(self) -> LiveTokenSigner:
        if self._signer is None:
            self._signer = LiveTokenSigner(await self._load_secret())
        return self._signer
