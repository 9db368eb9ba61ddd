"""Stored text as the admin commands print it: a name or a message from a channel may hold
an escape sequence, which a terminal would act on rather than show."""

from __future__ import annotations

from handlers.command_kit import has_control_characters


def printable(text: str) -> str:
    """``text`` safe to print: each control character but the newline and the tab written
    as its escape (``\\x07``, ``\\x1b``), and a Windows line end as a newline."""
    text = text.replace("\r\n", "\n")
    if not has_control_characters(text):
        return text
    # Every control character (Unicode's Cc) is below U+00A0: two hex digits say it.
    return "".join(f"\\x{ord(c):02x}" if has_control_characters(c) else c for c in text)
