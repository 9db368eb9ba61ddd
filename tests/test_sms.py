"""The SMS adapter against Twilio's documented algorithms and its emulator (CH-4, CH-6, REL-4)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
import time
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from multidict import MultiDict

from adapters import sms
from adapters.sms import PayloadError, ProviderError, SMSClient
from bot.model import Identity, Inbound, StatusUpdate
from tests.emulators.twilio_api import TwilioEmulator, inbound_form, num_segments, status_form

ACCOUNT = "AC" + "0123456789abcdef" * 2
TOKEN = secrets.token_hex(16)
NUMBER = "+15005550006"
SERVICE = "MG" + "fedcba9876543210" * 2
CUSTOMER = "+447700900123"
PUBLIC_URL = "https://bot.example.com/webhooks/sms"

# Twilio's own vectors: twilio-python tests/unit/test_request_validator.py, and the
# request-validation page of Twilio's PHP library docs (auth token 12345).
DOC_URL = "https://mycompany.com/myapp.php?foo=1&bar=2"
DOC_PARAMS = {
    "CallSid": "CA1234567890ABCDE",
    "Caller": "+14158675309",
    "Digits": "1234",
    "From": "+14158675309",
    "To": "+18005551212",
}
DOC_SIGNATURE = "RSOYDt4T1cUTdK1PDd93/VVr8B8="


def documented_signature(token: str, url: str, pairs: list[tuple[str, str]]) -> str:
    """Twilio's algorithm, as documented: the URL, then each name + value sorted by name,
    HMAC-SHA1 with the auth token, base64."""
    data = url + "".join(name + value for name, value in sorted(pairs))
    return base64.b64encode(hmac.new(token.encode(), data.encode(), hashlib.sha1).digest()).decode()


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


@pytest.fixture
async def twilio() -> AsyncIterator[TwilioEmulator]:
    async with TwilioEmulator(ACCOUNT, TOKEN) as emulator:
        yield emulator


@pytest.fixture
def client(http: aiohttp.ClientSession, twilio: TwilioEmulator) -> SMSClient:
    return SMSClient(http, twilio.base_url, ACCOUNT, TOKEN, NUMBER)


# -- signatures ------------------------------------------------------------------------


def test_twilio_documented_vector() -> None:
    assert documented_signature("12345", DOC_URL, list(DOC_PARAMS.items())) == DOC_SIGNATURE
    assert sms.compute_signature("12345", DOC_URL, DOC_PARAMS) == DOC_SIGNATURE
    assert sms.verify_signature("12345", DOC_URL, DOC_PARAMS, DOC_SIGNATURE)


def test_signature_matches_hand_computed_hmac() -> None:
    url = "https://bot.example.com/webhooks/sms?tenant=a%20b&x=1"
    params = {"Body": "olá ☕ <b>&amp;</b>", "From": CUSTOMER, "To": NUMBER, "NumMedia": "0"}
    params["MessageSid"] = "SM" + secrets.token_hex(16)
    params["Empty"] = ""
    expected = documented_signature(TOKEN, url, list(params.items()))
    assert sms.compute_signature(TOKEN, url, params) == expected
    assert sms.verify_signature(TOKEN, url, params, expected)


def test_repeated_keys_sorted_like_twilio_libraries() -> None:
    # twilio-python's duplicate-key vector: each value of a repeated name, sorted.
    expected = "IK+Dwps556ElfBT0I3Rgjkr1wJU="
    pairs = [("Sid", "CA123"), ("SidAccount", "AC123"), ("Digits", "5678"), ("Digits", "1234")]
    assert documented_signature("12345", DOC_URL, pairs) == expected
    assert sms.verify_signature("12345", DOC_URL, MultiDict(pairs), expected)
    as_lists = {"Sid": "CA123", "SidAccount": "AC123", "Digits": ["5678", "1234"]}
    assert sms.verify_signature("12345", DOC_URL, as_lists, expected)
    assert not sms.verify_signature("12345", DOC_URL, {**as_lists, "Digits": "1234"}, expected)


@pytest.mark.parametrize(
    ("url", "signature"),
    [
        # Twilio signed without the port we see; twilio-python's vectors for each case.
        ("https://mycompany.com:1234/myapp.php?foo=1&bar=2", DOC_SIGNATURE),
        ("https://mycompany.com/myapp.php?foo=1&bar=2", "kvajT1Ptam85bY51eRf/AJRuM3w="),
        ("http://mycompany.com/myapp.php?foo=1&bar=2", "0ZXoZLH/DfblKGATFgpif+LLRf4="),
        ("http://mycompany.com:1234/myapp.php?foo=1&bar=2", "Zmvh+3yNM1Phv2jhDCwEM3q5ebU="),
    ],
)
def test_signature_with_and_without_port(url: str, signature: str) -> None:
    assert sms.verify_signature("12345", url, DOC_PARAMS, signature)


def _tampered() -> list[tuple[str, str, dict[str, Any], str | None]]:
    good = DOC_SIGNATURE
    return [
        ("token", DOC_URL, DOC_PARAMS, documented_signature("54321", DOC_URL, [])),
        ("value", DOC_URL, {**DOC_PARAMS, "Digits": "1235"}, good),
        ("added", DOC_URL, {**DOC_PARAMS, "Body": "x"}, good),
        ("removed", DOC_URL, {k: v for k, v in DOC_PARAMS.items() if k != "To"}, good),
        (
            "renamed",
            DOC_URL,
            {**{k: v for k, v in DOC_PARAMS.items() if k != "To"}, "to": ""},
            good,
        ),
        ("path", DOC_URL.replace("myapp", "other"), DOC_PARAMS, good),
        ("query", DOC_URL.replace("bar=2", "bar=3"), DOC_PARAMS, good),
        ("scheme", DOC_URL.replace("https", "http"), DOC_PARAMS, good),
        ("slash", DOC_URL.replace(".php", ".php/"), DOC_PARAMS, good),
        ("truncated", DOC_URL, DOC_PARAMS, good[:-2]),
        ("case", DOC_URL, DOC_PARAMS, good.lower()),
        ("empty", DOC_URL, DOC_PARAMS, ""),
        ("missing", DOC_URL, DOC_PARAMS, None),
        ("non-ascii", DOC_URL, DOC_PARAMS, "é" * 28),
        ("surrogate", DOC_URL, DOC_PARAMS, "\udcff" * 28),
        ("file", DOC_URL, {**DOC_PARAMS, "Body": b"bytes"}, good),
        ("bad port", "https://mycompany.com:99999/myapp.php?foo=1&bar=2", DOC_PARAMS, good),
    ]


@pytest.mark.parametrize(("case", "url", "params", "signature"), _tampered())
def test_tampered_requests_are_refused(
    case: str, url: str, params: dict[str, Any], signature: str | None
) -> None:
    assert not sms.verify_signature("12345", url, params, signature), case


def test_no_token_verifies_nothing() -> None:
    assert not sms.verify_signature("", DOC_URL, {}, documented_signature("", DOC_URL, []))


# -- webhook forms ---------------------------------------------------------------------


def test_parse_inbound_text(twilio: TwilioEmulator) -> None:
    form, signature = twilio.signed_inbound(PUBLIC_URL, CUSTOMER, NUMBER, "Hello ☕")
    assert sms.verify_signature(TOKEN, PUBLIC_URL, form, signature)
    (message,) = sms.parse_webhook(form, NUMBER)
    assert isinstance(message, Inbound)
    assert (message.channel, message.number, message.kind) == ("sms", f"sms:{NUMBER}", "text")
    assert message.provider_id == form["MessageSid"] and message.provider_id.startswith("SM")
    assert message.dedupe_key == f"m:{form['MessageSid']}"
    assert message.sender == Identity("phone", CUSTOMER)
    assert message.identities == (message.sender,)
    assert (message.text, message.media, message.provider_type) == ("Hello ☕", None, "sms")
    assert abs(message.timestamp - time.time()) < 5
    assert Inbound.from_dict(message.to_dict()) == message


@pytest.mark.parametrize(
    ("content_type", "kind"),
    [
        ("image/jpeg", "image"),
        ("application/pdf", "document"),
        ("audio/amr", "audio"),
        ("video/mp4", "video"),
        ("text/vcard", "document"),
    ],
)
def test_parse_inbound_media(content_type: str, kind: str) -> None:
    url = f"https://api.twilio.com/2010-04-01/Accounts/{ACCOUNT}/Messages/MM1/Media/ME1"
    form = inbound_form(ACCOUNT, CUSTOMER, NUMBER, "look", media=[(url, content_type)])
    (message,) = sms.parse_webhook(form, NUMBER)
    assert isinstance(message, Inbound) and message.provider_id.startswith("MM")
    assert (message.kind, message.text, message.provider_type) == (kind, "look", "mms")
    assert message.media is not None
    assert (message.media.id, message.media.mime_type, message.media.caption) == (
        url,
        content_type,
        "look",
    )


def test_form_shapes_the_runtime_passes(twilio: TwilioEmulator) -> None:
    form, signature = twilio.signed_inbound(PUBLIC_URL, CUSTOMER, NUMBER, "hi")
    as_lists = {name: [value] for name, value in form.items()}
    multi = MultiDict(form.items())
    for shape in (as_lists, multi):
        assert sms.verify_signature(TOKEN, PUBLIC_URL, shape, signature)
        (message,) = sms.parse_webhook(shape, NUMBER)
        assert isinstance(message, Inbound)
        assert (message.provider_id, message.text) == (form["MessageSid"], "hi")
    # A repeated field keeps its first value; an empty list is a missing field.
    (message,) = sms.parse_webhook({**as_lists, "Body": ["first", "second"]}, NUMBER)
    assert isinstance(message, Inbound) and message.text == "first"
    with pytest.raises(PayloadError, match="From"):
        sms.parse_webhook({**as_lists, "From": []}, NUMBER)
    with pytest.raises(PayloadError, match="NUL"):
        sms.parse_webhook({**as_lists, "Body": ["a\x00b"]}, NUMBER)


def test_messaging_service_and_other_numbers() -> None:
    form = inbound_form(ACCOUNT, CUSTOMER, NUMBER, "hi", messaging_service_sid=SERVICE)
    (message,) = sms.parse_webhook(form, SERVICE)
    assert message.number == f"sms:{SERVICE}"
    assert sms.parse_webhook(form, NUMBER)[0].number == f"sms:{NUMBER}"
    # Another number's traffic reaching our URL is acknowledged and left alone.
    assert sms.parse_webhook(form, "+15005550001") == []
    assert sms.parse_webhook(form, "") == []


@pytest.mark.parametrize(
    ("status", "expected", "error"),
    [
        ("sent", "sent", ""),
        ("delivered", "delivered", ""),
        ("undelivered", "failed", "undelivered (Twilio error 30007)"),
        ("failed", "failed", "failed (Twilio error 30007)"),
    ],
)
def test_parse_status_callback(status: str, expected: str, error: str) -> None:
    sid = "SM" + secrets.token_hex(16)
    form = status_form(ACCOUNT, sid, status, to=CUSTOMER, from_=NUMBER, error_code=30007)
    (update,) = sms.parse_webhook(form, NUMBER)
    assert isinstance(update, StatusUpdate)
    assert (update.channel, update.number, update.provider_message_id) == (
        "sms",
        f"sms:{NUMBER}",
        sid,
    )
    assert (update.recipient, update.status, update.error) == (
        Identity("phone", CUSTOMER),
        expected,
        error,
    )
    assert update.error_code == ("30007" if expected == "failed" else "")
    assert update.dedupe_key == f"s:{sid}:{expected}"


@pytest.mark.parametrize("status", ["queued", "accepted", "sending", "scheduled", "someday"])
def test_interim_statuses_are_acknowledged_and_skipped(status: str) -> None:
    form = status_form(ACCOUNT, "SM" + "0" * 32, status, to=CUSTOMER, from_=NUMBER)
    assert sms.parse_webhook(form, NUMBER) == []


def test_status_through_messaging_service() -> None:
    form = status_form(
        ACCOUNT,
        "SM" + "1" * 32,
        "delivered",
        to=CUSTOMER,
        from_=NUMBER,
        messaging_service_sid=SERVICE,
    )
    (update,) = sms.parse_webhook(form, SERVICE)
    assert update.number == f"sms:{SERVICE}"
    assert sms.parse_webhook(form, "+15005550001") == []


@pytest.mark.parametrize(
    "body",
    [
        "مرحبا بالعالم",
        "👩‍👩‍👧‍👦 e\u0301 \u202eevil",
        "<script>alert(1)</script><img src=x onerror=alert(1)>",
        "line one\r\nline two",
        "x" * 1600,
        "",
    ],
)
def test_hostile_but_valid_bodies_are_kept_verbatim(body: str) -> None:
    (message,) = sms.parse_webhook(inbound_form(ACCOUNT, CUSTOMER, NUMBER, body), NUMBER)
    assert isinstance(message, Inbound) and message.text == body


def _malformed() -> list[tuple[str, dict[str, Any], str]]:
    good = inbound_form(ACCOUNT, CUSTOMER, NUMBER, "hi", sid="SM" + "a" * 32)
    without = lambda *names: {k: v for k, v in good.items() if k not in names}  # noqa: E731
    media = {**good, "NumMedia": "1"}
    return [
        ("no sid", without("MessageSid", "SmsSid"), "MessageSid"),
        ("empty sid", {**good, "MessageSid": "", "SmsSid": ""}, "MessageSid"),
        ("hostile sid", {**good, "MessageSid": "SM<script>"}, "MessageSid"),
        ("no from", without("From"), "From"),
        ("whatsapp from", {**good, "From": "whatsapp:+14155550100"}, "E.164"),
        ("national from", {**good, "From": "07700 900123"}, "E.164"),
        ("zero country", {**good, "From": "+0123456"}, "E.164"),
        ("long body", {**good, "Body": "x" * 1601}, "1600"),
        ("10 KB body", {**good, "Body": "x" * 10_240}, "1600"),
        ("NUL body", {**good, "Body": "hi\x00there"}, "NUL"),
        ("NUL from", {**good, "From": "+1415555\x000100"}, "NUL"),
        ("huge sid", {**good, "MessageSid": "SM" + "a" * 5000}, "longer"),
        ("file upload", {**good, "Body": object()}, "not text"),
        ("bytes", {**good, "From": b"+14155550100"}, "not text"),
        ("neither", without("Body"), "neither"),
        ("bad NumMedia", {**good, "NumMedia": "two"}, "NumMedia"),
        ("negative NumMedia", {**good, "NumMedia": "-1"}, "NumMedia"),
        ("too many media", {**good, "NumMedia": "11"}, "NumMedia"),
        ("media without url", media, "MediaUrl0"),
        ("script url", {**media, "MediaUrl0": "javascript:alert(1)"}, "MediaUrl0"),
        ("bad status To", {"MessageSid": "SM1", "MessageStatus": "sent", "To": "x"}, "To"),
    ]


@pytest.mark.parametrize(("case", "form", "words"), _malformed())
def test_malformed_forms_get_clear_errors(case: str, form: dict[str, Any], words: str) -> None:
    with pytest.raises(PayloadError, match=re.escape(words)) as raised:
        sms.parse_webhook(form, NUMBER)
    assert isinstance(raised.value, ValueError), case


def test_fields_the_bot_does_not_read_are_not_looked_at() -> None:
    """Twilio adds fields without notice (``AddOns``: kilobytes of JSON): whatever they
    hold, the message is taken."""
    good = inbound_form(ACCOUNT, CUSTOMER, NUMBER, "hi", sid="SM" + "a" * 32)
    form = {**good, "Bo\x00dy": "x", "FromCity": "x" * 5000, "AddOns": "{" * 9000}
    (message,) = sms.parse_webhook(form, NUMBER)
    assert isinstance(message, Inbound) and message.text == "hi"


def test_not_a_form() -> None:
    with pytest.raises(PayloadError, match="not a form"):
        sms.parse_webhook(["MessageSid", "SM1"], NUMBER)  # type: ignore[arg-type]


# -- segments --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", ("GSM-7", 1, 160)),
        ("a" * 160, ("GSM-7", 1, 160)),
        ("a" * 161, ("GSM-7", 2, 153)),
        ("a" * 306, ("GSM-7", 2, 153)),
        ("a" * 307, ("GSM-7", 3, 153)),
        ("é@£$¥ñÄ§¿" * 17, ("GSM-7", 1, 160)),  # 153 septets, all in the basic set
        ("€" * 80, ("GSM-7", 1, 160)),  # ESC + char: 160 septets
        ("a" * 159 + "€", ("GSM-7", 2, 153)),  # 161 septets
        ("{}[]~|^\\" * 10, ("GSM-7", 1, 160)),
        # 152 + 2 + 152 = 306 septets, yet the ESC pair cannot straddle parts: 152 | 153 | 1
        ("a" * 152 + "€" + "a" * 152, ("GSM-7", 3, 153)),
        ("й" * 70, ("UCS-2", 1, 70)),
        ("й" * 71, ("UCS-2", 2, 67)),
        ("й" * 134, ("UCS-2", 2, 67)),
        ("й" * 135, ("UCS-2", 3, 67)),
        ("a" * 159 + "ç", ("UCS-2", 3, 67)),  # one non-GSM character turns it all UCS-2
        ("hi 😀", ("UCS-2", 1, 70)),  # an emoji makes it UCS-2 and counts two units
        ("😀" * 35, ("UCS-2", 1, 70)),
        ("😀" * 36, ("UCS-2", 2, 67)),
        # 66 + 2 + 66 = 134 units, but the surrogate pair moves whole: 66 | 67 | 1
        ("a" * 66 + "😀" + "a" * 66, ("UCS-2", 3, 67)),
    ],
)
def test_count_segments(text: str, expected: tuple[str, int, int]) -> None:
    assert sms.count_segments(text) == expected
    # The emulator counts its own way (septet strings, UTF-16 bytes): both must agree.
    assert num_segments(text) == expected[1]


# -- choices and keywords --------------------------------------------------------------


def test_render_choices() -> None:
    assert sms.render_choices("Pick one", ["Yes", "No"]) == "Pick one\n1. Yes\n2. No"
    assert sms.render_choices("", ["Only"]) == "1. Only"
    with pytest.raises(ValueError, match="at least one"):
        sms.render_choices("Pick", [])


@pytest.mark.parametrize(
    ("reply", "expected"),
    [
        ("2", 1),
        (" 2 ", 1),
        ("2.", 1),
        ("2)", 1),
        ("1", 0),
        ("no", 1),
        ("  YES ", 0),
        ("2. No", 1),
        ("3", None),
        ("0", None),
        ("-1", None),
        ("1.5", None),
        ("", None),
        ("maybe", None),
        ("yes please", None),
    ],
)
def test_pick_choice(reply: str, expected: int | None) -> None:
    assert sms.pick_choice(reply, ["Yes", "No"]) == expected


def test_pick_choice_prefers_the_shown_number() -> None:
    assert sms.pick_choice("2", ["1", "2"]) == 1
    assert sms.pick_choice("10", ["10 am", "2 pm"]) is None
    assert sms.pick_choice("10 AM", ["10 am", "2 pm"]) == 0


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        *(
            (word, "stop")
            for word in ("STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "OPTOUT")
        ),
        ("REVOKE", "stop"),
        ("stop  all", "stop"),
        *((word, "start") for word in ("START", "YES", "UNSTOP")),
        *((word, "help") for word in ("HELP", "INFO")),
        ("stop", "stop"),
        ("  Stop \n", "stop"),
        ("unStop", "start"),
        ("help", "help"),
        ("stop please", None),
        ("STOP.", "stop"),
        ("Stop!", "stop"),
        ("opt out", "stop"),
        ("Opt-out", "stop"),
        ("..", None),
        ("please stop", None),
        ("\u017ftop", None),  # long s: upper() makes it "STOP"
        ("", None),
        ("hello", None),
    ],
)
def test_keyword(body: str, expected: str | None) -> None:
    assert sms.keyword(body) == expected


# -- sending ---------------------------------------------------------------------------


async def test_send_posts_the_real_form(client: SMSClient, twilio: TwilioEmulator) -> None:
    sid = await client.send(CUSTOMER, "Your code is 1234 €", status_callback=PUBLIC_URL)
    assert re.fullmatch(r"SM[0-9a-f]{32}", sid)
    (sent,) = await twilio.wait_for_sent(1)
    assert (sent.sid, sent.to, sent.from_, sent.body) == (
        sid,
        CUSTOMER,
        NUMBER,
        "Your code is 1234 €",
    )
    assert (sent.status_callback, sent.num_segments) == (PUBLIC_URL, 1)
    (request,) = twilio.requests
    assert request.path == f"/2010-04-01/Accounts/{ACCOUNT}/Messages.json"
    assert request.form == {
        "To": CUSTOMER,
        "From": NUMBER,
        "Body": "Your code is 1234 €",
        "StatusCallback": PUBLIC_URL,
    }
    assert request.status == 201


async def test_send_through_messaging_service(
    http: aiohttp.ClientSession, twilio: TwilioEmulator
) -> None:
    client = SMSClient(http, twilio.base_url + "/", ACCOUNT, TOKEN, SERVICE)
    await client.send(CUSTOMER, "hi")
    assert twilio.requests[0].form == {"To": CUSTOMER, "MessagingServiceSid": SERVICE, "Body": "hi"}


@pytest.mark.parametrize(
    ("to", "text", "code"),
    [
        ("+1 415 555 0100", "hi", 21211),
        ("14155550100", "hi", 21211),
        ("", "hi", 21604),
        (CUSTOMER, "", 21602),
        (CUSTOMER, "x" * 1601, 21617),
    ],
)
async def test_refused_sends_are_not_retryable(
    client: SMSClient, twilio: TwilioEmulator, to: str, text: str, code: int
) -> None:
    with pytest.raises(ProviderError) as raised:
        await client.send(to, text)
    error = raised.value
    assert (error.status, error.code, error.retryable) == (400, code, False)
    assert f"code {code}" in str(error)
    assert twilio.sent == []


async def test_bad_credentials(http: aiohttp.ClientSession, twilio: TwilioEmulator) -> None:
    wrong = secrets.token_hex(16)
    client = SMSClient(http, twilio.base_url, ACCOUNT, wrong, NUMBER)
    with pytest.raises(ProviderError) as raised:
        await client.send(CUSTOMER, "hi")
    assert (raised.value.status, raised.value.code, raised.value.retryable) == (401, 20003, False)
    # REL-5: the token is in neither the error nor the client's repr.
    assert wrong not in str(raised.value) and wrong not in repr(client)
    assert TOKEN not in repr(SMSClient(http, twilio.base_url, ACCOUNT, TOKEN, NUMBER))


async def test_throttled_send_is_retryable(client: SMSClient, twilio: TwilioEmulator) -> None:
    twilio.throttle(2, retry_after=7)
    for _ in range(2):
        with pytest.raises(ProviderError) as raised:
            await client.send(CUSTOMER, "hi")
        error = raised.value
        assert (error.status, error.code, error.retryable, error.retry_after) == (
            429,
            20429,
            True,
            7.0,
        )
    await client.send(CUSTOMER, "hi")
    assert len(twilio.sent) == 1


async def test_server_errors_are_retryable(client: SMSClient, twilio: TwilioEmulator) -> None:
    twilio.fail_next(1, status=503, code=20500)
    twilio.throttle(1)
    with pytest.raises(ProviderError) as raised:
        await client.send(CUSTOMER, "hi")
    assert (raised.value.status, raised.value.retryable, raised.value.retry_after) == (
        503,
        True,
        None,
    )
    with pytest.raises(ProviderError) as raised:
        await client.send(CUSTOMER, "hi")
    assert (raised.value.code, raised.value.retry_after) == (20429, None)


async def test_unsubscribed_recipient(client: SMSClient, twilio: TwilioEmulator) -> None:
    twilio.stop(CUSTOMER)
    with pytest.raises(ProviderError) as raised:
        await client.send(CUSTOMER, "hi")
    error = raised.value
    assert (error.status, error.code, error.retryable, error.opted_out) == (400, 21610, False, True)
    assert "21610" in str(error)
    twilio.unstop(CUSTOMER)
    await client.send(CUSTOMER, "hi again")
    assert [s.body for s in twilio.sent] == ["hi again"]


async def test_unexpected_answer_from_a_proxy(http: aiohttp.ClientSession) -> None:
    later = time.strftime("%a, %d %b %Y %H:%M:%S GMT", time.gmtime(time.time() + 60))

    async def gateway(request: web.Request) -> web.Response:
        return web.Response(
            status=502, text="<html>Bad Gateway</html>", headers={"Retry-After": later}
        )

    app = web.Application()
    app.router.add_post("/{tail:.*}", gateway)
    async with TestServer(app) as server:
        client = SMSClient(http, str(server.make_url("")), ACCOUNT, TOKEN, NUMBER)
        with pytest.raises(ProviderError) as raised:
            await client.send(CUSTOMER, "hi")
    error = raised.value
    assert (error.status, error.code, error.retryable) == (502, 0, True)
    assert error.retry_after is not None and 50 < error.retry_after <= 60


# -- the whole round trip --------------------------------------------------------------


async def test_signed_status_callback_round_trip(client: SMSClient, twilio: TwilioEmulator) -> None:
    received: list[tuple[bool, bool, list[Inbound | StatusUpdate]]] = []

    async def webhook(request: web.Request) -> web.Response:
        form = await request.post()  # a MultiDictProxy, as the runtime will see it
        signature = request.headers.get("X-Twilio-Signature")
        # Twilio signed the public URL it was given; this server sees its own.
        seen = sms.verify_signature(TOKEN, str(request.url), form, signature)
        public = sms.verify_signature(TOKEN, PUBLIC_URL, form, signature)
        received.append((seen, public, sms.parse_webhook(form, NUMBER)))
        return web.Response(text=sms.EMPTY_TWIML, content_type="text/xml")

    app = web.Application()
    app.router.add_post("/webhooks/sms", webhook)
    async with TestServer(app) as server:
        url = str(server.make_url("/webhooks/sms"))
        sid = await client.send(CUSTOMER, "hi", status_callback=url)
        assert await twilio.post_status(sid, "delivered") == 200
        assert await twilio.post_status(sid, "undelivered", error_code=30005) == 200
    (seen, public, (delivered,)), (_, _, (undelivered,)) = received
    assert (seen, public) == (True, False)
    assert isinstance(delivered, StatusUpdate)
    assert (delivered.provider_message_id, delivered.status) == (sid, "delivered")
    assert delivered.recipient == Identity("phone", CUSTOMER)
    assert isinstance(undelivered, StatusUpdate)
    assert (undelivered.status, undelivered.error) == ("failed", "undelivered (Twilio error 30005)")
    assert [code for _, _, code in twilio.callbacks] == [200, 200]


def test_emulator_inbound_form_is_twilios(twilio: TwilioEmulator) -> None:
    form, signature = twilio.signed_inbound(
        PUBLIC_URL, CUSTOMER, NUMBER, "a" * 161, messaging_service_sid=SERVICE
    )
    assert signature == documented_signature(TOKEN, PUBLIC_URL, list(form.items()))
    assert form["MessageSid"] == form["SmsSid"] == form["SmsMessageSid"]
    assert re.fullmatch(r"SM[0-9a-f]{32}", form["MessageSid"])
    assert (form["AccountSid"], form["ApiVersion"], form["SmsStatus"]) == (
        ACCOUNT,
        "2010-04-01",
        "received",
    )
    assert (form["NumMedia"], form["NumSegments"], form["MessagingServiceSid"]) == (
        "0",
        "2",
        SERVICE,
    )
    assert (form["FromCountry"], form["ToCountry"]) == ("GB", "US")
