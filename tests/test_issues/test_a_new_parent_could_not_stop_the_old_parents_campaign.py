"""After the parent detached, the service that took over could not stop the old parent's
scheduled campaign (403: only its author), and the author, detached, could not either
(404): nobody could, though the API says the parent stops a campaign. The number's parent
stops it, as it may cancel it."""

from __future__ import annotations

import time

from tests.conftest import BotFactory
from tests.test_notifications import campaign, setup


async def test_the_new_parent_stops_the_old_parents_campaign(make_bot: BotFactory) -> None:
    shared = await setup(make_bot)
    body = {
        "number": shared.number,
        "text": "Spring offer",
        "audience": {"conversations": [shared.conversation]},
        "at": time.time() + 3600,
    }
    nid = await campaign(shared, body)
    await shared.bot.runtime.actions.detach(shared.number, "support")  # sales is parent now
    stop = {"reason": "the offer ended"}
    answer = await shared.call("sales", "POST", f"/v1/notifications/{nid}/stop", stop)
    assert answer.status == 200, answer.raw
    assert answer.json["notification"]["status"] == "stopped"
    assert answer.json["notification"]["stop"]["by"] == "api:sales"
