"""Visitor tokens (CH-5): a signed pass that names a site's visitor id and the origin of the
page it was issued to. The widget's panel opens its socket with it, where a browser would
not send a cookie of ours from inside another site's page."""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from adapters import webchat
from bot.config.base import ORIGIN
from bot.core.links import MAC_BYTES, seal, unseal

TTL = 7 * 24 * 3600
"""Seconds a token is good for; a page of the site asks for a new one each time it loads."""
MAX_TOKEN = 400
VERSION = "v1"


@dataclass(frozen=True, slots=True)
class VisitorPass:
    """What a verified token names."""

    visitor: str
    """The site's visitor id: the web chat's sender and the ``vid:`` identity (PS-4)."""
    origin: str
    """The origin of the page the token was issued to."""
    expires_at: int


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
        return seal(payload, self._mac), expires

    def verify(self, token: object, now: float | None = None) -> VisitorPass | None:
        """The pass a token names, or None for anything expired, altered or not ours."""
        payload = unseal(token, MAX_TOKEN, self._mac)
        if payload is None:
            return None
        try:
            version, visitor, origin, expires = payload.decode("ascii").split("\n")
            expires_at = int(expires)
        except ValueError:  # UnicodeDecodeError is one
            return None
        if version != VERSION or (time.time() if now is None else now) >= expires_at:
            return None
        return VisitorPass(visitor, origin, expires_at)


def visitor_hash(secret: str, visitor: str) -> str:
    """The ``visitor_hash`` a site's server gives its page beside the visitor id it names:
    hex HMAC-SHA256 of the id with SWITCHBOARD_VISITOR_SECRET (Intercom's ``user_hash``)."""
    return hmac.new(secret.encode(), visitor.encode(), hashlib.sha256).hexdigest()


def hash_matches(secret: str, visitor: str, given: object) -> bool:
    """Whether ``given`` is ``visitor``'s hash (any case), compared in constant time."""
    if not isinstance(given, str) or len(given) != 64 or not given.isascii():
        return False
    return hmac.compare_digest(visitor_hash(secret, visitor), given.lower())


class VisitorTokens:
    """This process's signer, made on first use from the secret links are signed with."""

    def __init__(self, load_secret: Callable[[], Awaitable[bytes]]) -> None:
        self._load_secret = load_secret
        self._signer: VisitorTokenSigner | None = None

    async def signer(self) -> VisitorTokenSigner:
        if self._signer is None:
            self._signer = VisitorTokenSigner(await self._load_secret())
        return self._signer
