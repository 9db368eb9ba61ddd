"""A team member written in the ASCII form of an international domain
(``sam@xn--mnchen-3ya.de``) was not matched by the same address in letters
(``SAM@münchen.de``): an import's owner column was refused as "not a team member". Team
emails were only lower-cased, where customers' emails, and an import's owners, take the
one form an international domain has."""

from __future__ import annotations

import io
from pathlib import Path

from redis.asyncio import Redis

from bot.cli.importer import import_contacts
from bot.config.settings import load_settings
from tests.test_import import HEADER, graph, write_csv


async def test_a_team_member_is_one_in_either_form_of_their_domain(
    real_redis: Redis, prefix: str, tmp_path: Path
) -> None:
    config = tmp_path / "switchboard.yaml"
    config.write_text(
        "team:\n  - {email: sam@xn--mnchen-3ya.de, name: Sam, role: agent}\n"
        "profiles:\n  default_owner: SAM@München.de\n"
    )
    settings = load_settings({"SWITCHBOARD_CONFIG": str(config)})
    assert settings.team_member("SAM@münchen.de") is not None
    assert settings.team_member("sam@xn--mnchen-3ya.de") is not None
    team = {member.email for member in settings.team}
    rows = [["Eve", "07700 900555", "", "", "", "", "", "SAM@münchen.de"]]
    path = write_csv(tmp_path / "c.csv", rows, header=HEADER)
    summary = await import_contacts(
        graph(real_redis, prefix), path, region="GB", team=team, progress=io.StringIO()
    )
    assert (summary.created, summary.rejected) == (1, 0)
