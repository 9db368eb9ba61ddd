"""WhatsApp template messages as the configuration and the API give them: a name, a
language, a category and the body's variables, checked as Meta checks them."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

CATEGORIES = ("marketing", "utility", "authentication")
"""WhatsApp template categories, each billed at its own rate."""
_NAME = re.compile(r"[a-z0-9_]{1,512}")
_LANGUAGE = re.compile(r"[a-z]{2,3}(_[A-Za-z]{2,4})?")
MAX_VARIABLES = 20
MAX_VARIABLE = 1024
META_REFUSES = re.compile(r"[\n\t]| {5,}")
"""What Meta refuses in a template's text parameter (error 132018): "Param text cannot
have new-line/tab characters or more than 4 consecutive spaces"."""
_CONTROLS = re.compile(r"[\x00-\x1f\x7f-\x9f]")


@dataclass(frozen=True, slots=True)
class TemplateSpec:
    """A WhatsApp template message: its name, language, category and body variables."""

    name: str
    language: str
    category: str
    variables: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "language": self.language,
            "category": self.category,
            "variables": list(self.variables),
        }

    @classmethod
    def stored(cls, value: dict[str, Any]) -> TemplateSpec:
        """A template as ``to_dict`` stored it, taken as it was checked then."""
        variables = tuple(value.get("variables", ()))
        return cls(value["name"], value["language"], value["category"], variables)

    def graph_body(self, values: list[str]) -> dict[str, Any]:
        """The Cloud API's ``template`` object with ``values`` as the body's parameters,
        each as Meta takes it (``sendable``)."""
        body: dict[str, Any] = {"name": self.name, "language": {"code": self.language}}
        if values:
            parameters = [{"type": "text", "text": sendable(value)} for value in values]
            body["components"] = [{"type": "body", "parameters": parameters}]
        return body


FIELDS = ("name", "language", "category", "variables")


def template_spec(value: Any, where: str = "template", *, json: bool = False) -> TemplateSpec:
    """A template from its JSON or YAML form; ValueError says what is wrong. A field it
    does not know is refused, not left out (a misspelled ``variables`` would send a
    template with no parameters, which Meta fails); from JSON (the API's), a variable
    must be a string, where YAML's may be a number."""
    if not isinstance(value, dict):
        raise ValueError(f"{where} must be an object with name, language and category")
    if unknown := sorted(str(key) for key in value if key not in FIELDS):
        raise ValueError(
            f"{where}: unknown field(s) {', '.join(unknown)}; it takes {', '.join(FIELDS)}"
        )
    name, language = value.get("name"), value.get("language", "en")
    category, variables = value.get("category"), value.get("variables", [])
    if not isinstance(name, str) or not _NAME.fullmatch(name):
        raise ValueError(f"{where}.name: lowercase letters, digits and _ (as Meta names them)")
    if not isinstance(language, str) or not _LANGUAGE.fullmatch(language):
        raise ValueError(f"{where}.language: a language code such as en or en_US")
    if category not in CATEGORIES:
        raise ValueError(f"{where}.category is one of {', '.join(CATEGORIES)}")
    if (
        not isinstance(variables, list)
        or len(variables) > MAX_VARIABLES
        or not all(
            isinstance(v, str if json else (str, int, float)) and not isinstance(v, bool)
            for v in variables
        )
    ):
        raise ValueError(f"{where}.variables: a list of at most {MAX_VARIABLES} strings")
    texts = tuple(str(v) for v in variables)
    if any(not text.strip() or len(text) > MAX_VARIABLE for text in texts):
        raise ValueError(f"{where}.variables: each is 1 to {MAX_VARIABLE} characters")
    if any(_CONTROLS.search(text) or META_REFUSES.search(text) for text in texts):
        raise ValueError(
            f"{where}.variables: WhatsApp takes no new lines, tabs or more than 4 spaces in a "
            "row in a variable, and no variable may hold control characters"
        )
    return TemplateSpec(name, language, category, texts)


def sendable(value: str) -> str:
    """``value`` as a template's text parameter may hold it. A value filled in from a
    profile or an event, with new lines, tabs or more than 4 spaces in a row, which Meta
    would refuse, has each run of white space made one space."""
    return " ".join(value.split()) if META_REFUSES.search(value) else value


def template_field(value: dict[str, Any]) -> dict[str, Any]:
    """A config file's template, checked as ``template_spec`` checks it."""
    try:
        template_spec(value)
    except ValueError as error:
        raise ValueError(str(error).removeprefix("template.")) from None
    return value
