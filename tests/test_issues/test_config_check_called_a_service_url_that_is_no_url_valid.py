"""``config check`` called a file valid whose service had ``url: not a url`` (or an ftp://
URL, or no host): each of its events then failed at every delivery, until it was dead-
lettered. A service URL is an absolute http(s) URL with a host, as PUBLIC_URL is."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.config_run import config_check

SERVICE = "services:\n  - name: crm\n    secret: s\n    url: {url}\n"
REFUSAL = ":4: services[0].url: must be an http(s) URL, like https://bot.example.com\n"


@pytest.mark.parametrize(
    "url",
    [
        "not a url",
        "crm.example.com/hooks",
        "ftp://crm.example.com/hooks",
        "'http://'",
        "http:///hooks",
        "'http://[::1'",
        "http://crm example.com/hooks",
        '"http://crm.example.com/\\thooks"',
    ],
)
async def test_a_service_url_that_is_no_url_is_refused(tmp_path: Path, url: str) -> None:
    path = tmp_path / "switchboard.yaml"
    path.write_text(SERVICE.format(url=url))
    code, out, err = await config_check(path)
    assert (code, out) == (2, ""), err
    assert err == f"{path}{REFUSAL}"


@pytest.mark.parametrize(
    "url", ["https://crm.example.com/hooks?v=2", "http://127.0.0.1:9/h", "http://[::1]:8080/"]
)
async def test_an_http_url_with_a_host_is_taken(tmp_path: Path, url: str) -> None:
    path = tmp_path / "switchboard.yaml"
    path.write_text(SERVICE.format(url=url))
    assert await config_check(path) == (0, f"{path}: valid\n", "")
