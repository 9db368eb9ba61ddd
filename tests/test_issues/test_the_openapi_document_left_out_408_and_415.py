"""docs/api.md's error table gives 408 (a body that stalls) and 415 (a compressed body),
and every route that takes a body answers them, but the OpenAPI document listed neither
for any operation: a client generated from it had no case for either. Every operation
with a request body lists both."""

from __future__ import annotations

import gzip
import json
from importlib import resources

from tests.conftest import BotFactory
from tests.test_api import shared_number


def test_every_operation_with_a_body_lists_408_and_415() -> None:
    document = json.loads(resources.files("bot.api").joinpath("openapi.json").read_text())
    lacking = [
        f"{method.upper()} {path}"
        for path, operations in document["paths"].items()
        for method, operation in operations.items()
        if isinstance(operation, dict) and "requestBody" in operation
        if not {"408", "415"} <= set(operation["responses"])
    ]
    assert lacking == []


async def test_a_compressed_body_is_answered_as_documented(make_bot: BotFactory) -> None:
    shared = await shared_number(make_bot)
    token = await shared.bot.runtime.directory.define_token("support")
    body = gzip.compress(json.dumps({"text": "hello"}).encode())
    headers = {
        "Authorization": f"Bearer {token}",
        "Content-Type": "application/json",
        "Content-Encoding": "gzip",
    }
    path = "/v1/conversations/c_0123456789abcdef0123/messages"
    async with shared.bot.client.post(path, data=body, headers=headers) as answer:
        assert answer.status == 415
        assert "Content-Encoding" in (await answer.json())["error"]
