"""Replies with a file uploaded here: ``media.id`` naming a ``POST /v1/media`` upload,
sent as each channel sends files, and masked for the other services (SN-3)."""

from __future__ import annotations

import io
from typing import Any

import pytest

from bot.core.media import MB
from tests.conftest import BotFactory
from tests.test_api import Answer, Shared, all_bytes, call, shared_number, wait_for_event
from tests.test_api_replies import MASKED_KEYS, from_sales

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00IHDR" + bytes(range(256)) * 4
PDF = b"%PDF-1.7\n" + b"1" * 500
SECRET_CAPTION = "Invoice QUOKKA-5512"


@pytest.fixture
async def shared(make_bot: BotFactory) -> Shared:
    return await shared_number(make_bot)


async def uploaded(
    shared: Shared, caller: str, data: bytes, content_type: str, name: str = ""
) -> dict[str, Any]:
    query = f"?filename={name}" if name else ""
    body = io.BytesIO(data) if len(data) > MB else data
    headers = {"Content-Type": content_type}
    answer = await call(
        shared.bot, shared.tokens[caller], "POST", f"/v1/media{query}", data=body, headers=headers
    )
    assert answer.status == 201, answer.raw
    media: dict[str, Any] = answer.json["media"]
    return media


async def reply(shared: Shared, caller: str, media: dict[str, Any]) -> Answer:
    return await shared.call(
        caller, "POST", shared.path("messages"), {"media": media, "agent": "bob"}
    )


async def test_an_upload_goes_to_meta_once_and_is_sent_by_its_id(shared: Shared) -> None:
    upload = await uploaded(shared, "sales", PNG, "image/png")
    answer = await reply(
        shared, "sales", {"type": "image", "id": upload["id"], "caption": SECRET_CAPTION}
    )
    assert answer.status == 201, answer.raw
    sent = (await shared.graph.wait_for_sent(2))[1]
    [meta_file] = shared.graph.media.uploads
    assert (meta_file.data, meta_file.mime_type) == (PNG, "image/png")
    assert sent.type == "image"
    assert sent.body["image"] == {"id": meta_file.media_id, "caption": SECRET_CAPTION}
    again = await reply(shared, "sales", {"type": "image", "id": upload["id"]})
    assert again.status == 201
    sent = (await shared.graph.wait_for_sent(3))[2]
    assert sent.body["image"] == {"id": meta_file.media_id}
    assert len(shared.graph.media.uploads) == 1  # Meta keeps it 30 days: sent by the same id


async def test_a_document_keeps_its_name_and_other_services_see_nothing(shared: Shared) -> None:
    upload = await uploaded(shared, "sales", PDF, "application/pdf", "terms.pdf")
    media = {"type": "document", "id": upload["id"], "caption": SECRET_CAPTION}
    assert (await reply(shared, "sales", media)).status == 201
    sent = (await shared.graph.wait_for_sent(2))[1]
    assert sent.body["document"]["filename"] == "terms.pdf"
    own = await wait_for_event(shared.bot.sinks["sales"], "message.outbound", from_sales)
    assert own["data"]["media"]["upload"] == upload["id"]
    for name in ("support", "marketing"):
        sink = shared.bot.sinks[name]
        event = await wait_for_event(sink, "message.outbound", from_sales)
        assert event["data"]["masked"] is True and not MASKED_KEYS & event["data"].keys()
        for secret in (b"QUOKKA", upload["id"].encode(), b"/media/", b"terms.pdf"):
            assert secret not in all_bytes(sink)
        timeline = await shared.call(name, "GET", shared.path())
        assert b"QUOKKA" not in timeline.raw and upload["id"].encode() not in timeline.raw


async def test_an_upload_that_is_not_the_callers_or_does_not_fit_is_refused(shared: Shared) -> None:
    theirs = await uploaded(shared, "marketing", PNG, "image/png")
    answer = await reply(shared, "sales", {"type": "image", "id": theirs["id"]})
    assert answer.status == 404 and "upload it with POST /v1/media" in answer.error
    unknown = await reply(shared, "sales", {"type": "image", "id": "med_" + "Z" * 22})
    assert unknown.status == 404
    pdf = await uploaded(shared, "sales", PDF, "application/pdf")
    answer = await reply(shared, "sales", {"type": "image", "id": pdf["id"]})
    assert answer.status == 400 and "the file is document" in answer.error
    big = await uploaded(shared, "sales", PNG + b"\x00" * (6 * MB), "image/png")
    answer = await reply(shared, "sales", {"type": "image", "id": big["id"]})
    assert answer.status == 413 and "whatsapp takes image files of at most" in answer.error
    assert (await reply(shared, "sales", {"type": "image", "id": "med_../../x"})).status == 400
    assert len(shared.graph.sent) == 1 and shared.graph.media.uploads == []  # the welcome only


async def test_an_image_may_go_as_a_document(shared: Shared) -> None:
    upload = await uploaded(shared, "sales", PNG, "image/png", "scan.png")
    assert (await reply(shared, "sales", {"type": "document", "id": upload["id"]})).status == 201
    sent = (await shared.graph.wait_for_sent(2))[1]
    assert sent.body["document"]["filename"] == "scan.png"
