"""``config check`` took a ``tracking.origins`` entry no visitor token can carry (a host
with an underscore, an IPv6 address): the preflight of ``/webchat/token`` from that page
said yes, and the token itself answered 503 with a traceback in the log. The config file
now refuses such an origin, and a PUBLIC_URL of that kind gets a 403 there, not a 503."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.config_run import config_check
from tests.conftest import BotFactory


@pytest.mark.parametrize("origin", ["https://shop_eu.example.com", "'http://[::1]:9000'"])
async def test_an_origin_no_token_can_carry_is_refused_by_config_check(
    tmp_path: Path, origin: str
) -> None:
    path = tmp_path / "switchboard.yaml"
    path.write_text(f"tracking:\n  origins:\n    - {origin}\n")
    code, out, err = await config_check(path)
    assert (code, out) == (2, ""), err
    assert ":3: tracking.origins[0]: must be an origin like https://shop.example.com" in err


async def test_taken_origins_stay_taken(tmp_path: Path) -> None:
    path = tmp_path / "switchboard.yaml"
    path.write_text(
        "tracking:\n  origins:\n    - https://shop.example.com\n    - http://127.0.0.1:9000\n"
    )
    assert await config_check(path) == (0, f"{path}: valid\n", "")


async def test_a_public_url_no_token_can_carry_gets_a_403(make_bot: BotFactory) -> None:
    public = "http://chat_eu.example.test"
    bot = await make_bot(whatsapp=False, public_url=public)
    answer = await bot.client.post("/webchat/token", json={}, headers={"Origin": public})
    assert answer.status == 403, await answer.text()
    assert "cannot carry a visitor token" in (await answer.json())["error"]
