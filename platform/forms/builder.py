"""Building ``Field``s from a JSON Schema and its UI schema.

A field's type comes from an explicit ``"x-field": "<type>"`` or from the JSON Schema
``type``/``format``/``enum``/``oneOf`` plus the UI schema's ``ui:widget`` (the SpiffArena /
react-jsonschema-form convention), so forms drawn in SpiffArena load unchanged. Every problem
is a FormError naming the schema file and the field's path.
"""

import json
import posixpath
import re
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils.translation import gettext_lazy

from forms.errors import FormError
from forms.fields import (
    ALIASES,
    CHOICE_TYPES,
    DEFAULT_MAX_BYTES,
    FIELD_TYPES,
    INPUT_TYPES,
    PICKER_TYPES,
    SPIFF_OPTIONS_PREFIX,
    UNSET,
    Field,
    Option,
    level_label,
)
from forms.i18n import list_translations, localized, translations
from forms.rules import MASK_KINDS


@dataclass(frozen=True)
class BuildContext:
    source: str  # schema file name, for messages
    root: Mapping[str, Any]  # the whole schema, for local $ref
    files: Mapping[str, str]  # the bundle, for x-option-source

    def error(self, path: str, message: str) -> FormError:
        return FormError(f"{self.source}: field {path!r}: {message}")


def build_fields(obj: Mapping, ui: Mapping, ctx: BuildContext, prefix: str = "") -> tuple:
    """Fields of an object schema, in ``ui:order`` (with ``*`` for the rest) order."""
    props = obj.get("properties") or {}
    if not isinstance(props, dict):
        raise FormError(f"{ctx.source}: 'properties' of {prefix or 'the form'} must be an object")
    required = set(obj.get("required") or ())
    ui = ui if isinstance(ui, dict) else {}
    for name in props:
        if "." in name or not name:  # dots separate the levels of a data path
            raise ctx.error(prefix + name, "a field name must be non-empty and without '.'")
    return tuple(
        build_field(name, props[name], ui.get(name) or {}, name in required, ctx, prefix)
        for name in ordered_names(list(props), ui.get("ui:order"))
    )


def ordered_names(names: list[str], order: Any) -> list[str]:
    """Apply a ``ui:order`` list; unknown names are ignored and missing ones go to ``*``."""
    if not isinstance(order, list):
        return names
    listed = [n for n in dict.fromkeys(order) if n in names]
    rest = [n for n in names if n not in listed]
    if "*" not in order:
        return listed + rest
    star = order.index("*")
    before = [n for n in order[:star] if n in listed]
    return before + rest + [n for n in listed if n not in before]


def build_field(
    name: str, prop: Any, ui: Mapping, required: bool, ctx: BuildContext, prefix: str
) -> Field:
    path = prefix + name
    prop = _resolve_ref(prop, ctx, path)
    ui = ui if isinstance(ui, dict) else {}
    ftype = _detect_type(prop, ui, ctx, path)
    items = prop.get("items") if isinstance(prop.get("items"), dict) else {}
    items = _resolve_ref(items, ctx, path) if items else {}
    spec = {**items, **prop} if ftype in PICKER_TYPES | {"file"} else prop
    kwargs: dict[str, Any] = {
        **_common(name, prop, ui, ctx, path),
        **_bounds(prop, ftype, ctx, path),
        **_text_rules(prop, ctx, path),
    }
    if ftype in CHOICE_TYPES or ftype == "cascade":
        kwargs.update(_choices(prop, items, ftype, ui, ctx, path))
    if ftype == "file":
        kwargs.update(_file_rules(spec, ctx, path))
    if ftype == "group":
        kwargs["children"] = build_fields(prop, ui, ctx, path + ".")
    if ftype == "list":
        kwargs["children"] = build_fields(items, ui.get("items") or {}, ctx, path + ".")
    multiple = _json_type(prop) == "array" and ftype in PICKER_TYPES | {"file"}
    # A required checkbox must be ticked ("I accept"); so must one whose schema says const: true.
    required = required or (ftype == "checkbox" and prop.get("const") is True)
    return Field(name=name, path=path, type=ftype, required=required, multiple=multiple, **kwargs)


def _json_type(prop: Mapping) -> str | None:
    jtype = prop.get("type")
    if isinstance(jtype, list):  # ["string", "null"]: the null only makes it optional
        jtype = next((t for t in jtype if t != "null"), None)
    return jtype


def _has_choices(prop: Mapping) -> bool:
    return any(k in prop for k in ("enum", "oneOf", "anyOf", "x-options", "x-option-source"))


def _detect_type(prop: Mapping, ui: Mapping, ctx: BuildContext, path: str) -> str:
    explicit = prop.get("x-field")
    if explicit is not None:
        ftype = ALIASES.get(explicit, explicit)
        if ftype not in FIELD_TYPES:
            raise ctx.error(path, f"unknown field type {explicit!r}")
        return ftype
    jtype, widget = _json_type(prop), ui.get("ui:widget")
    if jtype == "object" or (jtype is None and "properties" in prop):
        return "group"
    if jtype == "array":
        return _detect_array_type(prop, ctx, path)
    if jtype == "boolean":  # two named answers (oneOf) are a choice, not a box to tick
        return "radio" if widget == "radio" or "oneOf" in prop else "checkbox"
    if _has_choices(prop):
        return "radio" if widget == "radio" else "select"
    if jtype in ("number", "integer"):
        return "rating" if widget == "rating" else jtype
    if jtype in ("string", None):
        return _detect_string_type(prop.get("format"), widget)
    raise ctx.error(path, f"unsupported JSON Schema type {prop.get('type')!r}")


def _detect_array_type(prop: Mapping, ctx: BuildContext, path: str) -> str:
    items = prop.get("items")
    if not isinstance(items, dict):
        raise ctx.error(path, "an array needs an 'items' schema")
    items = _resolve_ref(items, ctx, path)
    if items.get("type") == "object" or "properties" in items:
        return "list"
    if items.get("x-field") in PICKER_TYPES | {"file"}:
        return items["x-field"]
    if _has_choices(items):
        return "multi-select"
    raise ctx.error(path, "arrays must hold objects, choices (enum/oneOf) or an x-field type")


def _detect_string_type(fmt: Any, widget: Any) -> str:
    if fmt == "date" or widget == "date":
        return "date"
    if fmt == "date-time" or widget in ("datetime", "date-time"):
        return "datetime"
    return "textarea" if widget == "textarea" else "text"


def _common(name: str, prop: Mapping, ui: Mapping, ctx: BuildContext, path: str) -> dict:
    options = ui.get("ui:options") if isinstance(ui.get("ui:options"), dict) else {}
    expr = options.get("defaultExpression", prop.get("x-default-expression"))
    if expr is not None and not (isinstance(expr, str) and expr.strip()):
        raise ctx.error(path, "a default expression must be a non-empty string")
    mask = prop.get("x-mask")
    if mask is not None and mask not in MASK_KINDS:
        raise ctx.error(path, f"unknown mask kind {mask!r}")
    input_type = options.get("inputType") or {"password": "password", "hidden": "hidden"}.get(
        ui.get("ui:widget"), {"email": "email", "uri": "url"}.get(prop.get("format"), "text")
    )
    return {
        "title": _text(str(ui.get("ui:title") or prop.get("title") or name), "title", prop, ui),
        "description": _text(
            str(ui.get("ui:description") or prop.get("description") or ""), "description", prop, ui
        ),
        "help": _text(str(ui.get("ui:help") or ""), "help", prop, ui),
        "placeholder": _text(str(ui.get("ui:placeholder") or ""), "placeholder", prop, ui),
        "widget": str(ui.get("ui:widget") or ""),
        "input_type": input_type if input_type in INPUT_TYPES else "text",
        "default": prop.get("default"),
        "default_expr": expr,
        "format": prop.get("format"),
        "error_message": str(prop.get("validationErrorMessage") or ""),
        "mask": mask,
        "currency": str(prop.get("x-currency") or "CNY").upper(),
        "read_only": bool(prop.get("readOnly") or ui.get("ui:readonly") or ui.get("ui:disabled")),
        "empty_value": ui["ui:emptyValue"] if "ui:emptyValue" in ui else UNSET,
        "ui": ui,
    }


def _text(base: str, key: str, prop: Mapping, ui: Mapping) -> str:
    """A field's text as written, with its x-i18n translations (the UI schema's win)."""
    return localized(base, {**translations(prop, key), **translations(ui, key)}) if base else base


def _number(value: Any, ctx: BuildContext, path: str, key: str) -> Decimal | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        return Decimal(str(value))
    except InvalidOperation:
        raise ctx.error(path, f"{key} must be a number") from None


def _count(prop: Mapping, key: str, ctx: BuildContext, path: str) -> int | None:
    value = prop.get(key)
    if value is not None and (not isinstance(value, int) or isinstance(value, bool) or value < 0):
        raise ctx.error(path, f"{key} must be a non-negative integer")
    return value


def _bounds(prop: Mapping, ftype: str, ctx: BuildContext, path: str) -> dict:
    bounds = {
        "minimum": _number(prop.get("minimum"), ctx, path, "minimum"),
        "maximum": _number(prop.get("maximum"), ctx, path, "maximum"),
        "exclusive_minimum": _number(prop.get("exclusiveMinimum"), ctx, path, "exclusiveMinimum"),
        "exclusive_maximum": _number(prop.get("exclusiveMaximum"), ctx, path, "exclusiveMaximum"),
        "multiple_of": _number(prop.get("multipleOf"), ctx, path, "multipleOf"),
        "min_items": _count(prop, "minItems", ctx, path),
        "max_items": _count(prop, "maxItems", ctx, path),
        "unique_items": bool(prop.get("uniqueItems")),
    }
    if ftype == "rating":  # a 1..5 star rating unless the schema narrows or widens it
        bounds["minimum"] = bounds["minimum"] if bounds["minimum"] is not None else Decimal(1)
        bounds["maximum"] = bounds["maximum"] if bounds["maximum"] is not None else Decimal(5)
    return bounds


def _text_rules(prop: Mapping, ctx: BuildContext, path: str) -> dict:
    pattern = prop.get("pattern")
    if pattern is not None:
        try:
            re.compile(pattern)
        except (re.error, TypeError) as exc:
            raise ctx.error(path, f"invalid pattern: {exc}") from None
    return {
        "min_length": _count(prop, "minLength", ctx, path),
        "max_length": _count(prop, "maxLength", ctx, path),
        "pattern": pattern,
    }


def _file_rules(spec: Mapping, ctx: BuildContext, path: str) -> dict:
    max_bytes = spec.get("x-max-bytes", DEFAULT_MAX_BYTES)
    if not isinstance(max_bytes, int) or isinstance(max_bytes, bool) or max_bytes <= 0:
        raise ctx.error(path, "x-max-bytes must be a positive integer")
    accept = spec.get("x-accept", [])
    if isinstance(accept, str):
        accept = [a.strip() for a in accept.split(",") if a.strip()]
    if not isinstance(accept, list) or not all(isinstance(a, str) and "/" in a for a in accept):
        raise ctx.error(path, "x-accept must be a list of MIME types such as image/png or image/*")
    return {"max_bytes": max_bytes, "accept": tuple(a.lower() for a in accept)}


def _choices(
    prop: Mapping, items: Mapping, ftype: str, ui: Mapping, ctx: BuildContext, path: str
) -> dict:
    source = items if ftype == "multi-select" and _has_choices(items) else prop
    if _json_type(prop) == "boolean":
        return {"options": _yes_no(prop)}
    options, options_var = _read_choices(source, ui, ctx, path)
    if not options and not options_var:
        raise ctx.error(path, "a choice field needs enum, oneOf, x-options or x-option-source")
    result: dict[str, Any] = {"options": options, "options_var": options_var}
    if ftype == "cascade":
        depth = _depth(options)
        opts = ui.get("ui:options") if isinstance(ui.get("ui:options"), dict) else {}
        labels = list(opts.get("levelLabels") or prop.get("x-levels") or [])
        result["levels"] = tuple(
            localized(str(labels[i]), list_translations(prop, "levelLabels", i))
            if i < len(labels)
            else level_label(i)
            for i in range(depth)
        )
        result["allow_partial"] = bool(prop.get("x-allow-partial"))
    return result


def _read_choices(prop: Mapping, ui: Mapping, ctx: BuildContext, path: str) -> tuple:
    if "x-option-source" in prop:
        return _options_tree(_option_file(prop["x-option-source"], ctx, path), ctx, path), None
    if "x-options" in prop:
        return _options_tree(prop["x-options"], ctx, path), None
    for key in ("oneOf", "anyOf"):
        if isinstance(prop.get(key), list):
            return _options_from_alternatives(prop[key], ctx, path)
    enum = prop.get("enum")
    if not isinstance(enum, list):
        return (), None
    labels = prop.get("enumNames") or ui.get("ui:enumNames") or prop.get("x-enum-labels") or []
    return tuple(
        Option(
            v,
            localized(
                str(labels[i]) if i < len(labels) else str(v),
                list_translations(prop, "enumNames", i),
            ),
        )
        for i, v in enumerate(enum)
    ), None


def _yes_no(prop: Mapping) -> tuple[Option, ...]:
    """A boolean's two answers: its oneOf titles (``{"const": true, "title": "Approve"}``)
    when it has them, else Yes and No."""
    if isinstance(prop.get("oneOf"), list):
        titles = {
            alt["const"]: localized(str(alt.get("title", alt["const"])), translations(alt, "title"))
            for alt in prop["oneOf"]
            if isinstance(alt, dict) and isinstance(alt.get("const"), bool)
        }
        if set(titles) == {True, False}:
            return (Option(True, titles[True]), Option(False, titles[False]))
    return (Option(True, gettext_lazy("Yes")), Option(False, gettext_lazy("No")))


def _options_from_alternatives(alts: list, ctx: BuildContext, path: str) -> tuple:
    options, options_var = [], None
    for alt in alts:
        if isinstance(alt, str) and alt.startswith(SPIFF_OPTIONS_PREFIX):
            options_var = alt[len(SPIFF_OPTIONS_PREFIX) :]
        elif isinstance(alt, dict) and "const" in alt:
            title = localized(str(alt.get("title", alt["const"])), translations(alt, "title"))
            options.append(Option(alt["const"], title))
        elif isinstance(alt, dict) and isinstance(alt.get("enum"), list) and len(alt["enum"]) == 1:
            title = localized(str(alt.get("title", alt["enum"][0])), translations(alt, "title"))
            options.append(Option(alt["enum"][0], title))
        else:
            raise ctx.error(path, "oneOf/anyOf entries must be {const, title} objects")
    return tuple(options), options_var


def _option_file(name: Any, ctx: BuildContext, path: str) -> Any:
    if not isinstance(name, str):
        raise ctx.error(path, "x-option-source must name a file in the bundle")
    sibling = posixpath.join(posixpath.dirname(ctx.source), name)
    found = next((n for n in (sibling, name) if n in ctx.files), None)
    if found is None:
        raise ctx.error(path, f"x-option-source {name!r} not found in the bundle")
    try:
        return json.loads(ctx.files[found])
    except json.JSONDecodeError as exc:
        raise FormError(f"{found}: invalid JSON ({exc.msg}, line {exc.lineno})") from None


def _options_tree(raw: Any, ctx: BuildContext, path: str, depth: int = 0) -> tuple:
    if not isinstance(raw, list) or depth > 10:
        raise ctx.error(path, "options must be a list of {value, label, children} (≤ 10 levels)")
    options = []
    for item in raw:
        if isinstance(item, dict) and ("value" in item or "label" in item):
            value = item.get("value", item.get("label"))
            children = _options_tree(item.get("children") or [], ctx, path, depth + 1)
            label = localized(str(item.get("label", value)), translations(item, "label"))
            options.append(Option(value, label, children))
        elif isinstance(item, str | int | float) and not isinstance(item, bool):
            options.append(Option(item, str(item)))
        else:
            raise ctx.error(path, f"bad option {item!r}: expected {{value, label, children}}")
    return tuple(options)


def _depth(options: tuple[Option, ...]) -> int:
    return 1 + max((_depth(o.children) for o in options if o.children), default=0)


def _resolve_ref(prop: Any, ctx: BuildContext, path: str) -> dict:
    """Follow local ``$ref`` (#/definitions/x, #/$defs/x); sibling keys override the target."""
    for _ in range(20):
        if not isinstance(prop, dict):
            raise ctx.error(path, "a property schema must be a JSON object")
        ref = prop.get("$ref")
        if ref is None:
            return prop
        if not isinstance(ref, str) or not ref.startswith("#/"):
            raise ctx.error(path, f"only local $ref is supported, got {ref!r}")
        target: Any = ctx.root
        for part in ref[2:].split("/"):
            target = target.get(part) if isinstance(target, dict) else None
        if target is None:
            raise ctx.error(path, f"$ref {ref!r} not found")
        prop = {**target, **{k: v for k, v in prop.items() if k != "$ref"}}
    raise ctx.error(path, "$ref chain too deep")
