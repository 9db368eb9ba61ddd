"""A customer's WhatsApp or Telegram file named ``invoice`` + U+202E (right-to-left
override) + ``fdp.exe`` reached the services and the live view as it came, where it
shows as "invoiceexe.pdf" and names the download; uploads refused such names already.
And a file name of ``..`` was kept, on uploads too, and sent to Meta as a document's
name."""

from __future__ import annotations

import pytest

from adapters.files import shown_filename
from tests.conftest import BotFactory
from tests.emulators import meta_webhooks as meta
from tests.test_api import WA_ID, Shared, call, shared_number, wait_for_event
from tests.test_media_channels import PDF
from tests.test_media_inbound import inbound_with

HIDDEN = "invoice\u202efdp.exe"


@pytest.mark.parametrize(
    ("given", "shown"),
    [
        (HIDDEN, "invoicefdp.exe"),
        ("a\u2066b\u2069c\u200f.pdf", "abc.pdf"),
        ("line\nbreak\x00.pdf", "linebreak.pdf"),
        ("../../etc/passwd", "passwd"),
        ("..", ""),
        ("...", ""),
        ("C:\\Users\\ann\\cv.pdf", "cv.pdf"),
        ("résumé 2026.pdf", "résumé 2026.pdf"),
    ],
)
def test_a_providers_file_name_is_made_safe_to_show(given: str, shown: str) -> None:
    assert shown_filename(given) == shown


async def test_a_whatsapp_document_name_reaches_the_services_safe(make_bot: BotFactory) -> None:
    shared: Shared = await shared_number(make_bot)
    bot = shared.bot
    media_id = shared.graph.media.add_media(PDF, "application/pdf", bot.phone_number_id)
    payload = meta.document_message(bot.phone_number_id, WA_ID, media_id, HIDDEN)
    assert (await bot.post_whatsapp(payload)).status == 200
    event = await wait_for_event(bot.sinks["sales"], "message.inbound", inbound_with("document"))
    assert event["data"]["message"]["media"]["filename"] == "invoicefdp.exe"


@pytest.mark.parametrize("name", ["..", "."])
async def test_an_upload_named_dots_alone_is_refused(make_bot: BotFactory, name: str) -> None:
    shared = await shared_number(make_bot)
    headers = {"Content-Type": "application/pdf"}
    token = shared.tokens["sales"]
    answer = await call(
        shared.bot, token, "POST", f"/v1/media?filename={name}", data=PDF, headers=headers
    )
    assert answer.status == 400 and "dots alone" in answer.error
