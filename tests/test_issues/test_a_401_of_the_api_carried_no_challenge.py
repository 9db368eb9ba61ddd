"""The service API's 401s (no token, an unknown one) carried no ``WWW-Authenticate``
header, which RFC 7235 requires of a 401 and RFC 6750 gives for a Bearer-token API: a
client library had nothing to tell it which scheme to use. Each carries the Bearer
challenge, with ``error="invalid_token"`` when a token was given and not taken."""

from __future__ import annotations

from tests.conftest import BotFactory


async def test_the_apis_401s_carry_the_bearer_challenge(make_bot: BotFactory) -> None:
    bot = await make_bot()
    for headers, challenge in (
        ({}, 'Bearer realm="switchboard"'),
        ({"Authorization": "Basic dXNlcjpwYXNz"}, 'Bearer realm="switchboard"'),
        (
            {"Authorization": "Bearer not-a-token"},
            'Bearer realm="switchboard", error="invalid_token"',
        ),
    ):
        async with bot.client.get("/v1/numbers", headers=headers) as answer:
            assert answer.status == 401
            assert answer.headers.get("WWW-Authenticate") == challenge, headers
    async with bot.client.get("/live/api/conversations") as answer:
        assert answer.status == 401
        assert answer.headers.get("WWW-Authenticate") == 'Bearer realm="switchboard"'
