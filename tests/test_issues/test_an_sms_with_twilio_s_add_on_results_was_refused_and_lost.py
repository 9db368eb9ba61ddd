"""Twilio puts an add-on's results in the ``AddOns`` field of every inbound SMS, often
several kilobytes of JSON, and adds fields without notice; a field over 4,096 characters
got the whole message a 400, which Twilio does not retry: every customer's message (a
STOP too) was lost while an add-on was on. And a webhook URL given to Twilio with a query
string (``/webhooks/sms?tenant=acme``) failed every signature: Twilio signs the URL it
requested, query string included. Fields the bot does not read are not looked at now,
and the query string is signed over."""

from __future__ import annotations

import json

from tests.emulators.twilio_api import sign
from tests.test_sms_channel import CUSTOMER, OURS, SMSBot, sms_bot

__all__ = ["sms_bot"]


async def test_a_message_with_a_large_add_on_result_is_taken(sms_bot: SMSBot) -> None:
    add_ons = json.dumps(
        {"status": "successful", "results": {"lookup": {"result": {"x": "y" * 6000}}}}
    )
    form, _ = sms_bot.twilio.signed_inbound(sms_bot.url, CUSTOMER, OURS, "Where is my order?")
    form = {**form, "AddOns": add_ons, "FutureField": "z" * 10_000}
    headers = {"X-Twilio-Signature": sign(sms_bot.twilio.auth_token, sms_bot.url, form)}
    response = await sms_bot.bot.client.post("/webhooks/sms", data=form, headers=headers)
    assert response.status == 200, await response.text()
    await sms_bot.bot.settle()
    assert (await sms_bot.last_inbound())["text"] == "Where is my order?"
    assert "y" * 100 not in json.dumps(await sms_bot.last_inbound())


async def test_a_webhook_url_with_a_query_string_is_verified(sms_bot: SMSBot) -> None:
    url = f"{sms_bot.url}?tenant=acme&x=a%20b"
    form, signature = sms_bot.twilio.signed_inbound(url, CUSTOMER, OURS, "hello from a tenant")
    response = await sms_bot.bot.client.post(
        "/webhooks/sms?tenant=acme&x=a%20b", data=form, headers={"X-Twilio-Signature": signature}
    )
    assert response.status == 200, await response.text()
    await sms_bot.bot.settle()
    assert (await sms_bot.last_inbound())["text"] == "hello from a tenant"

    # Signed over the URL without its query string: not the URL Twilio requested.
    _, unsigned = sms_bot.twilio.signed_inbound(sms_bot.url, CUSTOMER, OURS, "forged")
    forged = await sms_bot.bot.client.post(
        "/webhooks/sms?tenant=acme", data=form, headers={"X-Twilio-Signature": unsigned}
    )
    assert forged.status == 401
