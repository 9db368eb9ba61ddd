"""A file uploaded under an ``Idempotency-Key`` to a process of the release before, and
retried with the very same bytes to one of this release (the first cut short by the
deploy's stop, say), was refused with 422, as another request: the release before took
an upload's bytes as they came for its fingerprint, this one the file they carry. A
retry now gets the answer the release before kept, as it would have there; another
request under that key is still a 422."""

from __future__ import annotations

import hashlib
import json

import pytest

from tests.conftest import BotFactory
from tests.test_api import Shared, call, shared_number
from tests.test_api_media import PDF, PNG

KEPT = '{"media": {"id": "med_AAAAAAAAAAAAAAAAAAAAAA", "kept_by": "the release before"}}'


@pytest.fixture
async def shared(make_bot: BotFactory) -> Shared:
    return await shared_number(make_bot)


async def kept_by_the_release_before(shared: Shared, key: str, body: bytes) -> None:
    """What 5680500 kept for ``POST /v1/media`` with ``body``: its bytes as they came."""
    fingerprint = hashlib.sha256(b"POST /v1/media\n" + body).hexdigest()
    store = shared.bot.runtime.idempotency
    assert (await store.begin("sales", key, fingerprint)).outcome == "new"
    assert await store.finish("sales", key, fingerprint, 201, KEPT)


async def test_a_raw_upload_retried_across_the_upgrade_gets_the_first_answer(
    shared: Shared,
) -> None:
    await kept_by_the_release_before(shared, "upload-9", PDF)
    headers = {"Idempotency-Key": "upload-9", "Content-Type": "application/pdf"}
    token = shared.tokens["sales"]
    again = await call(shared.bot, token, "POST", "/v1/media", data=PDF, headers=headers)
    assert (again.status, again.json) == (201, json.loads(KEPT)), again.raw


async def test_another_file_under_that_key_is_still_a_422(shared: Shared) -> None:
    await kept_by_the_release_before(shared, "upload-10", PDF)
    headers = {"Idempotency-Key": "upload-10", "Content-Type": "image/png"}
    token = shared.tokens["sales"]
    other = await call(shared.bot, token, "POST", "/v1/media", data=PNG, headers=headers)
    assert other.status == 422, other.raw
