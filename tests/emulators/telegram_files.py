"""Files on the Bot API emulator: sendPhoto, sendDocument, sendAudio and sendVideo with a
file uploaded as multipart/form-data (its own field, or ``attach://<field>``), an HTTP URL
Telegram fetches, or a file_id; and getFile with ``/file/bot<token>/<path>`` to download.

https://core.telegram.org/bots/api#sending-files
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any

import aiohttp
from aiohttp import web

JSON = dict[str, Any]
MB = 1024 * 1024
UPLOADS: web.RequestKey[dict[str, FilePart]] = web.RequestKey("uploads", dict)
METHODS = {
    "sendPhoto": "photo",
    "sendDocument": "document",
    "sendAudio": "audio",
    "sendVideo": "video",
}
UPLOAD_LIMITS = {"photo": 10 * MB}
"""Uploads: photos up to 10 MB, other files up to 50 MB."""
URL_LIMITS = {"photo": 5 * MB}
"""By URL: photos up to 5 MB, other files up to 20 MB."""
DOWNLOAD_LIMIT = 20 * MB
"""getFile serves files of up to 20 MB."""


_REQUIRED: dict[str, JSON] = {
    "audio": {"duration": 3},
    "voice": {"duration": 3},
    "video": {"width": 640, "height": 360, "duration": 3},
    "animation": {"width": 320, "height": 240, "duration": 2},
    "video_note": {"length": 240, "duration": 3},
}
"""Of a sent file's object, the fields the Bot API always gives for its kind."""


@dataclass(frozen=True)
class FilePart:
    """A file field of a multipart request."""

    filename: str
    content_type: str
    data: bytes


@dataclass(frozen=True)
class HeldFile:
    """A file Telegram holds: sent to it, or by a customer."""

    file_id: str
    file_unique_id: str
    file_path: str
    data: bytes


class FileRefusal(Exception):
    def __init__(self, status: int, description: str) -> None:
        super().__init__(description)
        self.status, self.description = status, description


class TelegramFiles:
    """What the emulator holds of files, and how it reads a file parameter."""

    def __init__(self) -> None:
        self.held: dict[str, HeldFile] = {}
        self.fetched_urls: list[str] = []
        self.downloads: list[str] = []

    def hold(self, data: bytes, extension: str = "bin", file_id: str = "") -> HeldFile:
        """Keep a file (a customer's, or one sent); getFile and the download serve it."""
        file_id = file_id or f"BQACAgIAAxkBAAI{secrets.token_urlsafe(40)}"
        folder = "photos" if extension in ("jpg", "png") else "documents"
        path = f"{folder}/file_{len(self.held)}.{extension}"
        held = HeldFile(file_id, f"AgAD{secrets.token_urlsafe(9)}", path, data)
        self.held[file_id] = held
        return held

    async def read_file(
        self, request: web.Request, params: JSON, parameter: str, client: aiohttp.ClientSession
    ) -> tuple[bytes, str]:
        """The file a send names in ``parameter``: its bytes and name. Refuses as Telegram
        does: nothing given, a file too big, a URL it cannot fetch, an unknown file_id."""
        uploads = request.get(UPLOADS, {})
        value = params.get(parameter)
        part = uploads.get(parameter)
        if isinstance(value, str) and value.startswith("attach://"):
            part = uploads.get(value.removeprefix("attach://"))
            if part is None:
                raise FileRefusal(400, "Bad Request: wrong file identifier/HTTP URL specified")
        if part is not None:
            limit = UPLOAD_LIMITS.get(parameter, 50 * MB)
            if len(part.data) > limit:
                raise FileRefusal(413, "Request Entity Too Large")
            if not part.data:
                raise FileRefusal(400, "Bad Request: file must be non-empty")
            return part.data, part.filename
        if not isinstance(value, str) or not value:
            raise FileRefusal(400, f"Bad Request: there is no {parameter} in the request")
        if value.startswith(("http://", "https://")):
            return await self._fetch(value, URL_LIMITS.get(parameter, 20 * MB), client)
        held = self.held.get(value)
        if held is None:
            raise FileRefusal(400, "Bad Request: wrong file identifier/HTTP URL specified")
        return held.data, held.file_path.rpartition("/")[2]

    async def _fetch(
        self, url: str, limit: int, client: aiohttp.ClientSession
    ) -> tuple[bytes, str]:
        """Telegram downloads a URL it is given; what it cannot get fails the send."""
        failed = FileRefusal(400, "Bad Request: failed to get HTTP URL content")
        try:
            async with client.get(url, timeout=aiohttp.ClientTimeout(total=10)) as response:
                if response.status != 200:
                    raise failed
                data = await response.content.read(limit + 1)
        except (aiohttp.ClientError, TimeoutError):
            raise failed from None
        if len(data) > limit:
            raise FileRefusal(400, "Bad Request: wrong file identifier/HTTP URL specified")
        self.fetched_urls.append(url)
        return data, url.rpartition("/")[2].partition("?")[0] or "file"

    def sent_content(self, parameter: str, data: bytes, filename: str, caption: str) -> JSON:
        """The message's file object as Telegram answers a send with it."""
        held = self.hold(data, filename.rpartition(".")[2] or "bin")
        file: JSON = {
            "file_id": held.file_id,
            "file_unique_id": held.file_unique_id,
            "file_size": len(data),
        }
        content: JSON
        if parameter == "photo":
            content = {"photo": [file | {"width": 320, "height": 240}]}
        else:
            # The fields the Bot API's types require of each kind (a duration, a size).
            required = _REQUIRED.get(parameter, {})
            content = {parameter: file | {"file_name": filename} | required}
        if caption:
            content["caption"] = caption
        return content

    def get_file(self, params: JSON) -> JSON:
        held = self.held.get(str(params.get("file_id") or ""))
        if held is None:
            raise FileRefusal(400, "Bad Request: invalid file_id")
        if len(held.data) > DOWNLOAD_LIMIT:
            raise FileRefusal(400, "Bad Request: file is too big")
        return {
            "file_id": held.file_id,
            "file_unique_id": held.file_unique_id,
            "file_size": len(held.data),
            "file_path": held.file_path,
        }

    def download(self, path: str) -> bytes | None:
        for held in self.held.values():
            if held.file_path == path:
                self.downloads.append(path)
                return held.data
        return None
