"""Subjects and bodies in Django template syntax, rendered as plain text.

Every channel carries text (email is sent as text/plain; the inbox escapes on display), so
autoescaping is off: "<" in a customer name must reach an SMS as "<", not "&lt;".
Context values are used as given; masking fields is the caller's job.
"""

import json
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
