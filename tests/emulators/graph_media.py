"""The Graph API's media endpoints, as ``GraphAPIEmulator`` serves them: upload
(``POST /{phone_number_id}/media``, multipart), retrieve a media URL (``GET /{media_id}``)
and download it (``GET`` that URL, with the token too), with Meta's types and limits.

https://developers.facebook.com/docs/whatsapp/cloud-api/reference/media
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from typing import Any

from aiohttp import web

MB = 1024 * 1024
SUPPORTED: dict[str, int] = {
    "audio/aac": 16 * MB,
    "audio/amr": 16 * MB,
    "audio/mpeg": 16 * MB,
    "audio/mp4": 16 * MB,
    "audio/ogg": 16 * MB,
    "text/plain": 100 * MB,
    "application/pdf": 100 * MB,
    "application/msword": 100 * MB,
    "application/vnd.ms-excel": 100 * MB,
    "application/vnd.ms-powerpoint": 100 * MB,
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": 100 * MB,
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": 100 * MB,
    "application/vnd.openxmlformats-officedocument.presentationml.presentation": 100 * MB,
    "image/jpeg": 5 * MB,
    "image/png": 5 * MB,
    "image/webp": 500 * 1024,
    "video/3gpp": 16 * MB,
    "video/mp4": 16 * MB,
}
"""Meta's supported media types and their largest size."""


@dataclass(frozen=True)
class MediaFile:
    """A file the emulator holds: uploaded by the business, or sent by a customer."""

    media_id: str
    data: bytes
    mime_type: str
    filename: str
    phone_number_id: str

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()


class MediaRefusal(Exception):
    """Meta's refusal of a media call: (status, code, details)."""

    def __init__(self, status: int, code: int, details: str) -> None:
        super().__init__(details)
        self.status, self.code, self.details = status, code, details


class GraphMedia:
    """What ``GraphAPIEmulator`` keeps of media and how it answers for it."""

    def __init__(self) -> None:
        self.media: dict[str, MediaFile] = {}
        self.uploads: list[MediaFile] = []
        """Files uploaded through ``POST /{phone_number_id}/media``, in order."""
        self.downloads: list[str] = []
        """Media ids whose bytes were downloaded."""
        self.url_root = ""
        """Where download URLs point instead of the emulator itself (a test of a client that
        must not send its token elsewhere)."""

    def add_media(
        self, data: bytes, mime_type: str, phone_number_id: str, filename: str = ""
    ) -> str:
        """Hold a customer's file, as Meta does before the webhook names it; its id."""
        media_id = str(secrets.randbelow(10**15) + 10**15)
        self.media[media_id] = MediaFile(media_id, data, mime_type, filename, phone_number_id)
        return media_id

    async def upload(self, request: web.Request, phone_number_id: str) -> dict[str, Any]:
        """Check and keep an upload as Meta does; ``{"id": ...}``."""
        if request.content_type != "multipart/form-data":
            raise MediaRefusal(400, 100, "The parameter file is required.")
        form = await request.post()
        if form.get("messaging_product") != "whatsapp":
            raise MediaRefusal(400, 100, "The parameter messaging_product is required.")
        file = form.get("file")
        if not isinstance(file, web.FileField):
            raise MediaRefusal(400, 100, "The parameter file is required.")
        declared = str(form.get("type") or file.content_type or "")
        limit = SUPPORTED.get(declared)
        if limit is None or file.content_type != declared:
            raise MediaRefusal(
                400,
                131053,
                f"Param file must be a file with one of the supported types: {declared}",
            )
        data = file.file.read()
        if not data or len(data) > limit:
            raise MediaRefusal(400, 131053, f"The file is empty or larger than {limit} bytes")
        media_id = str(secrets.randbelow(10**15) + 10**15)
        kept = MediaFile(media_id, data, declared, file.filename or "", phone_number_id)
        self.media[media_id] = kept
        self.uploads.append(kept)
        return {"id": media_id}

    def describe(self, media_id: str, root: str) -> dict[str, Any]:
        """``GET /{media_id}``: where to download it, for a few minutes."""
        found = self.media.get(media_id)
        if found is None:
            raise MediaRefusal(
                400, 100, f"Unsupported get request. Object with ID '{media_id}' does not exist"
            )
        where = self.url_root or root
        url = f"{where}/whatsapp_business/attachments/?mid={media_id}&ext={secrets.token_hex(4)}"
        return {
            "messaging_product": "whatsapp",
            "url": url,
            "mime_type": found.mime_type,
            "sha256": found.sha256,
            "file_size": len(found.data),
            "id": media_id,
        }

    def download(self, request: web.Request) -> web.Response:
        """The bytes behind a media URL."""
        found = self.media.get(request.query.get("mid", ""))
        if found is None:
            raise MediaRefusal(404, 100, "Not found")
        self.downloads.append(found.media_id)
        return web.Response(body=found.data, headers={"Content-Type": found.mime_type})
