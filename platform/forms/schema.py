"""Loading a form definition from a deployed bundle.

A form is a JSON Schema file plus an optional UI schema file (SpiffArena's convention,
react-jsonschema-form keys such as ``ui:order``, ``ui:widget``, ``ui:help``) plus the optional
per-template field rules file (format in ``forms.rules``). ``load_form`` parses and checks all
three once; everything else (rendering, validation, permissions) works on the result.
"""

import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from forms.builder import BuildContext, build_fields
from forms.errors import FormError
from forms.fields import FIELD_TYPES, Field, Option
from forms.i18n import localized, translations
from forms.rules import FieldRules, parse_rules

__all__ = ["FIELD_TYPES", "Field", "FormDefinition", "FormError", "Option", "load_form"]

_INDEX = re.compile(r"\.\d+(?=\.|$)")


def schema_path(path: str) -> str:
    """``items.0.qty`` -> ``items.qty``: data paths carry list indexes, field paths don't."""
    return _INDEX.sub("", path)


@dataclass(frozen=True)
class FormDefinition:
    schema: dict
    ui: dict
    fields: tuple[Field, ...]
    rules: FieldRules
    name: str = ""  # the schema file, for messages

    @property
    def title(self) -> str:
        return self._text("title")

    @property
    def description(self) -> str:
        return self._text("description")

    @property
    def submit_text(self) -> str:
        """The UI schema's ``ui:submitButtonOptions.submitText`` in the active language."""
        button = self.ui.get("ui:submitButtonOptions")
        button = button if isinstance(button, dict) else {}
        texts = {**translations(self.schema, "submitText"), **translations(button, "submitText")}
        return str(localized(str(button.get("submitText") or ""), texts))

    def _text(self, key: str) -> str:
        """The form's own text in the active language (see forms.i18n)."""
        return str(
            localized(str(self.schema.get(key) or "").strip(), translations(self.schema, key))
        )

    def walk(self) -> Iterator[Field]:
        """Every field, depth first (groups before their children)."""
        stack = list(reversed(self.fields))
        while stack:
            current = stack.pop()
            yield current
            stack.extend(reversed(current.children))

    @cached_property
    def by_path(self) -> dict[str, Field]:
        return {f.path: f for f in self.walk()}

    def get(self, path: str) -> Field | None:
        """The field at a data path (list indexes allowed), or None."""
        return self.by_path.get(schema_path(path))


def load_form(
    files: Mapping[str, str],
    schema_name: str,
    ui_name: str | None = None,
    rules_name: str | None = None,
) -> FormDefinition:
    """Parse and check one form of a bundle. Raises FormError naming the file and field.

    Without ``ui_name`` the conventional sibling is used when the bundle has one:
    ``x.schema.json`` -> ``x.uischema.json`` (flowdesk), ``x-schema.json`` ->
    ``x-uischema.json`` (SpiffArena).
    """
    schema = _read_json(files, schema_name)
    if not isinstance(schema, dict) or schema.get("type", "object") != "object":
        raise FormError(f"{schema_name}: a form schema must be a JSON object of type 'object'")
    if ui_name is None:
        ui_name = _sibling_ui_name(files, schema_name)
    ui = _read_json(files, ui_name) if ui_name else {}
    if not isinstance(ui, dict):
        raise FormError(f"{ui_name}: a UI schema must be a JSON object")
    rules = parse_rules(_read_json(files, rules_name), rules_name) if rules_name else FieldRules()
    fields = build_fields(schema, ui, BuildContext(schema_name, schema, files))
    return FormDefinition(schema=schema, ui=ui, fields=fields, rules=rules, name=schema_name)


def _read_json(files: Mapping[str, str], name: str) -> Any:
    if name not in files:
        raise FormError(f"{name}: file not found in the bundle")
    text = files[name]
    if isinstance(text, bytes):
        text = text.decode("utf-8-sig")
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise FormError(
            f"{name}: invalid JSON ({exc.msg}, line {exc.lineno} column {exc.colno})"
        ) from None


def _sibling_ui_name(files: Mapping[str, str], schema_name: str) -> str | None:
    for suffix, ui_suffix in (
        (".schema.json", ".uischema.json"),
        ("-schema.json", "-uischema.json"),
    ):
        if schema_name.endswith(suffix):
            candidate = schema_name[: -len(suffix)] + ui_suffix
            return candidate if candidate in files else None
    return None
