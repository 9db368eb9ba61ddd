"""``serve --workers 100000`` (a typo, or a variable with the wrong value) started
processes without end: 111 after six seconds, the machine's load at 28, until it was
killed. Past 64 the number is refused, before anything starts."""

from __future__ import annotations

from tests.test_issues.test_serve_s_options_without_serve_were_refused import bot_py


def test_too_many_workers_are_refused() -> None:
    done = bot_py("serve", "--workers", "100000")
    assert done.returncode == 2 and "--workers must be at most 64" in done.stderr, done.stderr
