"""A service whose URL names a host that does not resolve (a typo, a lapsed domain): with
deliveries to it at once, on uvloop, every failed look-up was also an ERROR line of
asyncio's, "Future exception was never retrieved ... gaierror", unbundled, 300 a minute
while its retries went on, and the look-ups queued for the few lookup threads until
deliveries timed out. uvloop's own look-ups in ``create_connection`` left their failures
unretrieved; the poster looks a host up itself now, once for the connections waiting on
it, and retrieves the outcome whoever waits."""

from __future__ import annotations

import asyncio
import gc
import logging

import pytest

from adapters.keepalive import KeepAlivePoster, PostFailed

uvloop = pytest.importorskip("uvloop")

NOWHERE = "https://hooks.switchboard-test.invalid/switchboard"  # RFC 6761: never resolves


def test_posts_at_once_to_a_host_that_does_not_resolve_log_nothing(
    caplog: pytest.LogCaptureFixture,
) -> None:
    async def deliveries() -> list[BaseException | None]:
        poster = KeepAlivePoster()
        outcomes: list[BaseException | None] = []
        for _ in range(3):
            posts = [poster.post(NOWHERE, {}, b"{}", 2.0) for _ in range(20)]
            found = await asyncio.gather(*posts, return_exceptions=True)
            outcomes += [error if isinstance(error, BaseException) else None for error in found]
        await poster.close()
        gc.collect()  # a future's failure left unretrieved is said as it is collected
        await asyncio.sleep(0.1)
        return outcomes

    with caplog.at_level(logging.ERROR, logger="asyncio"):
        outcomes = uvloop.run(deliveries())
        gc.collect()
    assert all(isinstance(error, PostFailed) for error in outcomes), {repr(e) for e in outcomes}
    assert all("cannot connect to hooks.switchboard-test.invalid:443" in str(e) for e in outcomes)
    assert [r.getMessage() for r in caplog.records if r.name == "asyncio"] == []
