"""README's way to turn batches on for a service, ``admin services attach NAME --batch
50``, also attached it to every number, numbers it was never meant to hear from (and
whose last 7 days of events it could then read); ``--mask`` and a new ``--url`` or
secret did the same. Changing a known service's settings leaves its numbers alone,
unless ``--number`` names some."""

from __future__ import annotations

import secrets

from redis.asyncio import Redis

from stores.redis import Keys
from stores.services import ServiceStore
from tests.botprocess import run_command
from tests.test_admin_profiles import environment

URL = "http://127.0.0.1:9/hook"
OTHER = "wa:106540352242922"


async def test_a_known_services_settings_change_keeps_its_numbers(
    real_redis: Redis, prefix: str
) -> None:
    services = ServiceStore(real_redis, Keys(prefix))
    await services.attach(OTHER, "support")
    env = {
        **environment(prefix),
        "SALES_SECRET": "first-secret-of-this-test",
        # The deployment's WhatsApp number, as the bot's own environment configures it.
        "WHATSAPP_PHONE_NUMBER_ID": OTHER.removeprefix("wa:"),
        "WHATSAPP_ACCESS_TOKEN": secrets.token_hex(16),
        "WHATSAPP_APP_SECRET": secrets.token_hex(16),
        "WHATSAPP_VERIFY_TOKEN": secrets.token_hex(8),
    }
    attach = ("admin", "services", "attach", "sales")
    new = ("--url", URL, "--secret-env", "SALES_SECRET", "--number", "web:site")
    code, _, err = await run_command(env, *attach, *new)
    assert code == 0, err
    for change in (("--batch", "50"), ("--no-mask",)):
        code, out, err = await run_command(env, *attach, *change)
        assert code == 0, err
        assert OTHER not in out, out
        assert await services.order(OTHER) == ["support"], change
        assert await services.order("web:site") == ["sales"]
    sales = await services.get("sales")
    assert sales is not None and (sales.batch, sales.mask) == (50, False)
    # Named, a number is attached; with no setting given, every number is.
    code, _, err = await run_command(env, *attach, "--batch", "10", "--number", OTHER)
    assert code == 0, err
    assert await services.order(OTHER) == ["support", "sales"]
