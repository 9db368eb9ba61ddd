"""A smoke run of the PERF-3 benchmark (bench/stitch.py) at small sizes: the speed part on
the machine's Redis under this test's prefix, the memory part on a private redis-server.
It checks that the numbers are there and sane, never how fast anything is."""

from __future__ import annotations

import shutil

import pytest
from redis.asyncio import Redis

from bench import stitch
from tests.conftest import REDIS_URL


async def test_speed_reports_round_trips_and_commands_per_resolution(
    real_redis: Redis, prefix: str
) -> None:
    rows = await stitch.measure_speed(REDIS_URL, prefix, stitches=40, tasks=8, batches=(20,))
    by_case = {(row.case, row.way): row for row in rows}
    ways = ("single, sequential", "single, 8 concurrent", "resolve_many, batches of 20")
    assert set(by_case) == {(case, way) for case in stitch.CASES for way in ways}
    for row in rows:
        assert row.ok, (row.case, row.way, row.check)
        assert row.resolutions == 40 and row.seconds > 0
        assert row.per(row.round_trips) > 0 and row.per(row.commands) >= row.per(row.round_trips)
    # One round trip per step and per call when single; a batch shares them.
    single, batched = by_case[("new", ways[0])], by_case[("new", ways[2])]
    assert single.per(single.round_trips) >= 2
    assert batched.per(batched.round_trips) < single.per(single.round_trips)
    merge = by_case[("merge", ways[0])]
    assert merge.extra["merge"]["round_trips"] > merge.extra["attach"]["round_trips"]
    # measure_speed deletes its keys: nothing of this test's prefix is left.
    assert [key async for key in real_redis.scan_iter(match=f"{prefix}*")] == []


@pytest.mark.skipif(shutil.which("redis-server") is None, reason="needs redis-server")
async def test_memory_per_profile_on_a_private_server() -> None:
    memory = await stitch.measure_memory(sizes=(300, 600), batch=200, tasks=2, samples=600)
    first, second = memory["sizes"]
    assert (first["profiles"], second["profiles"]) == (300, 600)
    for size in (first, second):
        # Four identity keys and one hash per person, every person found again by lookup.
        assert size["keys"] == 5 * size["profiles"]
        assert (size["profile_hashes"], size["shared_hashes"]) == (size["profiles"], 0)
        assert size["resolvable_people"] == size["sampled_people"] == size["profiles"]
        assert size["bytes_per_profile"] > 0
        sample = size["sample"]
        assert sample["by_type"]["profile"]["encoding"] == ["listpack"]
        assert all(sample["by_type"][kind]["memory_usage"] > 0 for kind in stitch.KINDS)
        assert sample["per_person"] > 0
    assert "## Memory per profile" in stitch.render({"memory": memory})
