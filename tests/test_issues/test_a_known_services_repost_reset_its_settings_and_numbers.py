"""Posting a known service again with ``POST /v1/services``, README's way to turn its
batches on, attached it to every number (numbers it was never meant to hear from), and
reset what the call left out: masking back on, batches off. ``admin services attach NAME
--url …`` reset its masking and batches the same way. What a call leaves out stays as it
was; the numbers a call names are added."""

from __future__ import annotations

import secrets

from redis.asyncio import Redis

from stores.redis import Keys
from stores.services import ServiceStore
from tests.botprocess import run_command
from tests.conftest import BotFactory
from tests.test_admin_profiles import environment
from tests.test_api import call, shared_number

ADMIN = "admin-" + secrets.token_hex(16)


async def test_posting_a_known_service_again_keeps_what_it_leaves_out(
    make_bot: BotFactory,
) -> None:
    shared = await shared_number(make_bot, admin_token=ADMIN)
    services = shared.bot.runtime.services
    url, secret = "http://127.0.0.1:9/hook", secrets.token_hex(16)
    first = {"name": "crm", "url": url, "secret": secret, "numbers": [shared.number]}
    created = await call(shared.bot, ADMIN, "POST", "/v1/services", {**first, "mask": False})
    assert created.status == 201, created.json
    batches = {"name": "crm", "url": url, "secret": secret, "batch": {"max_events": 50}}
    again = await call(shared.bot, ADMIN, "POST", "/v1/services", batches)
    assert again.status == 201, again.json
    assert again.json["numbers"] == [shared.number]
    assert "crm" not in await services.order("web:site")
    crm = await services.get("crm")
    assert crm is not None and (crm.mask, crm.batch) == (False, 50)
    moved = {"name": "crm", "url": url + "?v=2", "secret": secret}
    assert (await call(shared.bot, ADMIN, "POST", "/v1/services", moved)).status == 201
    crm = await services.get("crm")
    assert crm is not None and (crm.url, crm.mask, crm.batch) == (url + "?v=2", False, 50)
    # Said, they change; a number named is added.
    off = {**moved, "batch": None, "mask": True, "numbers": ["web:site"]}
    answer = await call(shared.bot, ADMIN, "POST", "/v1/services", off)
    assert answer.status == 201, answer.json
    assert sorted(answer.json["numbers"]) == sorted([shared.number, "web:site"])
    crm = await services.get("crm")
    assert crm is not None and (crm.mask, crm.batch) == (True, 0)


async def test_a_new_url_from_the_cli_keeps_masking_and_batches(
    real_redis: Redis, prefix: str
) -> None:
    services = ServiceStore(real_redis, Keys(prefix))
    env = {**environment(prefix), "SALES_SECRET": secrets.token_hex(16)}
    attach = ("admin", "services", "attach", "sales", "--secret-env", "SALES_SECRET")
    settings = ("--no-mask", "--batch", "20", "--number", "web:site")
    code, _, err = await run_command(env, *attach, "--url", "http://127.0.0.1:9/a", *settings)
    assert code == 0, err
    code, _, err = await run_command(env, *attach, "--url", "http://127.0.0.1:9/b")
    assert code == 0, err
    sales = await services.get("sales")
    assert sales is not None
    assert (sales.url, sales.mask, sales.batch) == ("http://127.0.0.1:9/b", False, 20)
