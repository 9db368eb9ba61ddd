"""What every part of the configuration shares: its error and its number readers."""

from __future__ import annotations


class ConfigError(Exception):
    """The configuration cannot start a runtime; the message says what to fix."""


def read_positive(value: str, name: str) -> int:
    number = read_int(value, name)
    if number < 1:
        raise ConfigError(f"{name} must be at least 1, got {number}")
    return number


def read_int(value: str, name: str) -> int:
    try:
        return int(value)
    except ValueError:
        raise ConfigError(f"{name} must be a whole number, got {value!r}") from None
