"""Settings from the environment and the YAML file, and the refusals of a bad configuration."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.config.settings import ConfigError, load_settings

WHATSAPP = {
    "WHATSAPP_PHONE_NUMBER_ID": "106540352242922",
    "WHATSAPP_ACCESS_TOKEN": "token-from-the-test",
    "WHATSAPP_APP_SECRET": "secret-from-the-test",
    "WHATSAPP_VERIFY_TOKEN": "verify-from-the-test",
}


def write(tmp_path: Path, text: str) -> str:
    path = tmp_path / "switchboard.yaml"
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_nothing_configured_means_embedded_store_web_chat_only(tmp_path: Path) -> None:
    settings = load_settings({"SWITCHBOARD_CONFIG": write(tmp_path, "")})
    assert settings.redis_url is None
    assert settings.whatsapp is None
    assert (settings.host, settings.port) == ("127.0.0.1", 8080)
    assert settings.web_number == "web:site"


def test_whatsapp_from_the_environment_keeps_secrets_out_of_repr(tmp_path: Path) -> None:
    env = {
        **WHATSAPP,
        "WHATSAPP_API_BASE": "http://127.0.0.1:9/v21.0/",
        "SWITCHBOARD_CONFIG": write(tmp_path, ""),
    }
    settings = load_settings(env)
    assert settings.whatsapp is not None
    assert settings.whatsapp.api_base == "http://127.0.0.1:9/v21.0"
    assert settings.whatsapp.number == "wa:106540352242922"
    assert "secret-from-the-test" not in repr(settings)
    assert "token-from-the-test" not in repr(settings)


@pytest.mark.parametrize("missing", sorted(WHATSAPP))
def test_half_configured_whatsapp_names_what_is_missing(tmp_path: Path, missing: str) -> None:
    env = {key: value for key, value in WHATSAPP.items() if key != missing}
    with pytest.raises(ConfigError, match=missing):
        load_settings({**env, "SWITCHBOARD_CONFIG": write(tmp_path, "")})


def test_services_take_their_secrets_from_the_environment(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
services:
  - name: support
    url: http://127.0.0.1:9/hook
    secret: ${SUPPORT_SECRET}
  - name: analytics
    url: http://127.0.0.1:9/a
    secret: ${ANALYTICS_SECRET}
    mask: false
""",
    )
    settings = load_settings(
        {"SWITCHBOARD_CONFIG": path, "SUPPORT_SECRET": "s1", "ANALYTICS_SECRET": "s2"}
    )
    assert [(s.name, s.secret, s.mask) for s in settings.services] == [
        ("support", "s1", True),
        ("analytics", "s2", False),
    ]
    with pytest.raises(ConfigError, match=r"\$\{SUPPORT_SECRET\}"):
        load_settings({"SWITCHBOARD_CONFIG": path})


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("services: [{name: support}]", r"services\[0\]\.url: is required"),
        ("services: [{name: Support!, url: u, secret: s}]", "lowercase"),
        ("services: [{name: a, url: u, secret: s}, {name: a, url: u, secret: s}]", "twice"),
        ("automation: {rules: [{keywords: [x]}]}", "needs a reply"),
        ("automation: {rules: [{reply: x}]}", "keywords or a pattern"),
        ("automation: {rules: [{reply: x, pattern: '('}]}", "not a regex"),
        ("delivery: {timeout: soon}", r"delivery\.timeout: must be a number \(got 'soon'\)"),
        ("- a list", "mapping"),
        ("key: [unclosed", "not valid YAML"),
    ],
)
def test_a_bad_file_is_refused_with_a_clear_message(
    tmp_path: Path, text: str, message: str
) -> None:
    with pytest.raises(ConfigError, match=message):
        load_settings({"SWITCHBOARD_CONFIG": write(tmp_path, text)})


@pytest.mark.parametrize(("name", "value"), [("SWITCHBOARD_SHARDS", "0"), ("PORT", "x")])
def test_bad_numbers_in_the_environment_are_refused(tmp_path: Path, name: str, value: str) -> None:
    with pytest.raises(ConfigError, match=name):
        load_settings({"SWITCHBOARD_CONFIG": write(tmp_path, ""), name: value})


def test_the_shipped_config_file_loads() -> None:
    root = Path(__file__).resolve().parent.parent
    settings = load_settings({"SWITCHBOARD_CONFIG": str(root / "switchboard.yaml")})
    assert settings.automation.welcome
    assert settings.automation.rules
