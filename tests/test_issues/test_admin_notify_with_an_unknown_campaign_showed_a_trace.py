"""``admin notify --filter ntf_nope:read`` (the response to a campaign that is not there)
ended with a trace in a critical log line. It says what is wrong, as the same mistake
with ``--draft`` did, and exits 2."""

from __future__ import annotations

import pytest

from tests.botprocess import run_command
from tests.conftest import BotFactory
from tests.test_admin_profiles import environment
from tests.test_notifications import setup


@pytest.mark.parametrize("draft", [(), ("--draft",)], ids=["now", "draft"])
async def test_a_filter_on_an_unknown_campaign_is_a_usage_error(
    make_bot: BotFactory, prefix: str, draft: tuple[str, ...]
) -> None:
    await setup(make_bot)
    args = ("admin", "notify", "--number", "wa", "--text", "x", "--filter", "ntf_nope:read")
    code, out, err = await run_command(environment(prefix), *args, *draft)
    assert code == 2, err
    assert "no campaign ntf_nope" in err
    assert "Traceback" not in err + out and "uncaught" not in err
