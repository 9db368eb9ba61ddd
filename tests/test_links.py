"""Tracked link tokens and the rewriting of outbound text (PS-3); the shared link secret."""

from __future__ import annotations

import base64
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from redis.asyncio import Redis

from bot.config.settings import ConfigError
from bot.core.links import (
    MAX_TOKEN,
    Link,
    LinkSigner,
    load_link_secret,
    safe_target,
    split_trailing,
)
from stores.redis import Keys
from stores.secrets import SecretStore

PUBLIC = "https://sb.example.com"
SIGNER = LinkSigner(b"k" * 32, PUBLIC)


def test_a_token_names_the_profile_the_message_and_the_target() -> None:
    target = "https://shop.example.com/cart?item=42&ref=wa#top"
    token = SIGNER.sign("p_0193a1b2c3d4e5f6", "snd_abc", target)
    assert SIGNER.verify(token) == Link("p_0193a1b2c3d4e5f6", "snd_abc", target)
    assert SIGNER.url("p_1", "m_1", target).startswith(f"{PUBLIC}/l/")
    assert len(token) < 200, "tokens stay compact"
    assert set(token) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")


def test_every_altered_character_makes_the_token_worthless() -> None:
    token = SIGNER.sign("p_1", "m_1", "https://example.com/x")
    for position, char in enumerate(token):
        for other in {"A", "B", "-", "_", "0"} - {char}:
            altered = token[:position] + other + token[position + 1 :]
            assert SIGNER.verify(altered) is None, (position, other)


def test_truncated_and_extended_tokens_are_refused() -> None:
    token = SIGNER.sign("p_1", "m_1", "https://example.com/x")
    for end in range(len(token)):
        assert SIGNER.verify(token[:end]) is None
    assert SIGNER.verify(token + "A") is None
    assert SIGNER.verify(token + "=") is None


def test_a_token_of_another_secret_or_a_hand_made_one_is_refused() -> None:
    forged = LinkSigner(b"x" * 32, PUBLIC).sign("p_1", "m_1", "https://evil.example/")
    assert SIGNER.verify(forged) is None
    # The payload is readable, so an attacker can write one; without the key it is no use.
    payload = b"1\np_1\nm_1\nhttps://evil.example/"
    hand_made = base64.urlsafe_b64encode(payload + b"\0" * 16).rstrip(b"=").decode()
    assert SIGNER.verify(hand_made) is None


@pytest.mark.parametrize(
    "token",
    [
        "",
        "A",
        "A" * (MAX_TOKEN + 1),
        "%2e%2e",
        "abc.def",
        "abc def",
        "ÄÖÜ",
        "AAAA====",
        "\x00",
        None,
        42,
        b"bytes",
    ],
)
def test_malformed_tokens_give_none_never_an_exception(token: object) -> None:
    assert SIGNER.verify(token) is None


@given(st.text(max_size=300))
@settings(max_examples=300, deadline=None)
def test_verify_never_raises(text: str) -> None:
    assert SIGNER.verify(text) is None


@pytest.mark.parametrize(
    "target",
    [
        "javascript:alert(1)",
        "JaVaScRiPt:alert(document.cookie)",
        "data:text/html,<script>alert(1)</script>",
        "ftp://example.com/file",
        "mailto:ann@example.com",
        "//evil.example/",
        "/relative/path",
        "https://",
        "https://exa mple.com/",
        "https://example.com/\r\nSet-Cookie: x=1",
        "https://example.com/" + "a" * 3000,
    ],
)
def test_only_http_and_https_targets_are_ever_signed(target: str) -> None:
    with pytest.raises(ValueError):
        SIGNER.sign("p_1", "m_1", target)


def test_ids_with_separators_cannot_smuggle_a_field() -> None:
    with pytest.raises(ValueError):
        SIGNER.sign("p_1\nhttps://evil.example/", "m_1", "https://example.com/")
    with pytest.raises(ValueError):
        SIGNER.sign("", "m_1", "https://example.com/")


def test_a_non_ascii_target_becomes_an_ascii_location() -> None:
    assert safe_target("https://münchen.de/straße?q=ä") == (
        "https://xn--mnchen-3ya.de/stra%C3%9Fe?q=%C3%A4"
    )
    token = SIGNER.sign("p_1", "m_1", "https://münchen.de/straße")
    link = SIGNER.verify(token)
    assert link is not None and link.target.isascii()


def test_a_short_secret_is_refused() -> None:
    with pytest.raises(ValueError):
        LinkSigner(b"short", PUBLIC)


# --- rewrite --------------------------------------------------------------------------


TRACKED = re.compile(re.escape(PUBLIC) + r"/l/([A-Za-z0-9_-]+)")


def untrack(text: str) -> str:
    """``text`` with each tracked link replaced by its target (its token must verify)."""

    def target(match: re.Match[str]) -> str:
        link = SIGNER.verify(match.group(1))
        assert link is not None, match.group(0)
        return link.target

    return TRACKED.sub(target, text)


def targets_in(text: str) -> list[str]:
    found = [SIGNER.verify(token) for token in TRACKED.findall(text)]
    return [link.target for link in found if link is not None]


@pytest.mark.parametrize(
    ("text", "target", "after"),
    [
        ("See https://example.com/a.", "https://example.com/a", "."),
        ("Go to https://example.com/a, then pay", "https://example.com/a", ", then pay"),
        ("(details at https://example.com/a)", "https://example.com/a", ")"),
        (
            "Read https://en.wikipedia.org/wiki/Foo_(bar).",
            "https://en.wikipedia.org/wiki/Foo_(bar)",
            ".",
        ),
        ("[shop](https://example.com/s)", "https://example.com/s", ")"),
        ("Really? https://example.com/q?x=1!", "https://example.com/q?x=1", "!"),
        ('quote "https://example.com/z" end', "https://example.com/z", '" end'),
        ("*https://example.com/bold*", "https://example.com/bold", "*"),
        ("HTTPS://Example.com/Up;", "HTTPS://Example.com/Up", ";"),
        ("<https://example.com/angle>", "https://example.com/angle", ">"),
    ],
)
def test_rewrite_keeps_punctuation_outside_the_link(text: str, target: str, after: str) -> None:
    rewritten = SIGNER.rewrite(text, "p_1", "m_1")
    assert targets_in(rewritten) == [target]
    assert rewritten.endswith(after)
    assert rewritten.startswith(text[: text.index(target)] + f"{PUBLIC}/l/")


def test_rewrite_tracks_every_url_and_keeps_the_rest_of_the_text() -> None:
    text = "Hi Ann!\nOrder: https://a.example/o/1 and http://b.example/?q=2 — thanks."
    rewritten = SIGNER.rewrite(text, "p_1", "m_1")
    assert targets_in(rewritten) == ["https://a.example/o/1", "http://b.example/?q=2"]
    assert rewritten.startswith("Hi Ann!\nOrder: ") and rewritten.endswith(" — thanks.")


@pytest.mark.parametrize(
    "text",
    [
        "No links here, just text. Call 07700 900123.",
        "javascript:alert(1) and data:text/html,hello",
        "ftp://files.example.com/a mailto:ann@example.com www.example.com",
        "xhttps://example.com and myhttp://example.com",
        "https:// nothing",
        f"Already tracked: {PUBLIC}/l/abcDEF123_-. Fine.",
        "",
    ],
)
def test_rewrite_leaves_text_without_http_urls_alone(text: str) -> None:
    assert SIGNER.rewrite(text, "p_1", "m_1") == text


def test_a_tracked_link_is_not_wrapped_twice() -> None:
    once = SIGNER.rewrite("see https://example.com/a.", "p_1", "m_1")
    assert SIGNER.rewrite(once, "p_1", "m_1") == once


def test_split_trailing() -> None:
    assert split_trailing("https://a.com/x).") == ("https://a.com/x", ").")
    assert split_trailing("https://a.com/(x)") == ("https://a.com/(x)", "")
    assert split_trailing("https://a.com/x]") == ("https://a.com/x", "]")


@given(
    st.lists(
        st.one_of(
            st.text(alphabet=st.characters(blacklist_characters=":/"), max_size=20),
            st.sampled_from(["https://a.example/p?q=1", "http://b.example/", "(https://c.io/x)"]),
        ),
        max_size=8,
    )
)
@settings(max_examples=200, deadline=None)
def test_rewrite_only_ever_replaces_urls_by_links_to_them(parts: list[str]) -> None:
    text = " ".join(parts)
    rewritten = SIGNER.rewrite(text, "p_1", "m_1")
    assert untrack(rewritten) == text
    assert "://" not in TRACKED.sub("", rewritten), "every URL is tracked"


# --- the shared secret ----------------------------------------------------------------


async def test_the_secret_is_made_once_and_shared(store: Redis, prefix: str) -> None:
    keys = Keys(prefix)
    first = await load_link_secret(SecretStore(store, keys), None)
    second = await load_link_secret(SecretStore(store, keys), "")
    assert first == second and len(first) >= 32
    assert await store.get(keys.secret("links")) == first.decode()
    # Two processes on one store sign alike, so a link survives a restart or another worker.
    token = LinkSigner(first, PUBLIC).sign("p_1", "m_1", "https://example.com/")
    assert LinkSigner(second, PUBLIC).verify(token) is not None


async def test_the_environment_secret_wins_and_touches_no_store(store: Redis, prefix: str) -> None:
    keys = Keys(prefix)
    assert await load_link_secret(SecretStore(store, keys), "s" * 40) == b"s" * 40
    assert await store.get(keys.secret("links")) is None
    with pytest.raises(ConfigError, match="SWITCHBOARD_LINK_SECRET"):
        await load_link_secret(SecretStore(store, keys), "short")
