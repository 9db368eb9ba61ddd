"""Every POST of the API takes an ``Idempotency-Key`` (docs/api.md), and answers 400 for
a malformed one, 409 while its first request runs, 413 for a body too large to keep and
422 for a key used for another request; the OpenAPI document left these out of four
routes (a notification's send, test and stop, a sequence's enrolments) and the header
out of five, so a client generated from it did not expect them."""

from __future__ import annotations

import uuid

from tests.conftest import BotFactory
from tests.test_api import call, shared_number
from tests.test_openapi import load

IDEMPOTENT = {"400", "409", "413", "422"}


def test_every_post_lists_the_idempotency_key_and_its_answers() -> None:
    for path, operations in load()["paths"].items():
        post = operations.get("post")
        if post is None or not path.startswith("/v1/"):
            continue
        assert IDEMPOTENT <= set(post["responses"]), path
        references = [parameter.get("$ref", "") for parameter in post.get("parameters", [])]
        assert "#/components/parameters/IdempotencyKey" in references, path


async def test_a_reused_key_on_a_notifications_send_is_a_documented_422(
    make_bot: BotFactory,
) -> None:
    shared = await shared_number(make_bot)
    key = {"Idempotency-Key": str(uuid.uuid4())}
    token = shared.tokens["support"]
    await call(shared.bot, token, "POST", shared.path("notes"), {"text": "a"}, headers=key)
    for path in ("/v1/notifications/ntf_x/send", "/v1/sequences/nosuch/enrolments"):
        answer = await call(shared.bot, token, "POST", path, {"x": 1}, headers=key)
        assert answer.status == 422, (path, answer.json)
        documented = load()["paths"][path.replace("ntf_x", "{id}").replace("nosuch", "{name}")]
        assert "422" in documented["post"]["responses"]
