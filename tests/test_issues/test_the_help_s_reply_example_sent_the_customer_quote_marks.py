"""``/help reply`` showed ``Example: /reply c_3f2a9b "Your order left today."``; a team
member who typed it so sent the customer the quote marks too, since a reply's text goes
as typed (``/note`` alike). The examples of the commands whose last words go as typed
show no quotes."""

from __future__ import annotations

import re

from tests.conftest import BotFactory
from tests.test_team_commands import AGENT, WELCOME, team


async def test_the_reply_example_typed_as_shown_sends_the_words_alone(
    make_bot: BotFactory,
) -> None:
    t = await team(make_bot)
    for name in ("reply", "note"):
        shown = await t.run(AGENT, f"/help {name}")
        (example,) = re.findall(rf"Example: /{name} c_3f2a9b (.+)", shown)
        assert not example.startswith(('"', "'", "\u201c")), shown
    example = re.findall(r"Example: /reply c_3f2a9b (.+)", await t.run(AGENT, "/help reply"))[0]
    answer = await t.run(AGENT, f"/reply {t.cid} {example}")
    assert answer.startswith("Sent to Ann"), answer
    await t.shared.graph.wait_for_sent(2)
    assert t.sent() == [WELCOME, "Your order left today."]
