"""A campaign recipient skipped before their conversation began (a phone nobody has yet
that is not a valid number, a known customer the number never wrote to, outside the
window) was listed by ``/recipients?status=skipped`` under the id of a conversation that
does not exist (``GET /v1/conversations/{id}`` answered 404), with ``identity`` and
``profile`` null: nothing told the service which entry of its audience was refused. The
skip names the profile, or the identity it would have gone to when nobody has it."""

from __future__ import annotations

from tests.conftest import BotFactory
from tests.test_notifications import Person, campaign, finished, seed, setup
from tests.test_notifications_follow import recipients

FICTIONAL = "447700900901"
"""A phone in Ofcom's range for drama: possible, never a valid number."""
KNOWN = "447911800655"
"""A customer with a profile who never wrote to this number."""


async def test_a_skip_before_the_conversation_names_its_identity(make_bot: BotFactory) -> None:
    shared = await setup(make_bot)
    (profile,) = await seed(shared.bot.runtime, shared.number, [Person(KNOWN, wrote_at=None)])
    body = {
        "number": shared.number,
        "text": "Sale",
        "audience": {"profiles": [f"+{FICTIONAL}", f"+{KNOWN}"]},
    }
    nid = await campaign(shared, body)
    skipped = (await finished(shared, nid))["skipped"]
    assert (skipped["invalid_number"], skipped["outside_window_no_template"]) == (1, 1)
    items = {
        item["reason"]: item
        for item in (await recipients(shared, nid, "status=skipped"))["recipients"]
    }
    fictional, known = items["invalid_number"], items["outside_window_no_template"]
    assert (fictional["identity"], fictional["profile"]) == (f"wa:{FICTIONAL}", None)
    assert (known["identity"], known["profile"]) == (None, profile)
    for item in (fictional, known):  # no conversation began: none is named
        assert item["conversation"] is None, item
