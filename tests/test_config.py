"""Settings from the environment and the YAML file, and the refusals of a bad configuration."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import re
from collections.abc import Sequence
from contextlib import chdir
from pathlib import Path

import jsonschema
import pytest
import yaml

from bot.config import watch
from bot.config.automation import AutomationSettings
from bot.config.settings import ConfigError, load_settings
from bot.model import Service
from tests.botprocess import ROOT
from tests.config_run import environment, run_bot

WHATSAPP = {
    "WHATSAPP_PHONE_NUMBER_ID": "106540352242922",
    "WHATSAPP_ACCESS_TOKEN": "token-from-the-test",
    "WHATSAPP_APP_SECRET": "secret-from-the-test",
    "WHATSAPP_VERIFY_TOKEN": "verify-from-the-test",
}


def write(tmp_path: Path, text: str) -> str:
    path = tmp_path / "switchboard.yaml"
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_nothing_configured_means_embedded_store_web_chat_only(tmp_path: Path) -> None:
    settings = load_settings({"SWITCHBOARD_CONFIG": write(tmp_path, "")})
    assert settings.redis_url is None
    assert settings.whatsapp is None
    assert (settings.host, settings.port) == ("127.0.0.1", 8080)
    assert settings.web_number == "web:site"


def test_whatsapp_from_the_environment_keeps_secrets_out_of_repr(tmp_path: Path) -> None:
    env = {
        **WHATSAPP,
        "WHATSAPP_API_BASE": "http://127.0.0.1:9/v21.0/",
        "SWITCHBOARD_CONFIG": write(tmp_path, ""),
    }
    settings = load_settings(env)
    assert settings.whatsapp is not None
    assert settings.whatsapp.api_base == "http://127.0.0.1:9/v21.0"
    assert settings.whatsapp.number == "wa:106540352242922"
    assert "secret-from-the-test" not in repr(settings)
    assert "token-from-the-test" not in repr(settings)


@pytest.mark.parametrize("missing", sorted(WHATSAPP))
def test_half_configured_whatsapp_names_what_is_missing(tmp_path: Path, missing: str) -> None:
    env = {key: value for key, value in WHATSAPP.items() if key != missing}
    with pytest.raises(ConfigError, match=missing):
        load_settings({**env, "SWITCHBOARD_CONFIG": write(tmp_path, "")})


def test_services_take_their_secrets_from_the_environment(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
services:
  - name: support
    url: http://127.0.0.1:9/hook
    secret: ${SUPPORT_SECRET}
  - name: analytics
    url: http://127.0.0.1:9/a
    secret: ${ANALYTICS_SECRET}
    mask: false
    batch: {max_events: 50}
""",
    )
    settings = load_settings(
        {"SWITCHBOARD_CONFIG": path, "SUPPORT_SECRET": "s1", "ANALYTICS_SECRET": "s2"}
    )
    assert [(s.name, s.secret, s.mask, s.batch) for s in settings.services] == [
        ("support", "s1", True, 0),
        ("analytics", "s2", False, 50),
    ]
    with pytest.raises(ConfigError, match=r"\$\{SUPPORT_SECRET\}"):
        load_settings({"SWITCHBOARD_CONFIG": path})


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("services: [{name: support}]", r"services\[0\]\.url: is required"),
        ("services: [{name: Support!, url: http://u, secret: s}]", "lowercase"),
        (
            "services: [{name: a, url: http://u, secret: s}, {name: a, url: http://u, secret: s}]",
            "twice",
        ),
        ("automation: {rules: [{keywords: [x]}]}", "needs a reply"),
        ("automation: {rules: [{reply: x}]}", "keywords or a pattern"),
        ("automation: {rules: [{reply: x, pattern: '('}]}", "not a regex"),
        ("delivery: {timeout: soon}", r"delivery\.timeout: must be a number \(got 'soon'\)"),
        ("services: [{name: a, url: http://u, secret: s, batch: {max_events: 0}}]", "max_events"),
        ("services: [{name: a, url: http://u, secret: s, batch: {max_events: 501}}]", "max_events"),
        (
            "services: [{name: a, url: http://u, secret: s, batch: {max_events: many}}]",
            "max_events",
        ),
        ("services: [{name: a, url: http://u, secret: s, batch: 50}]", r"services\[0\]\.batch"),
        ("- a list", "mapping"),
        ("key: [unclosed", "not valid YAML"),
        ("live: {token_ttl: 5}", r"live\.token_ttl"),
        ("live: {token_ttl: forever}", r"live\.token_ttl"),
        ("templates: [{name: Order Update}]", r"templates\[0\]\.name"),
        ("templates: [{name: a, variables: [x, X]}]", "same label"),
        ("templates: [{name: a}, {name: a}]", "listed twice"),
        ("templates: [{name: a, category: promo}]", r"templates\[0\]\.category"),
    ],
)
def test_a_bad_file_is_refused_with_a_clear_message(
    tmp_path: Path, text: str, message: str
) -> None:
    with pytest.raises(ConfigError, match=message):
        load_settings({"SWITCHBOARD_CONFIG": write(tmp_path, text)})


@pytest.mark.parametrize(("name", "value"), [("SWITCHBOARD_SHARDS", "0"), ("PORT", "x")])
def test_bad_numbers_in_the_environment_are_refused(tmp_path: Path, name: str, value: str) -> None:
    with pytest.raises(ConfigError, match=name):
        load_settings({"SWITCHBOARD_CONFIG": write(tmp_path, ""), name: value})


def test_the_live_view_s_lifetime_and_templates_are_read(tmp_path: Path) -> None:
    text = (
        "live: {token_ttl: 900}\n"
        "templates:\n"
        "  - {name: order_update, language: en_US, text: 'Order {{1}} is {{2}}',"
        " variables: [order number, status]}\n"
        "  - {name: hello}\n"
    )
    settings = load_settings({"SWITCHBOARD_CONFIG": write(tmp_path, text)})
    assert settings.live_token_ttl == 900
    first, second = settings.templates
    assert (first.name, first.language, first.category) == ("order_update", "en_US", "utility")
    assert first.variables == ("order number", "status")
    assert (second.language, second.variables) == ("en", ())
    assert load_settings({"SWITCHBOARD_CONFIG": write(tmp_path, "")}).live_token_ttl == 3600


def test_the_shipped_config_file_loads() -> None:
    root = Path(__file__).resolve().parent.parent
    settings = load_settings({"SWITCHBOARD_CONFIG": str(root / "switchboard.yaml")})
    assert settings.automation.welcome
    assert settings.automation.rules


def test_environment_errors_are_one_line_each_naming_the_variable(tmp_path: Path) -> None:
    env = {
        "SWITCHBOARD_CONFIG": write(tmp_path, ""),
        "PORT": "99999",
        "HOST": "256.1.1.1",
        "PUBLIC_URL": "ftp://example.com",
        "DEFAULT_REGION": "XX",
        "SWITCHBOARD_LINK_SECRET": "short-secret",
    }
    with pytest.raises(ConfigError) as raised:
        load_settings(env)
    assert [line.split(":")[0] for line in raised.value.problems] == [
        "HOST=256.1.1.1",
        "PORT=99999",
        "PUBLIC_URL=ftp",
        "DEFAULT_REGION=XX",
        "SWITCHBOARD_LINK_SECRET",
    ]
    assert "short-secret" not in str(raised.value)


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "localhost", "bot.example.com", "10.0.0.7"])
def test_hosts_that_are_addresses_or_names_are_taken(tmp_path: Path, host: str) -> None:
    assert load_settings({"SWITCHBOARD_CONFIG": write(tmp_path, ""), "HOST": host}).host == host


def test_a_file_error_names_the_file_the_line_and_the_key(tmp_path: Path) -> None:
    path = write(tmp_path, "automation:\n  rules:\n    - keywords: [a]\n      reply: x\n" * 1)
    text = Path(path).read_text() + "delivery:\n  timeout: -5\n"
    Path(path).write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as raised:
        load_settings({"SWITCHBOARD_CONFIG": path})
    assert raised.value.problems == (
        f"{path}:6: delivery.timeout: must be greater than 0 (got -5)",
    )


def test_a_service_s_automation_is_checked_with_its_lines(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "services:\n"
        "  - name: support\n"
        "    url: http://127.0.0.1:9/hook\n"
        "    secret: s\n"
        "    automation:\n"
        "      welcome: Support here\n"
        "      reply_interval: -1\n",
    )
    with pytest.raises(ConfigError) as raised:
        load_settings({"SWITCHBOARD_CONFIG": path})
    assert raised.value.problems == (
        f"{path}:7: services[0].automation.reply_interval: must be at least 0 (got -1)",
    )


def test_a_service_s_automation_is_kept_as_written(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "services:\n"
        "  - {name: support, url: 'http://127.0.0.1:9/h', secret: s,\n"
        "     automation: {welcome: Hi, away: {message: Closed, holidays: [2026-12-25]}}}\n",
    )
    [service] = load_settings({"SWITCHBOARD_CONFIG": path}).services
    assert service.automation == {
        "welcome": "Hi",
        "away": {"message": "Closed", "holidays": ["2026-12-25"]},
    }


def test_the_fallback_answer_is_off_unless_set(tmp_path: Path) -> None:
    assert load_settings({"SWITCHBOARD_CONFIG": write(tmp_path, "")}).automation.fallback == ""
    path = write(tmp_path, "automation:\n  fallback: Sorry, we did not get that.\n")
    settings = load_settings({"SWITCHBOARD_CONFIG": path})
    assert settings.automation.fallback == "Sorry, we did not get that."


def test_sections_left_empty_are_their_defaults(tmp_path: Path) -> None:
    settings = load_settings({"SWITCHBOARD_CONFIG": write(tmp_path, "services:\ndelivery:\n")})
    assert settings.services == ()
    assert settings.delivery.timeout == 10.0


def test_an_unset_variable_is_named_with_its_line(tmp_path: Path) -> None:
    text = "services:\n  - name: a\n    url: http://u\n    secret: ${NOT_SET_IN_TEST}\n"
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as raised:
        load_settings({"SWITCHBOARD_CONFIG": path})
    assert raised.value.problems == (
        f"{path}:4: services[0].secret: ${{NOT_SET_IN_TEST}} is not set",
    )


def test_a_yaml_syntax_error_names_its_line(tmp_path: Path) -> None:
    path = write(tmp_path, "automation:\n  welcome: hi\n  rules: [unclosed\n")
    with pytest.raises(ConfigError, match=rf"^{re.escape(path)}:\d+: not valid YAML"):
        load_settings({"SWITCHBOARD_CONFIG": path})


async def test_config_check_says_valid_or_lists_every_problem(tmp_path: Path) -> None:
    code, output = await run_bot(environment(), "config", "check", "switchboard.yaml")
    assert (code, output) == (0, "switchboard.yaml: valid\n")
    path = write(tmp_path, "delivery:\n  timeout: -5\n  concurrency: true\nautomaton: {}\n")
    code, output = await run_bot(environment(), "config", "check", path)
    assert code == 2
    assert output.splitlines() == [
        f"{path}:2: delivery.timeout: must be greater than 0 (got -5)",
        f"{path}:3: delivery.concurrency: must be a whole number (got True)",
        f"{path}:4: automaton: unknown key (did you mean automation?)",
    ]


async def test_config_check_reads_switchboard_config_without_a_file_argument(
    tmp_path: Path,
) -> None:
    path = write(tmp_path, "runtime_service: maybe\n")
    code, output = await run_bot(environment(path), "config", "check")
    assert code == 2
    assert output == f"{path}:1: runtime_service: must be true or false (got 'maybe')\n"


async def test_config_schema_is_a_json_schema_the_shipped_files_meet() -> None:
    code, output = await run_bot(environment(), "config", "schema")
    assert code == 0
    schema = json.loads(output)
    jsonschema.Draft202012Validator.check_schema(schema)
    validator = jsonschema.Draft202012Validator(schema)
    for name in ("switchboard.yaml", "docker/switchboard.yaml"):
        document = yaml.safe_load((ROOT / name).read_text(encoding="utf-8"))
        assert list(validator.iter_errors(document)) == [], name
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    example = next(b for b in re.findall(r"```yaml\n(.*?)```", readme, re.S) if "services:" in b)
    assert list(validator.iter_errors(yaml.safe_load(example))) == []
    for flow in ("callback", "qualify_lead"):
        steps = yaml.safe_load((ROOT / "flows" / f"{flow}.yaml").read_text(encoding="utf-8"))
        inline = {"automation": {"flows": {flow: steps}}}
        assert list(validator.iter_errors(inline)) == [], flow
    bad = {"automaton": {}, "delivery": {"timeout": "soon", "concurrency": True}}
    assert len(list(validator.iter_errors(bad))) == 3
    properties = schema["properties"]
    assert properties["delivery"]["$ref"] == "#/$defs/DeliveryFile"
    assert "description" in schema["$defs"]["DeliveryFile"]["properties"]["concurrency"]


def test_the_readme_example_is_a_valid_file(tmp_path: Path) -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    block = next(b for b in re.findall(r"```yaml\n(.*?)```", readme, re.S) if "services:" in b)
    path = write(tmp_path, block)
    env = {"SWITCHBOARD_CONFIG": path, "SUPPORT_WEBHOOK_SECRET": "s"}
    with chdir(ROOT):  # the example's flow files are the project's
        assert load_settings(env).services[0].name == "support"


def rewrite(path: Path, text: str, mtime: int) -> None:
    """Change the file, with a modification time of its own whatever the clock's precision."""
    path.write_text(text, encoding="utf-8")
    os.utime(path, (mtime, mtime))


class Refusals(logging.Handler):
    """Sets ``seen`` when the watcher logs that it kept the running automation."""

    def __init__(self, level: int) -> None:
        super().__init__(level)
        self.seen = asyncio.Event()
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())
        self.seen.set()


async def test_a_reloaded_file_that_is_invalid_keeps_the_running_automation(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(watch, "POLL_SECONDS", 0.02)
    path = Path(write(tmp_path, "automation:\n  welcome: first\n"))
    applied: list[str] = []
    changed = asyncio.Event()
    refusals = Refusals(logging.ERROR)
    watch.log.addHandler(refusals)

    async def apply(automation: AutomationSettings, services: Sequence[Service]) -> None:
        applied.append(automation.welcome)
        changed.set()

    stopping = asyncio.Event()
    watcher = asyncio.create_task(watch.watch_config(str(path), apply, stopping))
    await asyncio.sleep(0)  # the watcher notes the file's first modification time
    try:
        rewrite(path, "automation:\n  welcome: second\n  reply_interval: -1\n", 1)
        await asyncio.wait_for(refusals.seen.wait(), 10)
        rewrite(path, "automation:\n  welcome: third\n", 2)
        await asyncio.wait_for(changed.wait(), 10)
    finally:
        stopping.set()
        await watcher
        watch.log.removeHandler(refusals)
    assert applied == ["third"]
    [message] = refusals.messages
    assert message.endswith(f"{path}:3: automation.reply_interval: must be at least 0 (got -1)")


@pytest.mark.parametrize(
    ("variables", "problem"),
    [
        ({"TELEGRAM_BOT_TOKEN": "not-a-token-value"}, "TELEGRAM_BOT_TOKEN: must be a bot token"),
        ({"TELEGRAM_MODE": "push"}, "TELEGRAM_MODE=push: must be 'polling' or 'webhook'"),
        ({"WHATSAPP_MESSAGES_PER_SECOND": "0"}, "WHATSAPP_MESSAGES_PER_SECOND=0: must be greater"),
        ({"WHATSAPP_API_BASE": "graph"}, "WHATSAPP_API_BASE=graph: must be an http(s) URL"),
        ({"TELEGRAM_TEAM_CHAT_ID": "-100"}, "Telegram is half configured: set TELEGRAM_BOT_TOKEN"),
        ({"SMS_FROM": "+447700900123"}, "SMS is half configured: set TWILIO_ACCOUNT_SID"),
    ],
)
def test_channel_variables_are_checked_and_secrets_never_shown(
    tmp_path: Path, variables: dict[str, str], problem: str
) -> None:
    with pytest.raises(ConfigError) as raised:
        load_settings({"SWITCHBOARD_CONFIG": write(tmp_path, ""), **variables})
    [line] = raised.value.problems
    assert line.startswith(problem)
    assert "not-a-token-value" not in line


def test_a_redis_cluster_url_is_a_redis_url() -> None:
    for url in ("redis+cluster://10.0.0.5:7000", "rediss+cluster://10.0.0.5:7000"):
        assert load_settings({"SWITCHBOARD_CONFIG": os.devnull, "REDIS_URL": url}).redis_url == url


def test_a_team_member_s_phone_is_kept_in_e164_and_a_bad_one_refused(tmp_path: Path) -> None:
    text = (
        "team:\n  - {email: ann@example.com, phone: '07911 123456'}\n  - {email: bob@example.com}\n"
    )
    settings = load_settings({"SWITCHBOARD_CONFIG": write(tmp_path, text), "DEFAULT_REGION": "GB"})
    assert [member.phone for member in settings.team] == ["+447911123456", ""]
    for phone, message in (
        ("'12'", r"team\[0\]\.phone: '12'"),
        ("'tg:123'", "is not a phone number"),
        ("447700900123", r"team\[0\]\.phone"),
        ("'" + "7" * 5000 + "'", r"team\[0\]\.phone"),
    ):
        bad = f"team:\n  - {{email: ann@example.com, phone: {phone}}}\n"
        with pytest.raises(ConfigError, match=message):
            load_settings({"SWITCHBOARD_CONFIG": write(tmp_path, bad)})
