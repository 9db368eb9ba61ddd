"""A URL followed by punctuation of other scripts or typography took it in: ``…/x。Thanks``
led to ``/x%E3%80%82Thanks``, ``«https://c.example.com/z»`` to ``/z%C2%BB``, ``…/w…`` to
``/w%E2%80%A6``, and ``~https://i.example.com/s~`` (WhatsApp's strike-through) to
``/s~``; ``_https://b.example.com/y_`` (italics) was not tracked at all."""

from __future__ import annotations

import pytest

from bot.core.links import urls_in
from tests.conftest import Bot
from tests.test_links import PUBLIC, SIGNER
from tests.test_tracking import bot, click, customer, signer

__all__ = ["bot"]


@pytest.mark.parametrize(
    ("text", "target"),
    [
        ("https://a.example.com/x。Thanks", "https://a.example.com/x"),
        ("«https://c.example.com/z»", "https://c.example.com/z"),
        ("“https://q.example.com/z”", "https://q.example.com/z"),
        ("https://d.example.com/w…", "https://d.example.com/w"),
        ("~https://i.example.com/s~", "https://i.example.com/s"),
        ("_https://b.example.com/y_", "https://b.example.com/y"),
        ("*https://e.example.com/bold*.", "https://e.example.com/bold"),
        ("見て「https://f.example.com/jp」、", "https://f.example.com/jp"),
        ("¿Viste https://g.example.com/es\uff1f", "https://g.example.com/es"),
        ("https://straße.example/weg", "https://straße.example/weg"),
        ("https://h.example.com/a_b~c_", "https://h.example.com/a_b~c_"),
    ],
)
def test_a_link_ends_where_the_prose_goes_on(text: str, target: str) -> None:
    assert urls_in(text) == [target]
    rewritten = SIGNER.rewrite(text, "p_1", "m_1")
    start = text.index(target)
    before, after = text[:start], text[start + len(target) :]
    assert rewritten.startswith(before + f"{PUBLIC}/l/") and rewritten.endswith(after)
    token = rewritten[len(before) + len(f"{PUBLIC}/l/") : len(rewritten) - len(after)]
    link = SIGNER.verify(token)
    assert link is not None
    if target.isascii():  # a name of another script's letters is sent as IDNA
        assert link.target == target


@pytest.mark.parametrize("text", ["xhttps://example.com", "éhttps://example.com/x"])
def test_a_scheme_after_a_letter_is_no_link(text: str) -> None:
    assert urls_in(text) == []


async def test_a_link_asked_for_with_its_closing_marker_is_followed(bot: Bot) -> None:
    ann = await customer(bot)
    token = (await signer(bot)).sign(ann, "m", "https://s.example/")
    for marker in ("_", "~", "*"):
        response = await click(bot, f"/l/{token}{marker}")
        assert response.status == 302 and response.headers["Location"] == "https://s.example/"
    assert (await click(bot, f"/l/{token}__")).status == 404
