"""A template sent to a customer read ``[text]`` in their daily note.

As the sending service saw it: a conversation started with a template showed in the
profile's daily note (PS-6) as ``support: [text]``: no word of what went. The note
names the template; a service that masks the sender's replies still reads
``[reply sent]``.
"""

from __future__ import annotations

from tests.conftest import BotFactory
from tests.test_api import shared_number
from tests.test_api_starts import TEMPLATE, start


async def test_the_note_names_the_template(make_bot: BotFactory) -> None:
    shared = await shared_number(make_bot)
    body = {"number": shared.number, "identity": "+44 7911 555177", "template": TEMPLATE}
    answer = await start(shared, body)
    assert answer.status == 201, answer.raw
    profile = answer.json["conversation"]["profile"]
    notes = await shared.call("sales", "GET", f"/v1/profiles/{profile}/notes")
    (note,) = notes.json["notes"]
    assert note["body"].endswith("sales: [template order_update]"), note["body"]
    notes = await shared.call("support", "GET", f"/v1/profiles/{profile}/notes")
    (note,) = notes.json["notes"]
    assert "[reply sent]" in note["body"] and "order_update" not in note["body"]
