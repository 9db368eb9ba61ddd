"""The API kept and sent a reply's text and an agent's name holding a NUL, an escape
sequence or a bell: nothing a person types, and what a terminal or a log viewer then
acts on. Every string field of the API now refuses control characters with 400, but the
newline, the carriage return and the tab."""

from __future__ import annotations

from tests.conftest import AUTOMATION, PHONE_NUMBER_ID, BotFactory
from tests.emulators import meta_webhooks as meta


async def test_control_characters_get_400_and_newlines_and_tabs_go_through(
    make_bot: BotFactory,
) -> None:
    bot = await make_bot()
    assert bot.graph is not None
    await bot.post_whatsapp(meta.text_message(PHONE_NUMBER_ID, "447916000100", "hi"))
    await bot.graph.wait_for_sent(1)
    token = await bot.runtime.directory.define_token("support")
    headers = {"Authorization": f"Bearer {token}"}
    path = f"/v1/conversations/{bot.conversation('447916000100')}"
    for route, body in (
        ("/messages", {"text": "hello\x00there"}),
        ("/messages", {"text": "\x1b[31mred\x1b[0m"}),
        ("/messages", {"text": "ok", "agent": "ann\x07"}),
        ("/claim", {"agent": "ann\x9b"}),
    ):
        response = await bot.client.post(path + route, json=body, headers=headers)
        assert response.status == 400, (route, body, await response.text())
        assert "may not hold control characters" in (await response.json())["error"]
    fine = await bot.client.post(
        path + "/messages", json={"text": "line one\r\nline two\tend"}, headers=headers
    )
    assert fine.status in (200, 201, 202), await fine.text()
    sent = await bot.graph.wait_for_sent(2)
    assert [m.text for m in sent] == [AUTOMATION.welcome, "line one\r\nline two\tend"]
