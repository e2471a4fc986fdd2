"""Form texts in more than one language.

The convention (README, "Forms"): any schema object that carries a text (the form, a
property, a ``oneOf`` alternative, an ``x-options`` item) may add ``"x-i18n"``, a map from a
language code to that object's texts in the language::

    "category": {"title": "Appliance", "enum": ["tv", "fridge"], "enumNames": ["TV", "Fridge"],
                 "x-i18n": {"zh-hans": {"title": "家电", "enumNames": ["电视", "冰箱"]}}}

Keys: ``title``, ``description``, ``help``, ``placeholder``, ``enumNames``, ``levelLabels``
(cascades), ``label`` (options) and ``submitText`` (the form). Codes are matched without case
and by their first part, so ``zh``, ``zh-hans`` and ``zh-CN`` all serve Chinese. The text as
written (``title``...) is the one shown for any other language.

Forms are parsed once and cached, so a text with translations is a lazy string: it becomes
the active language's text each time it is rendered or turned into ``str``.
"""

from collections.abc import Mapping
from typing import Any

from django.utils.functional import lazy
from django.utils.translation import get_language


def translations(obj: Mapping[str, Any], key: str) -> dict[str, str]:
    """``obj``'s texts for ``key`` by language code (lower case, plus the first part)."""
    table = obj.get("x-i18n") if isinstance(obj, Mapping) else None
    found: dict[str, str] = {}
    if not isinstance(table, Mapping):
        return found
    for code, texts in table.items():
        if isinstance(texts, Mapping) and isinstance(texts.get(key), str):
            _index(found, str(code), texts[key])
    return found


def list_translations(obj: Mapping[str, Any], key: str, index: int) -> dict[str, str]:
    """The ``index``-th item of a translated list (``enumNames``) by language code."""
    table = obj.get("x-i18n") if isinstance(obj, Mapping) else None
    found: dict[str, str] = {}
    if not isinstance(table, Mapping):
        return found
    for code, texts in table.items():
        items = texts.get(key) if isinstance(texts, Mapping) else None
        if isinstance(items, list) and index < len(items) and isinstance(items[index], str):
            _index(found, str(code), items[index])
    return found


def _index(found: dict[str, str], code: str, text: str) -> None:
    code = code.lower().replace("_", "-")
    found[code] = text
    found.setdefault(code.split("-")[0], text)


def localized(base: str, texts: Mapping[str, str]) -> str:
    """``base``, or a lazy text that is the active language's translation when there is one."""
    if not texts:
        return base
    return _pick_lazy(base, tuple(sorted(texts.items())))


def _pick(base: str, texts: tuple[tuple[str, str], ...]) -> str:
    table = dict(texts)
    language = (get_language() or "").lower()
    for code in (language, language.split("-")[0]):
        if code in table:
            return table[code]
    return base


_pick_lazy = lazy(_pick, str)
