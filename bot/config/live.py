"""The live chat view's part of the configuration: how long its tokens last, and the
WhatsApp templates Meta approved for the number, which its agents may send."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Literal

from pydantic import Field, field_validator

from bot.config.base import Section, matching

MAX_PARAMETERS = 20


class LiveFile(Section):
    """The live chat view a service embeds in its CRM (``/live``)."""

    token_ttl: float = Field(default=3600.0, ge=30, le=7 * 24 * 3600)
    """Seconds a live token lasts, at most; a service may ask for less."""


Label = Annotated[str, Field(min_length=1, max_length=60)]


class TemplateFile(Section):
    """A WhatsApp template as Meta approved it: what the live view offers to send."""

    name: Annotated[str, matching(r"[a-z0-9_]{1,512}", "lowercase letters, digits and _")]
    language: Annotated[
        str, matching(r"[a-z]{2,3}(_[A-Za-z]{2,4})?", "a language code such as en or en_US")
    ] = "en"
    category: Literal["marketing", "utility", "authentication"] = "utility"
    text: str = Field(default="", max_length=1024)
    """The body as approved, with ``{{1}}``, ``{{2}}`` where the variables go."""
    variables: list[Label] = Field(default=[], max_length=MAX_PARAMETERS)
    """What each of the body's variables holds, in order (``first name``)."""

    @field_validator("variables")
    @classmethod
    def _distinct(cls, variables: list[str]) -> list[str]:
        if len({label.strip().casefold() for label in variables}) < len(variables):
            raise ValueError("two variables have the same label")
        return variables


@dataclass(frozen=True, slots=True)
class ApprovedTemplate:
    """A WhatsApp template the number may send, with what its variables hold."""

    name: str
    language: str
    category: str
    text: str = ""
    variables: tuple[str, ...] = ()


def templates_from(written: list[TemplateFile]) -> tuple[ApprovedTemplate, ...]:
    return tuple(
        ApprovedTemplate(
            t.name, t.language, t.category, t.text, tuple(v.strip() for v in t.variables)
        )
        for t in written
    )
