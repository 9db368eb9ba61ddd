"""``SWITCHBOARD_ADMIN_TOKEN=admin`` was taken: whoever guessed it over the API (no wait
between tries) could attach a service of their own, which then got every customer's
messages, and read every reply unmasked; and a token under 8 characters is not redacted
from the logs. The admin token is now 16 characters or more, as the other secrets that
guard the bot are, and a shorter one stops the start with one line naming the variable."""

from __future__ import annotations

import pytest

from bot.config.base import ConfigError
from bot.config.environment import read_environment


@pytest.mark.parametrize("token", ["admin", "x", "short-token-15c"])
def test_a_short_admin_token_stops_the_start(token: str) -> None:
    with pytest.raises(ConfigError) as refused:
        read_environment({"SWITCHBOARD_ADMIN_TOKEN": token})
    lines = str(refused.value).splitlines()
    assert lines == ["SWITCHBOARD_ADMIN_TOKEN: must be at least 16 characters long"]
    assert token not in str(refused.value)


def test_an_admin_token_of_16_characters_is_taken() -> None:
    token = "a-token-of-16-ch"
    assert read_environment({"SWITCHBOARD_ADMIN_TOKEN": token}).SWITCHBOARD_ADMIN_TOKEN == token
