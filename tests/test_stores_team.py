"""Store contracts: the team's roles, its audit trail and its chat posts, on the real
Redis and on the embedded store alike (the ``store`` fixture)."""

from __future__ import annotations

import asyncio

from redis.asyncio import Redis

from stores.redis import Keys
from stores.team import AUDIT_KEPT, POST_TTL, TeamPostStore, TeamStore

# --- TeamStore: roles -------------------------------------------------------------------


async def test_no_roles_are_set_at_first(store: Redis, prefix: str) -> None:
    team = TeamStore(store, Keys(prefix))
    assert await team.roles() == {}
    assert await team.roles_of(["ann@example.com", "tg:42"]) == [None, None]


async def test_a_role_set_is_read_back_and_the_last_one_wins(store: Redis, prefix: str) -> None:
    team = TeamStore(store, Keys(prefix))
    await team.set_role("ann@example.com", "agent")
    await team.set_role("tg:42", "viewer")
    await team.set_role("ann@example.com", "admin")
    assert await team.roles() == {"ann@example.com": "admin", "tg:42": "viewer"}
    assert await team.roles_of(["tg:42", "bob@example.com", "ann@example.com"]) == [
        "viewer",
        None,
        "admin",
    ]


async def test_roles_are_shared_by_every_process(store: Redis, prefix: str) -> None:
    one, other = TeamStore(store, Keys(prefix)), TeamStore(store, Keys(prefix))
    await one.set_role("ann@example.com", "agent")
    assert await other.roles() == {"ann@example.com": "agent"}
    assert await TeamStore(store, Keys(prefix + "other:")).roles() == {}


# --- TeamStore: the audit trail ---------------------------------------------------------


async def test_the_audit_trail_lists_the_newest_first(store: Redis, prefix: str) -> None:
    team = TeamStore(store, Keys(prefix))
    assert await team.audit_trail() == []
    for n in range(5):
        await team.audit({"at": float(n), "who": "ann", "command": f"/c{n}", "outcome": "ok"})
    trail = await team.audit_trail(limit=3)
    assert [entry["command"] for entry in trail] == ["/c4", "/c3", "/c2"]
    assert trail[0] == {"at": 4.0, "who": "ann", "command": "/c4", "outcome": "ok"}


async def test_the_audit_trail_keeps_text_as_written(store: Redis, prefix: str) -> None:
    team = TeamStore(store, Keys(prefix))
    await team.audit({"who": "zoë", "command": "/note c_1 ¡hola! 👋", "outcome": "done"})
    assert (await team.audit_trail())[0]["command"] == "/note c_1 ¡hola! 👋"


async def test_the_audit_trail_is_bounded(store: Redis, prefix: str) -> None:
    team = TeamStore(store, Keys(prefix))
    for start in range(0, AUDIT_KEPT + 100, 100):
        await asyncio.gather(*(team.audit({"n": n}) for n in range(start, start + 100)))
    trail = await team.audit_trail(limit=AUDIT_KEPT + 200)
    assert len(trail) == AUDIT_KEPT


# --- TeamStore: confirmations used --------------------------------------------------------


async def test_a_confirmation_is_used_once_by_any_process_for_its_time(
    store: Redis, prefix: str
) -> None:
    one, other = TeamStore(store, Keys(prefix)), TeamStore(store, Keys(prefix))
    assert await one.first_use("d1", 600)
    assert not await other.first_use("d1", 600)
    assert await other.first_use("d2", 600)
    ttl = await store.ttl(Keys(prefix).team_confirmed("d1"))
    assert 590 <= ttl <= 600


# --- TeamPostStore ---------------------------------------------------------------------------


async def test_a_post_leads_to_its_conversation(store: Redis, prefix: str) -> None:
    posts = TeamPostStore(store, Keys(prefix))
    assert await posts.conversation("-100:7") is None
    await posts.remember("-100:7", "c_1")
    await posts.remember("-100:8", "c_2")
    assert await posts.conversation("-100:7") == "c_1"
    assert await posts.conversation("-100:8") == "c_2"


async def test_a_post_stays_answerable_for_its_time_to_live(store: Redis, prefix: str) -> None:
    posts = TeamPostStore(store, Keys(prefix))
    await posts.remember("-100:7", "c_1")
    ttl = await store.ttl(Keys(prefix).team_post("-100:7"))
    assert POST_TTL - 60 < ttl <= POST_TTL
