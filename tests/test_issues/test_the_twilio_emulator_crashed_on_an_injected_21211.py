"""``TwilioEmulator.fail_next(code=21211)`` crashed the emulator (its message names the
'To' number, which the injection did not give), so the client got a 500 and a test that
meant a refused number tested a retried server error."""

from __future__ import annotations

import base64
import secrets

import aiohttp

from tests.emulators.twilio_api import TwilioEmulator


async def test_an_injected_21211_is_twilios_400_naming_the_number() -> None:
    account, token = "AC" + secrets.token_hex(16), secrets.token_hex(16)
    async with TwilioEmulator(account, token) as twilio, aiohttp.ClientSession() as http:
        twilio.fail_next(1, status=400, code=21211)
        basic = base64.b64encode(f"{account}:{token}".encode()).decode()
        url = f"{twilio.base_url}/2010-04-01/Accounts/{account}/Messages.json"
        form = {"To": "+447700900123", "From": "+15005550006", "Body": "hi"}
        async with http.post(url, data=form, headers={"Authorization": f"Basic {basic}"}) as r:
            assert r.status == 400
            answer = await r.json()
        assert answer["code"] == 21211
        assert answer["message"] == "The 'To' number +447700900123 is not a valid phone number."
        assert twilio.sent == []
