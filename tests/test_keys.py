"""Key names are stored data: a deployment upgraded in place must find its keys where the
last version left them, so each name is pinned here as docs/architecture.md lists it."""

from __future__ import annotations

import pytest

from bot.model import Identity
from stores.redis import Keys

KEYS = Keys("sb:")


@pytest.mark.parametrize(
    ("key", "expected"),
    [
        (KEYS.inbound(3), "sb:{in:3}"),
        (KEYS.dedupe(3, "m:wamid.1"), "sb:{in:3}:dd:m:wamid.1"),
        (KEYS.outbox(3), "sb:{out:3}"),
        (KEYS.inbound(3, "attempts"), "sb:{in:3}:attempts"),
        (KEYS.inbound(3, "dead"), "sb:{in:3}:dead"),
        (KEYS.outbox(3, "attempts"), "sb:{out:3}:attempts"),
        (KEYS.outbox(3, "dead"), "sb:{out:3}:dead"),
        (KEYS.conversation("c_1", "meta"), "sb:{c:c_1}:meta"),
        (KEYS.conversations("wa:1"), "sb:n:wa:1:conversations"),
        (KEYS.profile("p_1"), "sb:{p:p_1}:h"),
        (KEYS.profile("p_1", "refused"), "sb:{p:p_1}:refused"),
        (KEYS.identity(Identity("phone", "+441")), "sb:id:phone:+441"),
        (KEYS.visitor("v1", "events"), "sb:{v:v1}:events"),
        (KEYS.suppression("ab12"), "sb:sup:ab12"),
        (KEYS.fanout("crm"), "sb:{fo:crm}"),
        (KEYS.fanout("crm", "retry"), "sb:{fo:crm}:retry"),
        (KEYS.lease("shard:1"), "sb:{lease:shard:1}"),
        (KEYS.lease_fence("shard:1"), "sb:{lease:shard:1}:fence"),
        (KEYS.web_channel("v1"), "sb:web:v1"),
        (KEYS.rate("wa:1"), "sb:rate:wa:1"),
        (KEYS.poll_offset("telegram:7"), "sb:{lease:telegram:7}:offset"),
        (KEYS.secret("links"), "sb:secret:links"),
        (KEYS.team_roles(), "sb:team:roles"),
        (KEYS.team_audit(), "sb:team:audit"),
        (KEYS.team_post("-100:42"), "sb:team:post:-100:42"),
        (KEYS.service("crm"), "sb:svc:crm"),
        (KEYS.service_token("ab12"), "sb:svc-token:ab12"),
        (KEYS.attached("wa:1"), "sb:{num:wa:1}:services"),
        (KEYS.attached_version("wa:1"), "sb:{num:wa:1}:version"),
        (KEYS.services_version(), "sb:svc-version"),
        (KEYS.numbers(), "sb:numbers"),
        (KEYS.idempotency("crm", "ab12"), "sb:idem:crm:ab12"),
        (KEYS.events("wa:1"), "sb:{ev:wa:1}"),
        (KEYS.event("wa:1", "evt_1"), "sb:{ev:wa:1}:e:evt_1"),
        (KEYS.claim_lapses(), "sb:claims:lapse"),
        (KEYS.costs("wa:1", "totals"), "sb:{cost:wa:1}:totals"),
        (KEYS.notification("n_1", "h"), "sb:{ntf:n_1}:h"),
        (KEYS.notification_run("n_1", 2, "rc"), "sb:{ntf:n_1}:r:2:rc"),
        (KEYS.notifications_due(), "sb:ntf:due"),
        (KEYS.notifications_dead(), "sb:ntf:dead"),
        (KEYS.notifications_of("wa:1"), "sb:ntf:n:wa:1"),
        (KEYS.sequence("welcome", "en"), "sb:{seq:welcome}:en"),
        (KEYS.sequence("welcome", "due"), "sb:{seq:welcome}:due"),
    ],
)
def test_key_names_stay_where_deployments_keep_them(key: str, expected: str) -> None:
    assert key == expected


def test_every_key_starts_with_the_configured_prefix() -> None:
    keys = Keys("acme:")
    assert keys.numbers() == "acme:numbers"
    assert keys.conversation("c_1", "log") == "acme:{c:c_1}:log"
