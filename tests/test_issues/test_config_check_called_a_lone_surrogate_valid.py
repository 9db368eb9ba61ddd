"""``config check`` called a file valid whose text held a lone surrogate (``"\\ud800"`` in a
double-quoted string: half of a UTF-16 pair), which no UTF-8 text can hold: the welcome
then failed at every send. Such a value, or key, is refused, naming its key path."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.config_run import config_check


@pytest.mark.parametrize(
    ("text", "refusal"),
    [
        (
            'automation:\n  welcome: "\\ud800"\n',
            ":2: automation.welcome: holds '\\ud800', a lone surrogate no UTF-8 text can hold",
        ),
        (
            'automation:\n  rules:\n    - keywords: [hi]\n      reply: "a\\udfffb"\n',
            ":4: automation.rules[0].reply: holds '\\udfff', a lone surrogate no UTF-8 text "
            "can hold",
        ),
        (
            'profiles:\n  number_owners:\n    "\\udc00x": ann@example.com\n',
            ":3: profiles.number_owners: a key holds '\\udc00', a lone surrogate no UTF-8 text "
            "can hold",
        ),
    ],
    ids=["welcome", "reply-of-a-rule", "key"],
)
async def test_a_lone_surrogate_is_refused_naming_its_key(
    tmp_path: Path, text: str, refusal: str
) -> None:
    path = tmp_path / "switchboard.yaml"
    path.write_text(text)
    code, out, err = await config_check(path)
    assert (code, out) == (2, ""), err
    assert err == f"{path}{refusal}\n"


async def test_one_from_the_environment_is_refused_too(tmp_path: Path) -> None:
    path = tmp_path / "switchboard.yaml"
    path.write_text('automation:\n  welcome: "Hi ${WELCOME_NAME}"\n')
    # A variable's bytes that are not UTF-8 reach Python as surrogates.
    code, _, err = await config_check(path, WELCOME_NAME="\udcff")
    assert code == 2
    assert err == (
        f"{path}:2: automation.welcome: holds '\\udcff', a lone surrogate no UTF-8 text can hold\n"
    )


async def test_text_beyond_the_basic_plane_is_taken(tmp_path: Path) -> None:
    path = tmp_path / "switchboard.yaml"
    path.write_text('automation:\n  welcome: "Hi \\U0001F600 \\ud83d\\ude00"\n')
    assert await config_check(path) == (0, f"{path}: valid\n", "")
