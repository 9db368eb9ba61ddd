"""``WHATSAPP_ACCESS_TOKEN`` read from a file with its newline (a common secret-mounting
mistake) was taken at the start; then every send failed ("header 'Authorization' cannot
be sent as it is"), reported as an unknown outcome. A token or secret holding a space or
a line break stops the start, naming the variable and never its value."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.config.settings import ConfigError, load_settings
from tests.test_config import WHATSAPP, write

SECRET = "token-from-the-test"


@pytest.mark.parametrize(
    "name",
    [
        "WHATSAPP_ACCESS_TOKEN",
        "WHATSAPP_APP_SECRET",
        "WHATSAPP_VERIFY_TOKEN",
        "TWILIO_AUTH_TOKEN",
        "SWITCHBOARD_ADMIN_TOKEN",
    ],
)
@pytest.mark.parametrize("extra", ["\n", " ", "\r\n", "\t"])
def test_a_secret_with_a_space_or_a_line_break_stops_the_start(
    tmp_path: Path, name: str, extra: str
) -> None:
    env = {
        **WHATSAPP,
        "TWILIO_ACCOUNT_SID": "AC" + "1" * 32,
        "TWILIO_AUTH_TOKEN": "a" * 32,
        "SMS_FROM": "+447700900999",
        name: SECRET + extra,
        "SWITCHBOARD_CONFIG": write(tmp_path, ""),
    }
    with pytest.raises(ConfigError) as refused:
        load_settings(env)
    said = str(refused.value)
    assert name in said and "line break" in said
    assert SECRET not in said
