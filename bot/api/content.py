"""What a reply over ``/v1`` carries besides its words: a WhatsApp template, buttons and a
list to choose from, or media; each checked whole before anything is queued (REL-4)."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from adapters import sms
from bot.api.common import ApiError, only_fields, string_field
from bot.config.templates import META_REFUSES
from bot.core.media import FILE_NAME
from handlers.command_kit import has_control_characters

REPLY_KEYS = frozenset({"text", "agent", "template", "interactive", "media"})
MEDIA_KEYS = frozenset({"type", "url", "id", "caption", "filename"})
MEDIA_TYPES = ("image", "document", "audio", "video")
MAX_URL, MAX_CAPTION, MAX_FILENAME = 2048, 1024, 240
MEDIA_ID = re.compile(r"[0-9]{1,64}")
"""The id Meta gives a file uploaded to it."""
UPLOAD_ID = re.compile(r"med_[A-Za-z0-9_-]{22}")
"""The id ``POST /v1/media`` gives a file uploaded here."""
TEMPLATE_KEYS = frozenset({"name", "language", "variables", "components"})
INTERACTIVE_KEYS = frozenset({"buttons", "list"})
TEMPLATE_NAME = re.compile(r"[a-z0-9_]{1,512}")
"""Meta's names: lowercase letters, digits and underscores."""
LANGUAGE = re.compile(r"[a-z]{2,3}(_[A-Za-z]{2,4})?")
MAX_VARIABLES, MAX_VARIABLE = 20, 1024
COMPONENT_TYPES = ("header", "body", "button", "carousel", "limited_time_offer")
CARD_COMPONENT_TYPES = ("header", "body", "button")
"""What a carousel's card holds: its header, body and buttons, as a template does."""
MAX_CARDS = 10
MAX_COMPONENTS, MAX_COMPONENTS_BYTES = 10, 16_384
MAX_BUTTONS, BUTTON_TITLE = 3, 20
"""WhatsApp's reply buttons: at most 3, of at most 20 characters."""
MAX_ROWS, ROW_TITLE = 10, 24
"""WhatsApp's list: at most 10 rows of at most 24 characters."""
WINDOWLESS = "templates are WhatsApp's; on {channel} there is no 24-hour window, send 'text'"


@dataclass(frozen=True, slots=True)
class Content:
    """A reply's text, template and choices, checked."""

    text: str
    template: dict[str, Any] | None = None
    """The Cloud API's ``template`` object: name, ``language.code`` and components."""
    choices: tuple[str, ...] = ()
    media: dict[str, str] | None = None
    """``kind``; ``link``, ``upload`` (a file of ours) or ``id`` (Meta's); ``caption`` and
    ``filename``: sent as each channel sends files."""


def reply_content(found: dict[str, Any], channel: str) -> Content:
    """The reply in ``found`` for a conversation on ``channel``; ApiError(400) says what is
    wrong. A template goes only on WhatsApp: the other channels have no window to reopen."""
    only_fields(found, REPLY_KEYS, "a reply takes " + _keys())
    if found.get("template") is not None:
        if found.get("text") or found.get("interactive") is not None:
            raise ApiError(400, "a template carries its own words: send it without text")
        if channel != "whatsapp":
            raise ApiError(400, WINDOWLESS.format(channel=channel))
        return Content("", template=template_body(found["template"]))
    if found.get("media") is not None:
        if found.get("text") or found.get("interactive") is not None:
            raise ApiError(400, "media carries its own words: put them in media.caption")
        return media_content(found["media"], channel)
    text = string_field(found, "text")
    choices = () if found.get("interactive") is None else interactive_choices(found["interactive"])
    if channel == "sms" and (problem := sms.body_problem(text, choices)):
        raise ApiError(400, problem)
    return Content(text, choices=choices)


def _keys() -> str:
    return ", ".join(sorted(REPLY_KEYS))


def template_body(value: Any) -> dict[str, Any]:
    """``{name, language, variables | components}`` as the Cloud API's ``template`` object:
    variables become the body's text parameters; components go as given."""
    if not isinstance(value, dict):
        raise ApiError(400, "'template' must be an object with name and language")
    unknown = sorted(str(key)[:40] for key in value.keys() - TEMPLATE_KEYS)
    if unknown:
        raise ApiError(400, f"unknown template field(s) {', '.join(unknown)}")
    name, language = value.get("name"), value.get("language", "en")
    if not isinstance(name, str) or not TEMPLATE_NAME.fullmatch(name):
        raise ApiError(400, "template.name: 1 to 512 lowercase letters, digits and _")
    if not isinstance(language, str) or not LANGUAGE.fullmatch(language):
        raise ApiError(400, "template.language: a language code such as en or en_US")
    body: dict[str, Any] = {"name": name, "language": {"code": language}}
    variables, components = value.get("variables"), value.get("components")
    if variables is not None and components is not None:
        raise ApiError(400, "template: give variables or components, not both")
    if variables is not None:
        texts = _variables(variables)
        if texts:
            parameters = [{"type": "text", "text": text} for text in texts]
            body["components"] = [{"type": "body", "parameters": parameters}]
    elif components is not None:
        body["components"] = _components(components)
    return body


def _variables(value: Any) -> list[str]:
    if not isinstance(value, list) or len(value) > MAX_VARIABLES:
        raise ApiError(400, f"template.variables: a list of at most {MAX_VARIABLES} strings")
    if not all(isinstance(v, str) for v in value):
        raise ApiError(400, "template.variables: each is a string")
    if any(not v.strip() or len(v) > MAX_VARIABLE for v in value):
        raise ApiError(400, f"template.variables: each is 1 to {MAX_VARIABLE} characters")
    if any(has_control_characters(v) or META_REFUSES.search(v) for v in value):
        # Meta refuses these in a parameter (132018); other control characters are ours.
        raise ApiError(
            400,
            "template.variables may not contain new lines, tabs, controls or more than 4 "
            "spaces in a row",
        )
    return list(value)


def _components(value: Any) -> list[dict[str, Any]]:
    if not isinstance(value, list) or not 1 <= len(value) <= MAX_COMPONENTS:
        raise ApiError(400, f"template.components: a list of 1 to {MAX_COMPONENTS} objects")
    _each_component(value, COMPONENT_TYPES, "template.components")
    if len(json.dumps(value, ensure_ascii=False).encode()) > MAX_COMPONENTS_BYTES:
        raise ApiError(400, f"template.components: at most {MAX_COMPONENTS_BYTES} bytes")
    return value


def _each_component(value: list[Any], types: tuple[str, ...], where: str) -> None:
    """Each component is of one of ``types``, with its parameters checked; a carousel's
    cards (Meta's media card carousel template) hold components of their own."""
    for component in value:
        if not isinstance(component, dict) or component.get("type") not in types:
            raise ApiError(400, f"{where}: each an object of type {', '.join(types)}")
        _parameters(component.get("parameters", []))
        if component["type"] == "carousel":
            _cards(component.get("cards"))


def _cards(value: Any) -> None:
    where = "template.components[].cards"
    if not isinstance(value, list) or not 1 <= len(value) <= MAX_CARDS:
        raise ApiError(400, f"{where}: a list of 1 to {MAX_CARDS} cards")
    for card in value:
        components = card.get("components") if isinstance(card, dict) else None
        if not isinstance(components, list) or not components:
            raise ApiError(400, f"{where}: each an object with its components")
        _each_component(components, CARD_COMPONENT_TYPES, f"{where}[].components")


def _parameters(value: Any) -> None:
    """A component's ``parameters``, held to the rules ``variables`` are: a text that Meta
    would refuse (132018) is a 400 here, not a send that fails later."""
    where = "template.components[].parameters"
    if not isinstance(value, list) or len(value) > MAX_VARIABLES:
        raise ApiError(400, f"{where}: a list of at most {MAX_VARIABLES} objects")
    for parameter in value:
        if not isinstance(parameter, dict) or not isinstance(parameter.get("type"), str):
            raise ApiError(400, f"{where}: each an object with a type")
        if parameter["type"] != "text":
            continue
        text = parameter.get("text")
        if not isinstance(text, str) or not text.strip() or len(text) > MAX_VARIABLE:
            raise ApiError(
                400, f"{where}: a text parameter's text is 1 to {MAX_VARIABLE} characters"
            )
        if has_control_characters(text) or META_REFUSES.search(text):
            raise ApiError(
                400,
                f"{where}: a text may not contain new lines, tabs, controls or more than 4 "
                "spaces in a row",
            )


def interactive_choices(value: Any) -> tuple[str, ...]:
    """``{buttons: [..]}`` (1 to 3) or ``{list: [..]}`` (1 to 10): the choices offered,
    which each channel renders as it renders automation's (CH-6)."""
    if not isinstance(value, dict) or len(value) != 1 or not value.keys() <= INTERACTIVE_KEYS:
        raise ApiError(400, "'interactive' must be an object with one of buttons or list")
    kind, choices = next(iter(value.items()))
    most, longest = (MAX_BUTTONS, BUTTON_TITLE) if kind == "buttons" else (MAX_ROWS, ROW_TITLE)
    where = f"interactive.{kind}"
    if not isinstance(choices, list) or not 1 <= len(choices) <= most:
        raise ApiError(400, f"{where}: a list of 1 to {most} titles")
    if not all(isinstance(choice, str) for choice in choices):
        raise ApiError(400, f"{where}: each title is a string")
    titles = tuple(choice.strip() for choice in choices)
    if any(not 1 <= len(title) <= longest for title in titles):
        raise ApiError(400, f"{where}: each title is 1 to {longest} characters")
    if any(has_control_characters(title) or "\n" in title or "\t" in title for title in titles):
        raise ApiError(400, f"{where}: titles may not contain new lines, tabs or controls")
    if len({title.casefold() for title in titles}) < len(titles):
        raise ApiError(400, f"{where}: two titles are the same")
    return titles


def media_content(value: Any, channel: str) -> Content:
    """``{type, url | id, caption, filename}``: an image, document, audio or video by URL,
    by the id of a file uploaded here, or (WhatsApp only) by the id Meta gave a file."""
    if not isinstance(value, dict):
        raise ApiError(400, "'media' must be an object with type and url or id")
    unknown = sorted(str(key)[:40] for key in value.keys() - MEDIA_KEYS)
    if unknown:
        raise ApiError(400, f"unknown media field(s) {', '.join(unknown)}")
    kind = value.get("type")
    if kind not in MEDIA_TYPES:
        raise ApiError(400, f"media.type is one of {', '.join(MEDIA_TYPES)}")
    if ("url" in value) == ("id" in value):
        raise ApiError(400, "media: give url or id, one of them")
    media = {"kind": kind}
    found_id = value.get("id")
    if "url" in value:
        media["link"] = _url(value["url"])
    elif isinstance(found_id, str) and UPLOAD_ID.fullmatch(found_id):
        media["upload"] = found_id
    elif not isinstance(found_id, str) or not MEDIA_ID.fullmatch(found_id):
        raise ApiError(400, "media.id: the id POST /v1/media gave (med_...) or WhatsApp's (digits)")
    elif channel != "whatsapp":
        raise ApiError(
            400, f"media.id in digits is an upload to WhatsApp; on {channel} upload here"
        )
    else:
        media["id"] = found_id
    for key, limit in (("caption", MAX_CAPTION), ("filename", MAX_FILENAME)):
        if key in value:
            media[key] = _media_string(value[key], key, limit)
    if "filename" in media and not FILE_NAME.fullmatch(media["filename"]):
        # As an upload's: "evil" + U+202E + "gnp.exe" would show as evilexe.png
        raise ApiError(400, "media.filename: no slashes, quotes, controls or direction marks")
    if "caption" in media and kind == "audio":
        raise ApiError(400, "media.caption: audio takes none")
    # An MMS's caption is its Body: Twilio's 1,600 characters, an emoji counted as two.
    if channel == "sms" and (problem := sms.body_problem(media.get("caption", ""))):
        raise ApiError(400, f"media.caption: {problem}")
    if "filename" in media and kind != "document":
        raise ApiError(400, "media.filename: for a document only")
    return Content("", media=media)


def _url(value: Any) -> str:
    if not isinstance(value, str) or not 1 <= len(value) <= MAX_URL:
        raise ApiError(400, f"media.url: a string of up to {MAX_URL} characters")
    if any(c.isspace() for c in value) or has_control_characters(value):
        raise ApiError(400, "media.url may not contain spaces or control characters")
    try:
        parsed = urlsplit(value)
    except ValueError:
        raise ApiError(400, "media.url is not a URL") from None
    if parsed.scheme not in ("https", "http") or not parsed.hostname:
        raise ApiError(400, "media.url: an http or https URL the channel can fetch")
    return value


def _media_string(value: Any, key: str, limit: int) -> str:
    if not isinstance(value, str) or not value.strip() or len(value) > limit:
        raise ApiError(400, f"media.{key}: a string of 1 to {limit} characters")
    if has_control_characters(value):
        raise ApiError(400, f"media.{key} may not contain control characters")
    return value.strip()
