"""Visitor tokens (CH-5): a signed pass that names a site's visitor id and the origin of the
page it was issued to. The widget's panel opens its socket with it, where a browser would
not send a cookie of ours from inside another site's page."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import re
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from adapters import webchat

TTL = 7 * 24 * 3600
"""Seconds a token is good for; a page of the site asks for a new one each time it loads."""
MAX_TOKEN = 400
MAC_BYTES = 16
VERSION = "v1"
ORIGIN = re.compile(r"https?://[A-Za-z0-9.-]{1,253}(:[0-9]{1,5})?")
"""An origin a token (or a Content-Security-Policy) can carry: nothing but scheme, host, port."""
_TOKEN = re.compile(r"[A-Za-z0-9_-]+")


@dataclass(frozen=True, slots=True)
class VisitorPass:
    """What a verified token names."""

    visitor: str
    """The site's visitor id: the web chat's sender and the ``vid:`` identity (PS-4)."""
    origin: str
    """The origin of the page the token was issued to."""
    expires_at: int


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


class VisitorTokenSigner:
    """Makes and checks ``base64url(payload || HMAC-SHA256(payload)[:16])`` tokens."""

    def __init__(self, secret: bytes, ttl: int = TTL) -> None:
        # A key of its own: a link token can never pass for a visitor token, nor the reverse.
        self._key = hmac.new(secret, b"switchboard/visitors/v1", hashlib.sha256).digest()
        self.ttl = ttl

    def _mac(self, payload: bytes) -> bytes:
        return hmac.new(self._key, payload, hashlib.sha256).digest()[:MAC_BYTES]

    def sign(self, visitor: str, origin: str, now: float | None = None) -> tuple[str, int]:
        """The token and when it expires; ValueError for an id or origin it cannot carry."""
        if webchat.visitor_id(visitor) is None:
            raise ValueError("a visitor id is 16 to 64 of A-Z a-z 0-9 _ -")
        if not ORIGIN.fullmatch(origin):
            raise ValueError("an origin is scheme://host[:port]")
        expires = int((time.time() if now is None else now) + self.ttl)
        payload = "\n".join((VERSION, visitor, origin.lower(), str(expires))).encode("ascii")
        return _b64(payload + self._mac(payload)), expires

    def verify(self, token: object, now: float | None = None) -> VisitorPass | None:
        """The pass a token names, or None for anything expired, altered or not ours."""
        if not isinstance(token, str) or not 0 < len(token) <= MAX_TOKEN:
            return None
        if not _TOKEN.fullmatch(token):
            return None
        try:
            raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        except (ValueError, binascii.Error):
            return None
        if _b64(raw) != token or len(raw) <= MAC_BYTES:
            return None
        payload, mac = raw[:-MAC_BYTES], raw[-MAC_BYTES:]
        if not hmac.compare_digest(mac, self._mac(payload)):
            return None
        try:
            version, visitor, origin, expires = payload.decode("ascii").split("\n")
            expires_at = int(expires)
        except ValueError:  # UnicodeDecodeError is one
            return None
        if version != VERSION or (time.time() if now is None else now) >= expires_at:
            return None
        return VisitorPass(visitor, origin, expires_at)


class VisitorTokens:
    """This process's signer, made on first use from the secret links are signed with."""

    def __init__(self, load_secret: Callable[[], Awaitable[bytes]]) -> None:
        self._load_secret = load_secret
        self._signer: VisitorTokenSigner | None = None

    async def signer(self) -> VisitorTokenSigner:
        if self._signer is None:
            self._signer = VisitorTokenSigner(await self._load_secret())
        return self._signer
