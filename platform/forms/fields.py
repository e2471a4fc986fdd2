"""Normalized fields: one ``Field`` per JSON Schema property, whatever way the type was spelled
(``forms.builder`` makes them from the schema files).

Field types: text, textarea, number, integer, money, date, datetime, select, multi-select,
radio, checkbox, cascade, address (forms.regions), user, customer, part, warehouse, file,
rating, and the containers group (an object) and list (an array of objects).
"""

import copy
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.utils.functional import lazy
from django.utils.translation import gettext, gettext_lazy

FIELD_TYPES = (
    "text", "textarea", "number", "integer", "money", "date", "datetime", "select",
    "multi-select", "radio", "checkbox", "cascade", "address", "user", "customer", "part",
    "warehouse", "file", "rating", "group", "list",
)  # fmt: skip
PICKER_TYPES = frozenset({"user", "customer", "part", "warehouse"})
PICKER_NOUNS = {
    "user": gettext_lazy("user"),
    "customer": gettext_lazy("customer"),
    "part": gettext_lazy("part"),
    "warehouse": gettext_lazy("warehouse"),
}
CHOICE_TYPES = frozenset({"select", "multi-select", "radio"})
ALIASES = {
    "boolean": "checkbox",
    "multiselect": "multi-select",
    "string": "text",
    "object": "group",
}
INPUT_TYPES = frozenset({"text", "password", "email", "tel", "url", "hidden", "search"})
SPIFF_OPTIONS_PREFIX = "options_from_task_data_var:"
DEFAULT_MAX_BYTES = 10 * 1024 * 1024  # bounds memory when a form names no x-max-bytes
UNSET: Any = type("Unset", (), {"__repr__": lambda self: "UNSET"})()


def option_key(value: Any) -> str:
    """The string an option value travels as in HTML (and is matched by when posted back)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return ""
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


@dataclass(frozen=True)
class Option:
    value: Any
    label: str
    children: tuple["Option", ...] = ()

    @property
    def key(self) -> str:
        return option_key(self.value)


@dataclass(frozen=True)
class Field:
    name: str  # key inside its parent object
    path: str  # dotted from the form root, without list indexes ("items.qty")
    type: str  # one of FIELD_TYPES
    title: str
    required: bool = False
    default: Any = None
    default_expr: str | None = None
    options: tuple[Option, ...] = ()
    options_var: str | None = None  # SpiffArena "options_from_task_data_var:<name>"
    multiple: bool = False  # pickers and files holding a list
    description: str = ""
    help: str = ""
    placeholder: str = ""
    widget: str = ""  # ui:widget as written
    input_type: str = "text"
    minimum: Decimal | None = None
    maximum: Decimal | None = None
    exclusive_minimum: Decimal | None = None
    exclusive_maximum: Decimal | None = None
    multiple_of: Decimal | None = None
    min_length: int | None = None
    max_length: int | None = None
    pattern: str | None = None
    format: str | None = None
    error_message: str = ""  # the schema's validationErrorMessage (SpiffArena)
    min_items: int | None = None
    max_items: int | None = None
    unique_items: bool = False
    max_bytes: int | None = None
    accept: tuple[str, ...] = ()
    levels: tuple[str, ...] = ()  # cascade level labels
    allow_partial: bool = False
    mask: str | None = None
    currency: str = "CNY"  # money: x-currency, an ISO 4217 code
    read_only: bool = False
    empty_value: Any = UNSET
    children: tuple["Field", ...] = ()
    ui: Mapping[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @property
    def enum(self) -> tuple[Any, ...]:
        return tuple(option.value for option in self.options)

    @property
    def is_container(self) -> bool:
        return self.type in ("group", "list")


def _level_label(index: int) -> str:
    return gettext("Level %(number)d") % {"number": index + 1}


level_label = lazy(_level_label, str)  # a cascade level nobody named


def default_value(f: Field, current: Any) -> Any:
    """What field ``f`` holds when the data has nothing for it (``current`` is None): the
    schema's literal ``default`` (a copy), else None. The one rule for both ways a form is
    filled in: the web form shows this value for the person to keep, and validation fills
    it in for a field an API submission leaves out, so a process never meets the field
    missing where a person would have sent its default."""
    if current is not None or f.default is None or f.is_container or f.type == "file":
        return None
    return copy.deepcopy(f.default)


def field_options(field: Field, data: Mapping[str, Any] | None) -> tuple[Option, ...]:
    """A choice field's options: its own, or SpiffArena's list taken from task data."""
    if not field.options_var:
        return field.options
    raw = (data or {}).get(field.options_var)
    if not isinstance(raw, list):
        return field.options
    options = list(field.options)
    for item in raw:
        if isinstance(item, dict) and "value" in item:
            options.append(Option(item["value"], str(item.get("label", item["value"]))))
        elif isinstance(item, str | int | float) and not isinstance(item, bool):
            options.append(Option(item, str(item)))
    return tuple(options)
