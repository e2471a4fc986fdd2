"""Camunda generated task forms (`camunda:formData`) as JSON Schema forms.

Camunda Modeler's "Generated Task Forms" declare fields in the BPMN itself. The platform
renders and validates JSON Schema forms read by file name from the bundle, so each form
becomes a generated file `camunda-forms/<element id>.schema.json` in the compiled bundle
and the element's `formKey` names it. Field types: string, long, boolean, date, enum
(with its values); `defaultValue`; validation constraints required, min, max, minlength,
maxlength, readonly. Anything else (custom types, custom validators, field properties)
is reported back as unsupported so the deploy can warn about it.
"""

import json

CAMUNDA_NS = "http://camunda.org/schema/1.0/bpmn"
FORM_FOLDER = "camunda-forms"
_C = f"{{{CAMUNDA_NS}}}"
_TYPES = {
    "string": {"type": "string"},
    "long": {"type": "integer"},
    "boolean": {"type": "boolean"},
    "date": {"type": "string", "format": "date"},
}
_LIMITS = {
    "min": ("minimum", "maxLength"),
    "max": ("maximum", "maxLength"),
    "minlength": ("minLength", None),
    "maxlength": ("maxLength", None),
}


def form_file_name(element_id: str) -> str:
    return f"{FORM_FOLDER}/{element_id}.schema.json"


def build_form(form_data, title: str) -> tuple[dict, list[str]]:
    """(JSON Schema, list of unsupported parts) for one `camunda:formData` element."""
    properties: dict = {}
    required: list[str] = []
    unsupported: list[str] = []
    for field in form_data.findall(f"{_C}formField"):
        name = field.get("id") or ""
        prop, problems = _field_schema(field)
        unsupported += [f"form field {name!r}: {p}" for p in problems]
        if not name:
            unsupported.append("a form field without an id is left out")
            continue
        if prop.pop("x-required", False):
            required.append(name)
        properties[name] = prop
    schema = {"title": title, "type": "object", "properties": properties}
    if required:
        schema["required"] = required
    return schema, unsupported


def _field_schema(field) -> tuple[dict, list[str]]:
    kind = field.get("type") or "string"
    problems: list[str] = []
    if kind == "enum":
        values = field.findall(f"{_C}value")
        prop = {
            "type": "string",
            "oneOf": [
                {"const": v.get("id"), "title": v.get("name") or v.get("id")} for v in values
            ],
        }
    elif kind in _TYPES:
        prop = dict(_TYPES[kind])
    else:
        prop = {"type": "string"}
        problems.append(f"type {kind!r} is not supported; the field is plain text")
    prop["title"] = field.get("label") or field.get("id") or ""
    default = field.get("defaultValue")
    if default is not None and "${" not in default:
        prop["default"] = _typed(default, prop)
    elif default is not None:
        problems.append("an expression as default value is not evaluated")
    for constraint in field.findall(f"{_C}validation/{_C}constraint"):
        problems += _apply_constraint(prop, constraint.get("name"), constraint.get("config"))
    if field.find(f"{_C}properties") is not None:
        problems.append("field properties are not supported")
    return prop, problems


def _apply_constraint(prop: dict, name: str | None, config: str | None) -> list[str]:
    if name == "required":
        prop["x-required"] = True
    elif name == "readonly":
        prop["readOnly"] = True
    elif name in _LIMITS:
        numeric, text = _LIMITS[name]
        key = numeric if prop["type"] in ("integer", "number") or text is None else None
        if key is None:  # min/max on a string field bound its length, as Camunda does
            key = "minLength" if name == "min" else "maxLength"
        try:
            prop[key] = int(config) if "Length" in key else _number(config)
        except (TypeError, ValueError):
            return [f"constraint {name!r} needs a number, not {config!r}"]
    else:
        return [f"constraint {name!r} is not supported"]
    return []


def _number(text):
    value = float(text)
    return int(value) if value.is_integer() else value


def _typed(text: str, prop: dict):
    if prop["type"] == "integer":
        try:
            return int(text)
        except ValueError:
            return text
    if prop["type"] == "boolean":
        return text.strip().lower() == "true"
    return text


def render(schema: dict) -> str:
    return json.dumps(schema, ensure_ascii=False, indent=2)
