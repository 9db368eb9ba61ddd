"""A keyword rule in a script written without spaces between words (Chinese, Japanese,
Thai...) answered only a message that was the keyword alone: ``keywords: [你好]`` did not
answer "你好吗" nor "我说你好", since a run of such characters is one "word" to a whole-word
match. In those scripts a keyword is found anywhere in the message; in others it is still
a whole word ("hi" is not in "this")."""

from __future__ import annotations

import pytest

from bot.config.automation import KeywordRule
from handlers.patterns import rule_pattern


def _matches(keyword: str, text: str) -> bool:
    return rule_pattern(KeywordRule(reply="x", keywords=(keyword,))).search(text)


@pytest.mark.parametrize(
    ("keyword", "text"),
    [
        ("你好", "你好吗"),
        ("你好", "我说你好"),
        ("营业时间", "请问营业时间是几点?"),
        ("予約", "明日の予約をしたいです"),
        ("ราคา", "ขอราคาหน่อย"),
        ("price 价格", "price 价格多少"),
    ],
)
def test_a_keyword_of_a_script_without_spaces_is_found_within_words(
    keyword: str, text: str
) -> None:
    assert _matches(keyword, text)


@pytest.mark.parametrize(
    ("keyword", "text"), [("hi", "this"), ("price", "priceless"), ("hours", "你好hours了")]
)
def test_a_keyword_of_spaced_words_is_still_a_whole_word(keyword: str, text: str) -> None:
    assert _matches(keyword, text) is (keyword == "hours")
