"""Imported profiles had no owner though ``profiles.default_owner`` was set.

As an operator saw it: ``admin import contacts.csv`` with rows that name no owner made
profiles whose owner was none, and a later message matched the profile, so it never got
one; README says the default owner owns new profiles when nobody else does (PS-5). A
row's own ``owner`` still wins, and a profile that existed keeps its owner.
"""

from __future__ import annotations

from pathlib import Path

import yaml
from redis.asyncio import Redis

from bot.model import Identity
from tests.botprocess import run_command
from tests.test_admin_profiles import environment
from tests.test_import import contact, graph, write_csv


async def test_the_default_owner_owns_what_an_import_makes(
    real_redis: Redis, prefix: str, tmp_path: Path
) -> None:
    config = tmp_path / "switchboard.yaml"
    team = [
        {"email": "owner@example.com", "name": "Olu", "role": "admin"},
        {"email": "bob@example.com", "name": "Bob", "role": "agent"},
    ]
    config.write_text(
        yaml.safe_dump({"profiles": {"default_owner": "owner@example.com"}, "team": team}),
        encoding="utf-8",
    )
    rows = [
        contact(name="Zoe", phone="07700900301"),
        contact(phone="07700900302", owner="bob@example.com"),
    ]
    csv = write_csv(tmp_path / "contacts.csv", rows)
    env = {**environment(prefix), "SWITCHBOARD_CONFIG": str(config)}
    code, out, err = await run_command(env, "admin", "import", str(csv))
    assert code == 0, (out, err)
    profiles = graph(real_redis, prefix)
    owners = []
    for phone in ("+447700900301", "+447700900302"):
        found = await profiles.lookup(Identity("phone", phone))
        owners.append((await profiles.get(found))["owner"])
    assert owners == ["owner@example.com", "bob@example.com"]


async def test_with_no_team_listed_the_default_owner_still_owns(
    real_redis: Redis, prefix: str, tmp_path: Path
) -> None:
    config = tmp_path / "switchboard.yaml"
    config.write_text(
        yaml.safe_dump({"profiles": {"default_owner": "Owner@Example.com"}}), encoding="utf-8"
    )
    csv = write_csv(tmp_path / "contacts.csv", [contact(name="Zoe", phone="07700900311")])
    env = {**environment(prefix), "SWITCHBOARD_CONFIG": str(config)}
    code, out, err = await run_command(env, "admin", "import", str(csv))
    assert code == 0, (out, err)
    profiles = graph(real_redis, prefix)
    found = await profiles.lookup(Identity("phone", "+447700900311"))
    assert (await profiles.get(found))["owner"] == "owner@example.com"
