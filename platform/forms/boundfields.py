"""What the form templates draw: one ``FieldView`` per visible field, values already shaped.

Templates stay logic-free; everything that decides what may reach the HTML (hidden fields
skipped, masked values masked before any template sees them, read-only values as text)
happens here.
"""

import datetime as dt
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.utils import timezone
from django.utils.html import format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from forms.coercion import is_blank
from forms.display import date_text, money_text
from forms.fields import (
    PICKER_TYPES,
    UNSET,
    Field,
    Option,
    default_value,
    field_options,
    option_key,
)
from forms.permissions import access_for, mask_value
from forms.regions import address_text, provinces
from forms.schema import schema_path

EMPTY_DISPLAY = "—"
_TEMPLATES = {
    "textarea": "textarea",
    "select": "select",
    "multi-select": "select",
    "radio": "choices",
    "rating": "choices",
    "checkbox": "checkbox",
    "cascade": "cascade",
    "address": "address",
    "file": "file",
    "group": "group",
    "list": "list",
}
_INPUT_TYPES = {
    "number": "number",
    "integer": "number",
    "date": "date",
    "datetime": "datetime-local",
}


@dataclass
class OptionView:
    key: str
    label: str
    selected: bool = False


@dataclass
class OptionGroupView:
    label: str  # the parent path, "" on the first level
    parent: str  # JSON list of the parent path's keys (for the progressive-enhancement script)
    options: list[OptionView]


@dataclass
class LevelView:
    id: str
    label: str
    groups: list[OptionGroupView]
    name: str = ""  # its own HTML name (the address parts); cascades post under the field's
    required: bool = False


@dataclass
class RowView:
    label: str
    children: list["FieldView"]


@dataclass
class FieldView:
    field: Field
    name: str  # dotted data path, the HTML name
    id: str
    label: str
    access: str
    template: str = ""
    required: bool = False
    input_type: str = "text"
    value: str = ""
    values: list[str] = field(default_factory=list)
    checked: bool = False
    multiple: bool = False
    display: str = ""
    error: str = ""
    help: str = ""
    description: str = ""
    options: list[OptionView] = field(default_factory=list)
    levels: list[LevelView] = field(default_factory=list)
    children: list["FieldView"] = field(default_factory=list)
    rows: list[RowView] = field(default_factory=list)
    files: list[str] = field(default_factory=list)
    attrs_html: SafeString = SafeString("")


@dataclass
class ViewContext:
    access: Mapping[str, str]
    errors: Mapping[str, str]
    data: Mapping[str, Any]  # the whole data, for SpiffArena options taken from task data
    kinds: Mapping[str, str]


def build_views(fields, values: Any, ctx: ViewContext, prefix: str = "") -> list[FieldView]:
    """Views of ``fields`` (values from the object ``values``), hidden fields left out."""
    values = values if isinstance(values, Mapping) else {}
    views = []
    for f in fields:
        path = f"{prefix}{f.name}"
        access = access_for(ctx.access, path)
        if access == "hidden":
            continue
        value = values.get(f.name)
        if access == "editable" and value is None:
            value = default_value(f, value)  # shown for the person to keep (validation agrees)
        views.append(_view(f, path, access, value, ctx))
    return views


def _view(f: Field, path: str, access: str, value: Any, ctx: ViewContext) -> FieldView:
    view = FieldView(
        field=f,
        name=path,
        id="fd-" + re.sub(r"[^\w-]", "-", path),
        label=f.title,
        access=access,
        # ui:emptyValue makes an empty input valid (SpiffArena), so the browser must not block it
        required=f.required and access == "editable" and f.empty_value is UNSET,
        error=ctx.errors.get(path, ""),
        help=f.help,
        description=f.description,
    )
    if f.type == "group":
        view.template = "forms/widgets/group.html"
        view.children = build_views(f.children, value, ctx, f"{path}.")
    elif f.type == "list":
        view.template = "forms/widgets/list.html"
        view.rows = _rows(f, path, access, value, ctx)
    elif access in ("readonly", "masked"):
        view.template = "forms/widgets/readonly.html"
        view.display = _display(f, value, ctx.data)
        if access == "masked" and view.display != EMPTY_DISPLAY:
            view.display = mask_value(view.display, ctx.kinds.get(schema_path(path)))
    else:
        _editable(view, value, ctx)
    return view


def _rows(f: Field, path: str, access: str, value: Any, ctx: ViewContext) -> list[RowView]:
    items = list(value) if isinstance(value, list) else []
    if access == "editable":  # blank rows to type into: a JS-free way to add rows
        blank = int((f.ui.get("ui:options") or {}).get("blankRows", 1))
        limit = f.max_items if f.max_items is not None else len(items) + blank
        items += [{}] * max(0, min(blank, limit - len(items)))
    return [
        RowView(
            _("%(title)s %(number)d") % {"title": f.title, "number": i + 1},
            build_views(f.children, item, ctx, f"{path}.{i}."),
        )
        for i, item in enumerate(items)
    ]


def _editable(view: FieldView, value: Any, ctx: ViewContext) -> None:
    f = view.field
    ftype = f.type
    view.template = f"forms/widgets/{_TEMPLATES.get(ftype, 'input')}.html"
    view.input_type = _INPUT_TYPES.get(ftype, f.input_type)
    if ftype in ("text", "textarea") and f.input_type == "hidden":
        view.template = "forms/widgets/hidden.html"
    if ftype in ("select", "radio", "multi-select", "rating"):
        _choice_options(view, value, ctx)
    elif ftype == "checkbox":
        view.checked = value is True or str(value).lower() in ("true", "on", "1")
    elif ftype == "cascade":
        view.levels = _cascade_levels(view, value)
    elif ftype == "address":
        view.levels = _address_levels(view, value)
        view.value = str(value.get("street") or "") if isinstance(value, Mapping) else ""
    elif ftype == "file":
        view.multiple = f.multiple
        items = value if isinstance(value, list) else [value] if value else []
        view.files = [_file_label(item) for item in items]
    elif ftype in PICKER_TYPES and f.multiple:
        view.template = "forms/widgets/picker_multi.html"
        view.values = [input_text(v) for v in (value or []) if not is_blank(v)] + [""]
    else:
        view.value = input_text(_as_datetime(value) if ftype == "datetime" else value)
    view.attrs_html = format_html_join("", ' {}="{}"', _attrs(view))


def _choice_options(view: FieldView, value: Any, ctx: ViewContext) -> None:
    f = view.field
    if f.type == "rating":
        low, high = int(f.minimum), int(f.maximum)
        options = tuple(
            Option(i, ngettext("%(count)d star", "%(count)d stars", i) % {"count": i})
            for i in range(low, high + 1)
        )
    else:
        options = field_options(f, ctx.data)
    chosen = value if isinstance(value, list) else [value]
    keys = {v if isinstance(v, str) else option_key(v) for v in chosen if v is not None}
    view.options = [OptionView(o.key, o.label, o.key in keys) for o in options]
    view.multiple = f.type == "multi-select"
    if f.type == "multi-select" and f.widget == "checkboxes":
        view.template = "forms/widgets/choices.html"
    view.input_type = "checkbox" if view.multiple else "radio"


def _cascade_levels(view: FieldView, value: Any) -> list[LevelView]:
    f = view.field
    chosen = [v if isinstance(v, str) else option_key(v) for v in (value or [])]
    levels, parents = [], [((), (), f.options)]  # (label path, key path, options)
    for depth, label in enumerate(f.levels):
        groups, next_parents = [], []
        for labels, keys, options in parents:
            on_path = list(keys) == chosen[: len(keys)]
            group_options = []
            for o in options:
                selected = on_path and depth < len(chosen) and chosen[depth] == o.key
                group_options.append(OptionView(o.key, o.label, selected))
                if o.children:
                    next_parents.append(((*labels, str(o.label)), (*keys, o.key), o.children))
            parent_json = json.dumps(list(keys), ensure_ascii=False, separators=(",", ":"))
            groups.append(OptionGroupView(" / ".join(labels), parent_json, group_options))
        levels.append(LevelView(f"{view.id}-{depth}", label, groups))
        parents = next_parents
    return levels


def _address_levels(view: FieldView, value: Any) -> list[LevelView]:
    """Province, city and district selects: every province; the cities of the chosen
    province (all of them, grouped by province, before one is chosen); the districts of the
    chosen city. The browser narrows them as the person chooses (web/src/address.js)."""
    value = value if isinstance(value, Mapping) else {}
    chosen = {part: str(value.get(part) or "") for part in ("province", "city", "district")}
    regions = provinces()
    province = regions.get(chosen["province"])
    city_groups = [
        OptionGroupView("" if province else p.label, "", _names(p.cities, chosen["city"]))
        for p in ([province] if province else regions.values())
    ]
    districts = province.cities.get(chosen["city"], ()) if province else ()
    parts = (
        ("province", _("Province"), [OptionGroupView("", "", _provinces(chosen["province"]))]),
        ("city", _("City"), city_groups),
        (
            "district",
            _("District"),
            [OptionGroupView("", "", _names(districts, chosen["district"]))],
        ),
    )
    return [
        LevelView(
            f"{view.id}-{part}",
            label,
            groups,
            name=f"{view.name}.{part}",
            required=view.required and (part != "district" or bool(districts)),
        )
        for part, label, groups in parts
    ]


def _provinces(chosen: str) -> list[OptionView]:
    return [OptionView(p.name, p.label, p.name == chosen) for p in provinces().values()]


def _names(names, chosen: str) -> list[OptionView]:
    return [OptionView(name, name, name == chosen) for name in names]


def _attrs(view: FieldView) -> list[tuple[str, str]]:
    f, attrs = view.field, []
    ui_options = f.ui.get("ui:options") if isinstance(f.ui.get("ui:options"), dict) else {}
    if f.placeholder:
        attrs.append(("placeholder", f.placeholder))
    if f.type in ("text", "textarea"):
        attrs += [
            (k, str(v)) for k, v in (("maxlength", f.max_length), ("minlength", f.min_length)) if v
        ]
    if f.type in ("number", "integer"):
        step = "1" if f.type == "integer" else str(f.multiple_of or "any")
        attrs += [("step", step)] + [
            (k, str(v)) for k, v in (("min", f.minimum), ("max", f.maximum)) if v is not None
        ]
    if f.type == "money":
        attrs += [("inputmode", "decimal"), ("class", "fd-money")]
    if f.type == "textarea":
        attrs.append(("rows", str(ui_options.get("rows", 4))))
    if f.type in PICKER_TYPES:
        attrs += [("class", "fd-picker"), ("data-fd-picker", f.type), ("autocomplete", "off")]
        if isinstance(ui_options.get("group"), str):  # the group a user picker searches in
            attrs.append(("data-fd-group", ui_options["group"]))
    if f.type == "file" and f.accept:
        attrs.append(("accept", ",".join(f.accept)))
    if isinstance(f.ui.get("ui:autocomplete"), str):
        attrs.append(("autocomplete", f.ui["ui:autocomplete"]))
    if f.ui.get("ui:autofocus") is True:
        attrs.append(("autofocus", "autofocus"))
    if view.required and _takes_required(view):
        attrs.append(("required", "required"))
    described = [
        f"{view.id}-{s}"
        for s, on in (("desc", view.description), ("help", view.help), ("error", view.error))
        if on
    ]
    if described:
        attrs.append(("aria-describedby", " ".join(described)))
    if view.error:
        attrs.append(("aria-invalid", "true"))
    return attrs


def _takes_required(view: FieldView) -> bool:
    """Whether the browser's ``required`` on the input means what the schema means."""
    if view.template.endswith(("choices.html", "cascade.html", "address.html", "multi.html")):
        return False  # set per radio / first level in the template
    # a required checkbox must be ticked (forms.validation), so the browser may insist too
    return not (view.field.type == "file" and view.files)  # a stored file already counts


# ---------------------------------------------------------------- values as text


def input_text(value: Any) -> str:
    """A value as an input's ``value`` (what the user typed is kept as typed)."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, dt.datetime):
        local = timezone.localtime(value) if timezone.is_aware(value) else value
        return local.strftime("%Y-%m-%dT%H:%M")
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def _as_datetime(value: Any) -> Any:
    """Stored ISO text -> datetime, so it is shown in the user's time zone like a datetime."""
    if isinstance(value, str):
        try:
            return dt.datetime.fromisoformat(value.strip())
        except ValueError:
            return value  # something the user typed: shown as typed
    return value


def _as_date(value: Any) -> Any:
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value.strip())
        except ValueError:
            return value
    return value


def _display(f: Field, value: Any, data: Mapping[str, Any]) -> str:
    """A read-only value as the text a person reads."""
    if is_blank(value):
        return EMPTY_DISPLAY
    if f.type in ("select", "radio", "multi-select"):
        labels = {o.key: str(o.label) for o in field_options(f, data)}
        items = value if isinstance(value, list) else [value]
        return ", ".join(
            labels.get(v if isinstance(v, str) else option_key(v), str(v)) for v in items
        )
    if f.type == "address":
        return address_text(value)
    if f.type == "cascade" and isinstance(value, list):
        return " / ".join(_cascade_labels(f.options, value))
    if f.type == "checkbox":
        ticked = value is True or str(value).lower() in ("true", "on", "1")
        return _("Yes") if ticked else _("No")
    if f.type == "file":
        return ", ".join(
            _file_label(item) for item in (value if isinstance(value, list) else [value])
        )
    if f.type == "rating" and isinstance(value, int):
        return f"{'★' * value}{'☆' * max(0, int(f.maximum) - value)} ({value}/{int(f.maximum)})"
    if f.type == "datetime" and isinstance(_as_datetime(value), dt.datetime):
        return date_text(_as_datetime(value))
    if f.type == "date" and isinstance(_as_date(value), dt.date):
        return date_text(_as_date(value))
    if f.type == "money":
        return money_text(value, f.currency)
    if isinstance(value, list):
        return ", ".join(input_text(v) for v in value)
    return input_text(value)


def _cascade_labels(options: tuple[Option, ...], path: list) -> list[str]:
    labels = []
    for item in path:
        key = item if isinstance(item, str) else option_key(item)
        match = next((o for o in options if o.key == key), None)
        labels.append(str(match.label) if match else str(item))
        options = match.children if match else ()
    return labels


def _file_label(item: Any) -> str:
    if not isinstance(item, Mapping):
        return str(item)
    name, size = item.get("name") or _("file"), item.get("size")
    if isinstance(size, int):
        if size >= 1024:
            return f"{name} ({size / 1024:.0f} KB)"
        return f"{name} ({ngettext('%(count)d byte', '%(count)d bytes', size) % {'count': size}})"
    return str(name)
