"""A campaign that listed an erased person's phone skipped them as ``suppressed``, and
kept the phone in its skip record: ``GET /v1/notifications/{id}/recipients?status=skipped``
showed ``x:+447911800797``, and Redis held it for as long as the campaign, where an
erasure keeps only a digest of an identity, never the identity itself. The skip is
recorded under the digest."""

from __future__ import annotations

import time

from redis.asyncio import Redis

from tests.conftest import BotFactory
from tests.test_issues.test_erasure_left_the_person_in_their_campaigns import dump
from tests.test_notifications import Person, campaign, finished, seed, setup
from tests.test_notifications_follow import recipients

ANN = "447911800797"


async def test_a_skipped_erased_phone_is_kept_as_a_digest(
    make_bot: BotFactory, real_redis: Redis, prefix: str
) -> None:
    shared = await setup(make_bot)
    await seed(shared.bot.runtime, shared.number, [Person(ANN, wrote_at=time.time())])
    assert (await shared.call("support", "DELETE", f"/v1/profiles/wa:{ANN}")).status == 200
    body = {"number": shared.number, "text": "Sale", "audience": {"profiles": [f"+{ANN}"]}}
    nid = await campaign(shared, body)
    assert (await finished(shared, nid))["skipped"]["suppressed"] == 1
    (skipped,) = (await recipients(shared, nid, "status=skipped"))["recipients"]
    assert skipped["reason"] == "suppressed"
    assert ANN[2:] not in str(skipped)
    kept = [line for line in await dump(real_redis, f"{prefix}*") if ANN[2:] in line]
    # What the service wrote stays as it wrote it: the campaign's audience, nothing else.
    assert all(f"{{ntf:{nid}}}:aud" in line for line in kept), kept
