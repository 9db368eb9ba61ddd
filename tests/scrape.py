"""``/metrics`` as a scraper reads it: parsed by prometheus_client's own parser."""

from __future__ import annotations

from typing import Any

from prometheus_client.parser import text_string_to_metric_families


def samples(text: str) -> dict[str, list[tuple[dict[str, str], float]]]:
    """Every sample by its name (``..._total``, ``..._bucket``...), with its labels."""
    found: dict[str, list[tuple[dict[str, str], float]]] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            found.setdefault(sample.name, []).append((dict(sample.labels), sample.value))
    return found


def total(text: str, name: str, **labels: str) -> float:
    """The sum of the samples of ``switchboard_<name>`` whose labels include ``labels``;
    an error when there is none."""
    full = f"switchboard_{name}"
    matching = [
        value
        for found, value in samples(text).get(full, [])
        if all(found.get(key) == value_ for key, value_ in labels.items())
    ]
    assert matching, f"{full} {labels or ''} is not in /metrics"
    return sum(matching)


async def scrape(client: Any, name: str, **labels: str) -> float:
    """GET ``/metrics`` with an aiohttp client (a TestClient or a session on the bot's URL)
    and sum the samples of ``switchboard_<name>``."""
    async with client.get("/metrics") as response:
        assert response.status == 200
        return total(await response.text(), name, **labels)
