"""What a provider's refusal of a send says, for every channel's REST client, and how long it
asks to be left alone (``Retry-After``)."""

from __future__ import annotations

import math
import time
from email.utils import parsedate_to_datetime
from typing import ClassVar


class ProviderError(Exception):
    """A provider refused a send; ``retryable`` says whether trying again may work."""

    provider: ClassVar[str] = "provider"
    retryable_codes: ClassVar[frozenset[int]] = frozenset()
    """The provider's own codes for "slow down" or "try again", beside 429 and 5xx."""

    def __init__(self, status: int, code: int, message: str, retry_after: float | None) -> None:
        super().__init__(f"{self.provider} API {status} (code {code}): {message}")
        self.status = status
        self.code = code
        self.retry_after = retry_after

    @property
    def retryable(self) -> bool:
        return self.status == 429 or self.status >= 500 or self.code in self.retryable_codes

    @property
    def opted_out(self) -> bool:
        """The recipient told the provider to stop this sender's messages."""
        return False


def retry_after_seconds(header: str | None) -> float | None:
    """Seconds from a ``Retry-After`` header, given as seconds or as an HTTP date."""
    if not header:
        return None
    try:
        seconds = float(header)
    except ValueError:
        try:
            seconds = parsedate_to_datetime(header).timestamp() - time.time()
        except (TypeError, ValueError):
            return None
    return max(0.0, seconds) if math.isfinite(seconds) else None
