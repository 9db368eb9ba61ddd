"""Auto-replies: a welcome for a first contact, and keyword or regex rules by priority."""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.config import AutomationSettings, KeywordRule
from handlers.base import Context


@dataclass(frozen=True, slots=True)
class _CompiledRule:
    rule: KeywordRule
    regex: re.Pattern[str]


class AutoReply:
    """Decides (``check``) and then answers (``handle``); deciding has no side effects."""

    def __init__(self, settings: AutomationSettings) -> None:
        self.welcome = settings.welcome
        # Highest priority first; among equals, the order of the config file.
        ordered = sorted(settings.rules, key=lambda rule: -rule.priority)
        self.rules = [_CompiledRule(rule, _compile(rule)) for rule in ordered]

    def check(self, context: Context) -> list[str]:
        answers = []
        if context.first_contact and self.welcome:
            answers.append(self.welcome)
        text = context.message.text
        if text:
            for compiled in self.rules:
                if compiled.regex.search(text):
                    answers.append(compiled.rule.reply)
                    break
        return answers

    def handle(self, context: Context) -> None:
        for answer in self.check(context):
            context.reply(answer)


def _compile(rule: KeywordRule) -> re.Pattern[str]:
    if rule.pattern:
        return re.compile(rule.pattern, re.IGNORECASE)
    words = "|".join(re.escape(word) for word in rule.keywords)
    return re.compile(rf"(?<!\w)(?:{words})(?!\w)", re.IGNORECASE)
