"""An IPv6 ``HOST`` made a default ``PUBLIC_URL`` no browser or client reads.

As an operator saw it: ``HOST=::1 PORT=8080`` with no ``PUBLIC_URL``: the widget's script
said ``const BASE = "http://::1:8080"``, as did tracked links and the start line; a URL
writes an IPv6 address in brackets, ``http://[::1]:8080``.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from bot.config.settings import load_settings


def test_an_ipv6_host_is_bracketed() -> None:
    settings = load_settings({"HOST": "::1", "PORT": "8080"})
    assert settings.public_url == "http://[::1]:8080"
    parts = urlsplit(settings.public_url)
    assert (parts.hostname, parts.port) == ("::1", 8080)
    assert load_settings({"HOST": "127.0.0.1", "PORT": "8080"}).public_url == (
        "http://127.0.0.1:8080"
    )
