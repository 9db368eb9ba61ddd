"""Stored text as the admin commands print it: a name or a message from a channel may hold
an escape sequence, which a terminal would act on rather than show."""

from __future__ import annotations

from handlers.command_kit import escaped


def printable(text: str) -> str:
    """``text`` safe to print: each control character but the newline and the tab written
    as its escape (``\\x07``, ``\\x1b``), and a Windows line end as a newline."""
    return escaped(text.replace("\r\n", "\n"))
