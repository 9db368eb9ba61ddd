"""Each answer pushed to a web chat visitor's page named the service that sent it
(``"service": "support"``): whoever looked at the page's traffic learned which of the
services sharing the number answered, where customers are never to notice that several
do. The history never named it; the live frames now don't either."""

from __future__ import annotations

from tests.conftest import BotFactory
from tests.test_webchat import next_message, open_chat


async def test_a_pushed_answer_names_no_service(make_bot: BotFactory) -> None:
    bot = await make_bot(whatsapp=False)
    socket, _ = await open_chat(bot)
    await socket.send_json({"type": "message", "id": "m1", "text": "hi"})
    welcome = await next_message(socket)
    assert welcome["text"] == "Welcome! How can we help?"
    assert "service" not in welcome
    await socket.close()
    socket, history = await open_chat(bot)
    assert history[1].keys() <= welcome.keys() | {"kind", "status"}
    await socket.close()
