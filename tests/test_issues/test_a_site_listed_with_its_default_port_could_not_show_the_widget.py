"""A site listed in ``tracking.origins`` with its scheme's port written out
(``https://shop.example.com:443``) passed ``config check``, but a browser names that page's
origin without the port: the widget's script answered 403 on that site, its visitor
token too, and so did its web events. The port a browser leaves out is left out of the
origins the config file gives now."""

from __future__ import annotations

import json
from pathlib import Path

from bot.config.settings import load_settings
from tests.conftest import BotFactory

SHOP = "https://shop.example.com"


async def test_a_site_listed_with_its_default_port_shows_the_widget(
    make_bot: BotFactory, tmp_path: Path
) -> None:
    path = tmp_path / "switchboard.yaml"
    path.write_text(
        "tracking:\n  origins:\n    - https://shop.example.com:443\n    - http://Web.example.com:80\n",
        encoding="utf-8",
    )
    settings = load_settings({"SWITCHBOARD_CONFIG": str(path)})
    bot = await make_bot(whatsapp=False, tracking_origins=settings.tracking_origins)

    script = await bot.client.get("/widget.js", headers={"Referer": SHOP + "/shoes"})
    assert script.status == 200, await script.text()
    token = await bot.client.post("/webchat/token", data=b"{}", headers={"Origin": SHOP})
    assert token.status == 200, await token.text()
    assert token.headers["Access-Control-Allow-Origin"] == SHOP
    event = {"type": "page_view", "url": SHOP + "/shoes"}
    events = await bot.client.post(
        "/t/events",
        data=json.dumps(event).encode(),
        headers={"Content-Type": "application/json", "Origin": "http://web.example.com"},
    )
    assert events.status == 202, await events.text()
