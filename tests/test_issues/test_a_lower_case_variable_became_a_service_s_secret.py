"""``${support_secret}`` in the config file, a name not all upper case, was neither read
from the environment nor refused: ``config check`` said "valid", and the service signed
its webhooks with the text ``${support_secret}`` itself, a key anyone can guess. So were
``${ SUPPORT_SECRET }``, ``${Support-Secret}`` and ``${X:-fallback}``. Any name of
letters, digits and ``_`` is read (``:-`` gives a default), anything else in ``${…}`` is
refused on its line, and ``$${`` writes a ``${`` as it is."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.config.settings import ConfigError, load_settings
from tests.test_config import write

SERVICE = "services:\n  - name: s1\n    url: https://x.example.com/h\n    secret: {}\n"


def secret_of(tmp_path: Path, written: str, env: dict[str, str]) -> str:
    path = write(tmp_path, SERVICE.format(written))
    (service,) = load_settings({"SWITCHBOARD_CONFIG": path, **env}).services
    return service.secret


def test_a_name_of_any_case_is_read(tmp_path: Path) -> None:
    env = {"support_secret": "from-the-environment-1"}
    assert secret_of(tmp_path, "${support_secret}", env) == "from-the-environment-1"


def test_a_default_is_taken_when_the_variable_is_unset_or_empty(tmp_path: Path) -> None:
    written = '"${SVC_SECRET:-fallback-secret-123}"'
    assert secret_of(tmp_path, written, {}) == "fallback-secret-123"
    assert secret_of(tmp_path, written, {"SVC_SECRET": ""}) == "fallback-secret-123"
    assert secret_of(tmp_path, written, {"SVC_SECRET": "given-secret-4567"}) == "given-secret-4567"


def test_dollar_dollar_writes_the_text_as_it_is(tmp_path: Path) -> None:
    assert secret_of(tmp_path, '"$${NOT_READ}-0123456789"', {}) == "${NOT_READ}-0123456789"


@pytest.mark.parametrize(
    "written",
    ["${ SUPPORT_SECRET }", "${Support-Secret}", '"${}"', '"pre${OPEN"', '"${A}${B c}"'],
)
def test_what_is_no_variable_is_refused_on_its_line(tmp_path: Path, written: str) -> None:
    env = {"A": "0123456789abcdef", "SUPPORT_SECRET": "x" * 20}
    with pytest.raises(
        ConfigError, match=r"switchboard.yaml:4: services\[0\]\.secret: .* is no variable"
    ):
        secret_of(tmp_path, written, env)


def test_an_unset_lower_case_name_is_said(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"\$\{crm_host\} is not set"):
        load_settings(
            {
                "SWITCHBOARD_CONFIG": write(
                    tmp_path,
                    SERVICE.format("abcdefghijklmnop").replace("x.example.com", "${crm_host}"),
                )
            }
        )
