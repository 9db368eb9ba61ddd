"""Three answers the API gives were not the ones its OpenAPI document described.

As a service's developer saw it, validating answers against docs/openapi.json: a reply,
claim or release made with the admin token got a 403 the document did not list for those
operations (docs/api.md does); a live token asked for again with the same
Idempotency-Key answered 201 without ``token`` and ``url`` (shown once, as documented),
which the document's schema required; and the 409 of a start whose Idempotency-Key was
still being processed had no ``conversation_id``, which its schema required.
"""

from __future__ import annotations

from typing import Any

from tests.conftest import BotFactory
from tests.emulators import meta_webhooks as meta
from tests.test_openapi import ADMIN_TOKEN, WA_ID, Contract, load


async def test_the_answers_are_the_documented_ones(make_bot: BotFactory) -> None:
    contract = Contract(load())
    bot = await make_bot(services=("support",), runtime_service=False, admin_token=ADMIN_TOKEN)
    token = await bot.runtime.directory.define_token("support")
    await bot.post_whatsapp(meta.text_message(bot.phone_number_id, WA_ID, "hello"))
    await bot.settle()
    cid = bot.conversation(WA_ID)

    async def call(
        method: str, template: str, secret: str, body: Any, key: str = ""
    ) -> tuple[int, Any]:
        headers = {"Authorization": f"Bearer {secret}"}
        if key:
            headers["Idempotency-Key"] = key
        response = await bot.client.request(
            method, template.replace("{id}", cid), headers=headers, json=body
        )
        answer = await response.json()
        contract.answer(method, template, response.status, answer)
        return response.status, answer

    for action, body in (
        ("messages", {"text": "hi"}),
        ("claim", {"agent": "ann"}),
        ("release", {"agent": "ann"}),
    ):
        status, _ = await call("POST", f"/v1/conversations/{{id}}/{action}", ADMIN_TOKEN, body)
        assert status == 403

    issue = {"profile": f"wa:{WA_ID}", "agent": "ann", "ttl": 600}
    first = await call("POST", "/v1/live-tokens", token, issue, key="live-1")
    again = await call("POST", "/v1/live-tokens", token, issue, key="live-1")
    assert first[0] == again[0] == 201
    assert "token" in first[1] and "token" not in again[1]

    in_flight = {
        "error": "a request with this Idempotency-Key is still being processed; retry after it ends"
    }
    contract.answer("POST", "/v1/conversations", 409, in_flight)
