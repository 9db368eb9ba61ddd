"""A blocked Argentine office line, written in its mobile form, joined two people.

As an operator saw it: with ``profiles: {blocked: ["+54 11 4000-0000"]}`` (the office's
switchboard), two CRM contacts who both gave the line as ``+54 9 11 4000-0000`` (the form
WhatsApp and Argentine mobiles use, and one line with the other) were imported as ONE
profile, as were the office's WhatsApp messages: only the form the config named was
blocked. Both forms of the line are blocked now, whichever of them the config names.
"""

from __future__ import annotations

from pathlib import Path

from redis.asyncio import Redis

from bot.config.settings import load_settings
from bot.identities import parse_identity
from bot.model import Identity, MergePolicy
from tests.test_import import contact, graph, read_report, run, write_csv


def policy_of(tmp_path: Path, blocked: str) -> MergePolicy:
    config = tmp_path / "switchboard.yaml"
    config.write_text(f'profiles:\n  blocked: ["{blocked}"]\n', encoding="utf-8")
    return load_settings({"SWITCHBOARD_CONFIG": str(config)}).profiles.policy


def test_either_form_named_blocks_both(tmp_path: Path) -> None:
    for named in ("+54 11 4000-0000", "+54 9 11 4000-0000"):
        policy = policy_of(tmp_path, named)
        assert policy.is_blocked(Identity("phone", "+541140000000")), named
        assert policy.is_blocked(Identity("phone", "+5491140000000")), named


async def test_two_people_giving_the_line_as_a_mobile_stay_two(
    real_redis: Redis, prefix: str, tmp_path: Path
) -> None:
    store = graph(real_redis, prefix, policy_of(tmp_path, "+54 11 4000-0000"))
    rows = [
        contact(name="Beto", phone="+54 9 11 4000-0000", email="beto@empresa.com.ar"),
        contact(name="Carla", phone="+54 9 11 4000-0000", email="carla@empresa.com.ar"),
    ]
    summary = await run(store, write_csv(tmp_path / "contacts.csv", rows))
    beto = await store.lookup(parse_identity("email:beto@empresa.com.ar", "GB"))
    carla = await store.lookup(parse_identity("email:carla@empresa.com.ar", "GB"))
    assert summary.merges == 0 and not beto and not carla
    reasons = read_report(summary.report)
    assert [cells[0] for cells in reasons.values()] == [
        "phone: phone:+5491140000000 is blocked by the merge policy"
    ] * 2
