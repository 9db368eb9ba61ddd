"""The log's JSON lines were redacted once encoded, where a secret's quote or backslash is
escaped: a secret holding one (an admin token, a service's ``${VAR}`` secret, chosen by
people) was printed whole, in the line of a config reload it broke for instance; and a
refusal that quotes a value with ``repr`` doubled its backslash, so ``config check`` showed
most of it. Every line is redacted of each secret however it is quoted."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable

import pytest

from bot.logs import JSONFormatter, Redactor, TextFormatter, secrets_in

SECRETS = [
    'abc"defghijkl0123',
    "tok\\enabcdefgh0123",
    "it's-a-secret-0123",
    "Abc'defghijklmnopqrstuvwxyz0123456789\\zz",
]


def record(message: str) -> logging.LogRecord:
    return logging.LogRecord("bot.config.watch", logging.ERROR, "", 0, message, (), None)


def beside_a_quote(value: str) -> str:
    """As a refusal shows a value holding the secret after a double quote of its own."""
    return repr(f'x"{value}')


@pytest.mark.parametrize("secret", SECRETS)
@pytest.mark.parametrize("shown", [str, repr, beside_a_quote])
def test_a_secret_is_redacted_however_it_is_quoted(
    secret: str, shown: Callable[[str], str]
) -> None:
    redact = Redactor(secrets_in({"SUPPORT_SECRET": secret}))
    message = f"automation.rules[0].priority: must be a whole number (got {shown(secret)})"
    line = JSONFormatter(redact).format(record(message))
    assert "[redacted]" in json.loads(line)["event"]
    for part in (secret[:8], secret[-8:]):
        assert part not in json.loads(line)["event"], line
    text = TextFormatter(redact).format(record(message))
    assert secret[:8] not in text and secret[-8:] not in text, text
    said = Redactor([secret], cut=True)(message)  # as config check redacts its refusals
    assert secret[-8:] not in said and repr(secret)[-9:-1] not in said, said
