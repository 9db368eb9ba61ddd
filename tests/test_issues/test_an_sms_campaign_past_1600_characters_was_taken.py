"""A campaign, a one-off or a sequence step of more than 1,600 characters on an SMS
number was taken (202, `config check`: valid), then refused by Twilio (21617) for every
recipient. It is refused up front now (the API's and the CLI's reading of a notification,
and the config's of a sequence), as a reply of that length is."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.config.settings import ConfigError, load_settings
from bot.outreach.spec import parse_notification
from tests.test_sms_channel import OURS


@pytest.mark.parametrize(
    "audience",
    [{"audience": {"topic": "offers"}}, {"audience": {"profiles": ["+447700900123"]}}],
)
def test_a_notification_past_1600_characters_is_refused(audience: dict[str, str]) -> None:
    body = {"number": f"sms:{OURS}", "text": "z" * 1601, **audience}
    with pytest.raises(ValueError, match="at most 1600 characters"):
        parse_notification(body, service="support", region="GB", zone="UTC")
    body["text"] = "z" * 1600
    spec, _ = parse_notification(body, service="support", region="GB", zone="UTC")
    assert len(spec.text) == 1600


def test_a_sequence_step_past_1600_characters_on_sms_is_a_config_error(
    tmp_path: Path,
) -> None:
    config = tmp_path / "switchboard.yaml"
    step = "z" * 1601
    config.write_text(
        "sequences:\n"
        "  - name: tips\n"
        f"    number: sms:{OURS}\n"
        "    trigger: {workflow: signup}\n"
        f"    steps: [{{wait: 1d, text: {step}}}]\n"
    )
    with pytest.raises(ConfigError) as raised:
        load_settings({"SWITCHBOARD_CONFIG": str(config)})
    assert any("steps[0].text: an SMS is at most 1600" in p for p in raised.value.problems)
