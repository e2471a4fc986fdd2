"""Subjects and bodies in Django template syntax, rendered as plain text.

Every channel carries text (email is sent as text/plain; the inbox escapes on display), so
autoescaping is off: "<" in a customer name must reach an SMS as "<", not "&lt;".
Masking is not this module's to decide (notify must not know tickets): the tickets app
registers a redactor (`set_redactor`), asked once per recipient of a notification about a
ticket, and every context value, rendered subject and body and webhook payload passes
through what it returns.
"""

import json
from collections.abc import Callable, Mapping
from functools import lru_cache
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.template import Context, Engine, Template, TemplateSyntaxError

_ENGINE = Engine(autoescape=False, string_if_invalid="")


class RenderError(ValueError):
    """A template does not compile or failed while rendering."""


@lru_cache(maxsize=512)
def _compile(text: str) -> Template:
    return _ENGINE.from_string(text)


def check_template(text: str) -> None:
    """Raise RenderError when `text` is not valid template syntax."""
    try:
        _compile(text)
    except TemplateSyntaxError as exc:
        raise RenderError(f"template syntax error: {exc}") from exc


def render(text: str, context: dict[str, Any]) -> str:
    if not text:
        return ""
    if "{" not in text:
        return text
    try:
        return _compile(text).render(Context(context, autoescape=False))
    except Exception as exc:  # a template is data: its failure must not break the caller
        raise RenderError(f"cannot render template: {exc}") from exc


class _LenientEncoder(DjangoJSONEncoder):
    def default(self, o):
        try:
            return super().default(o)
        except TypeError:
            return str(o)


def json_safe(value: Any) -> Any:
    """A JSON-storable copy: dates, Decimals and UUIDs as strings, anything else via str()."""
    return json.loads(json.dumps(value, cls=_LenientEncoder))


# A function (recipient user or None, ticket id, context) -> a function applied to every
# value sent to that recipient (None: nothing to hide).
Redactor = Callable[[Any, int | None, Mapping[str, Any]], Callable[[Any], Any] | None]
_redactor: list[Redactor] = []


def set_redactor(redactor: Redactor | None) -> None:
    """Register the one redactor (tickets.visibility does it when the app is ready)."""
    _redactor[:] = [redactor] if redactor is not None else []


def _unchanged(value: Any) -> Any:
    return value


def redaction_for(recipient, ticket_id: int | None, context: Mapping[str, Any]):
    """What `recipient` (None: a raw address or a webhook) may read of `context` and of the
    texts rendered from it."""
    if not _redactor or ticket_id is None:
        return _unchanged
    return _redactor[0](recipient, ticket_id, context) or _unchanged
