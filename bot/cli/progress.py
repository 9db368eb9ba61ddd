"""A dependency-free progress line for long admin jobs (imports, bulk sends), on stderr."""

from __future__ import annotations

import math
import sys
import time
from collections.abc import Callable
from types import TracebackType
from typing import TextIO

BAR_WIDTH = 20
LOG_STEPS = 10
"""Off a terminal, a line at every tenth of the total."""
LOG_INTERVAL = 10.0
"""Off a terminal with no known total, a line at most this often (seconds)."""


def _is_tty(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):  # no isatty, or a closed stream
        return False


class Progress:
    """Work done out of ``total``, with its percentage and rate.

    On a terminal the line is redrawn in place (``\\r``) at most once per ``interval``
    seconds, so a tight loop does not spend its time printing. Elsewhere (a log file, CI)
    a line is printed at each tenth of the total instead, because ``\\r`` redraws would
    fill a log with thousands of lines. ``total`` None (or 0) means unknown: only the
    count and the rate are shown.
    """

    def __init__(
        self,
        total: int | None,
        label: str = "",
        stream: TextIO | None = None,
        *,
        interval: float = 0.1,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.total = total if total and total > 0 else None
        self.label = label
        self.stream = stream if stream is not None else sys.stderr
        self.count = 0
        self.interval = interval
        self.tty = _is_tty(self.stream)
        self._clock = clock
        self._started = clock()
        self._drawn_at = -math.inf
        self._logged_step = 0
        self._width = 0
        self._closed = False

    @property
    def elapsed(self) -> float:
        return max(self._clock() - self._started, 0.0)

    @property
    def rate(self) -> float:
        """Units per second since the start."""
        elapsed = self.elapsed
        return self.count / elapsed if elapsed > 0 else 0.0

    def advance(self, n: int = 1) -> None:
        """Count ``n`` more units done, and show it when it is time to."""
        self.count += n
        if self._closed:
            return
        now = self._clock()
        if self.tty:
            if now - self._drawn_at >= self.interval:
                self._drawn_at = now
                self._redraw()
        elif self.total:
            step = min(self.count * LOG_STEPS // self.total, LOG_STEPS)
            if step > self._logged_step:
                self._logged_step = step
                self._write(self.render() + "\n")
        elif now - self._drawn_at >= LOG_INTERVAL:
            self._drawn_at = now
            self._write(self.render() + "\n")

    def close(self) -> None:
        """Show the final state and end the line; later calls do nothing."""
        if self._closed:
            return
        self._closed = True
        if self.tty:
            self._redraw()
            self._write("\n")
        elif not self.total or self._logged_step < LOG_STEPS or self.count != self.total:
            self._write(self.render() + "\n")

    def render(self) -> str:
        """The progress line, e.g. ``import  [#####.....] 5,000/10,000   50%  2,140/s``."""
        parts = [self.label] if self.label else []
        if self.total:
            share = min(self.count / self.total, 1.0)
            done = f"{self.count:,}/{self.total:,}  {share:4.0%}"
            if self.tty:
                filled = int(share * BAR_WIDTH)
                done = "[" + "#" * filled + "." * (BAR_WIDTH - filled) + "] " + done
            parts.append(done)
        else:
            parts.append(f"{self.count:,}")
        parts.append(f"{self.rate:,.0f}/s")
        if self.total and self.tty and 0 < self.count < self.total and self.rate > 0:
            parts.append(f"eta {_duration((self.total - self.count) / self.rate)}")
        return "  ".join(parts)

    def _redraw(self) -> None:
        line = self.render()
        # Pad over the end of a longer previous line; no terminal escape codes needed.
        padding = " " * max(self._width - len(line), 0)
        self._width = len(line)
        self._write("\r" + line + padding)

    def _write(self, text: str) -> None:
        try:
            self.stream.write(text)
            self.stream.flush()
        except (OSError, ValueError):  # a closed pipe must not stop the work it reports on
            self._closed = True

    def __enter__(self) -> Progress:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.close()


def _duration(seconds: float) -> str:
    seconds = int(seconds + 0.5)
    if seconds < 60:
        return f"{seconds}s"
    minutes, seconds = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes}m{seconds:02d}s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m"
