"""What a provider's refusal of a send says, for every channel's REST client."""

from __future__ import annotations

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
