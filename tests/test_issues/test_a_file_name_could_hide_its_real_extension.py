"""A media upload's file name could hold Unicode's bidirectional controls: ``evil`` +
U+202E + ``gnp.exe`` is a ``.exe`` that shows as ``evilexe.png`` wherever the name is
displayed (a download's ``Content-Disposition``, an agent's file list). C1 controls
(U+0080 to U+009F) passed too. Both are refused now, as the C0 controls were."""

from __future__ import annotations

from urllib.parse import quote

import pytest

from tests.conftest import BotFactory
from tests.test_api import shared_number
from tests.test_api_media import PNG, kept_files, upload


@pytest.mark.parametrize(
    "name",
    [
        "evil\u202egnp.exe",  # right-to-left override
        "a\u2067b.png",  # right-to-left isolate
        "a\u200fb.png",  # right-to-left mark
        "a\u061cb.png",  # Arabic letter mark
        "a\x85b.png",  # next line, a C1 control
        "a\x9bb.png",  # a C1 control sequence introducer
    ],
)
async def test_a_file_name_with_a_bidi_or_c1_control_is_refused(
    make_bot: BotFactory, name: str
) -> None:
    shared = await shared_number(make_bot)
    answer = await upload(shared, "sales", PNG, "image/png", f"?filename={quote(name)}")
    assert answer.status == 400, answer.raw
    assert "filename" in answer.error
    assert await kept_files(shared) == []


async def test_names_in_any_script_are_still_kept(make_bot: BotFactory) -> None:
    shared = await shared_number(make_bot)
    for name in ("חשבונית.png", "فاتورة 7.png", "Zoë's photo.png", "写真.png"):
        answer = await upload(shared, "sales", PNG, "image/png", f"?filename={quote(name)}")
        assert answer.status == 201 and answer.json["media"]["filename"] == name, answer.raw
