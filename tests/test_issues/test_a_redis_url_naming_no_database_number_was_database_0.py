"""``REDIS_URL=redis://127.0.0.1:6379/abc`` started the bot on database 0 without a word
(redis-py reads a path that is no number as none), where ``/99`` is refused: a typo
served another deployment's data. A database that is no number is refused now."""

from __future__ import annotations

import pytest

from bot.config.settings import ConfigError, load_settings


@pytest.mark.parametrize("path", ["/abc", "/0x1", "/1/2", "/ 1"])
def test_a_database_that_is_no_number_is_refused(path: str) -> None:
    with pytest.raises(ConfigError, match="REDIS_URL"):
        load_settings({"REDIS_URL": f"redis://127.0.0.1:6379{path}"})


@pytest.mark.parametrize(
    "url", ["redis://127.0.0.1:6379/3", "redis://127.0.0.1:6379", "redis://h/"]
)
def test_a_number_or_none_is_taken(url: str) -> None:
    assert load_settings({"REDIS_URL": url}).redis_url == url
