"""Auto-replies (AU-1): an away message outside business hours, a welcome for a first
contact, and keyword or regex rules by priority; at most one per contact per interval
when the configuration sets one; and the fallback answer, when one is configured, for a
message nothing else answered."""

from __future__ import annotations

from dataclasses import dataclass

from bot.config.automation import AutomationSettings, KeywordRule
from handlers.base import Context
from handlers.patterns import RulePattern, rule_pattern


@dataclass(frozen=True, slots=True)
class _CompiledRule:
    rule: KeywordRule
    pattern: RulePattern


class AutoReply:
    """Decides (``check``) and then answers (``handle``); deciding has no side effects."""

    def __init__(self, settings: AutomationSettings) -> None:
        self.settings = settings
        self.welcome = settings.welcome
        self.away = settings.away
        self.interval = settings.reply_interval
        self.fallback = settings.fallback
        # Highest priority first; among equals, the order of the config file.
        ordered = sorted(settings.rules, key=lambda rule: -rule.priority)
        self.rules = [_CompiledRule(rule, rule_pattern(rule)) for rule in ordered]

    def _silent(self, context: Context) -> bool:
        last = context.last_auto_reply
        return bool(self.interval and last is not None and context.now - last < self.interval)

    def check(self, context: Context) -> list[str]:
        if self._silent(context):
            return []  # answered a moment ago: a conversation, not a volley of robots
        if self.away and not self.away.is_open(context.now):
            return [self.away.message]
        answers = []
        if context.first_contact and self.welcome:
            answers.append(self.welcome)
        text = context.message.text
        if text:
            for compiled in self.rules:
                if compiled.pattern.search(text):
                    answers.append(compiled.rule.reply)
                    break
        if self.interval:
            # One answer per interval: the one to the question asked beats the greeting.
            return answers[-1:]
        return answers

    def fallback_for(self, context: Context, answers: list[str]) -> str:
        """The fallback answer when nothing answered and it may go, else ""."""
        if answers or not self.fallback or not context.may_fall_back:
            return ""
        return "" if self._silent(context) else self.fallback

    def handle(self, context: Context) -> None:
        answers = self.check(context)
        fallback = self.fallback_for(context, answers)
        if fallback:
            answers, context.fell_back = [fallback], True
        for answer in answers:
            context.reply(answer)
