"""``POST /v1/conversations`` to the SMS number's own phone was refused with a Python
repr: ``Identity(kind='phone', value='+15005550006') is the number's own``. The refusal
names the identity as the API writes it, ``phone:+15005550006``."""

from __future__ import annotations

from tests.test_api import call
from tests.test_sms_channel import OURS, SMSBot, sms_bot

__all__ = ["sms_bot"]


async def test_the_refusal_names_the_identity_as_the_api_writes_it(sms_bot: SMSBot) -> None:
    bot = sms_bot.bot
    token = await bot.runtime.directory.define_token("support")
    body = {"number": f"sms:{OURS}", "identity": f"phone:{OURS}", "text": "hello first"}
    answer = await call(bot, token, "POST", "/v1/conversations", body)
    assert answer.status == 422, answer.raw
    assert answer.error == f"phone:{OURS} is the number's own: it cannot write to itself"
