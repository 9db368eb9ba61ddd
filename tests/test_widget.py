"""The web chat's branding and its widget for other sites: the script, the panel, the visitor
token and the socket it opens, typing and delivery, and what each of them refuses."""

from __future__ import annotations

from pathlib import Path

import pytest

from adapters.webchat import Branding
from bot.config.settings import ConfigError, load_settings
from tests.conftest import BotFactory


def write(tmp_path: Path, text: str) -> str:
    path = tmp_path / "switchboard.yaml"
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_the_branding_comes_from_the_yaml_file(tmp_path: Path) -> None:
    text = (
        "webchat:\n  title: Acme help\n  colour: '#ff5500'\n  greeting: Ask us anything\n"
        "  logo: https://shop.example.com/logo.png\n"
    )
    settings = load_settings({"SWITCHBOARD_CONFIG": write(tmp_path, text)})
    assert settings.branding == Branding(
        "Acme help", "#ff5500", "Ask us anything", "https://shop.example.com/logo.png"
    )
    assert load_settings({"SWITCHBOARD_CONFIG": write(tmp_path, "")}).branding == Branding()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("webchat: {colour: red}", "colour"),
        ("webchat: {colour: '#12345'}", "colour"),
        ("webchat: {logo: 'javascript:alert(1)'}", "logo"),
        ("webchat: {title: ''}", "title"),
        ("webchat: {greeting: " + "x" * 301 + "}", "greeting"),
        ("webchat: {font: serif}", "font"),
    ],
)
def test_bad_branding_is_refused_naming_the_key(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        load_settings({"SWITCHBOARD_CONFIG": write(tmp_path, text)})


async def test_the_page_shows_the_branding_escaped(make_bot: BotFactory) -> None:
    branding = Branding("<b>Acme</b> & co", "#ff5500", 'Hi "there"', "https://x.example/l.png")
    bot = await make_bot(whatsapp=False, branding=branding)
    page = await (await bot.client.get("/")).text()
    assert "<title>&lt;b&gt;Acme&lt;/b&gt; &amp; co</title>" in page
    assert "--accent: #ff5500;" in page
    assert "Hi &quot;there&quot;" in page
    assert '<img class="logo" src="https://x.example/l.png"' in page
    assert "{{" not in page
