"""Server-side HTML for a task's form, and reading its post back.

The HTML works without JavaScript: every input has a label and its dotted data path as its
name, errors sit next to their fields and in a summary at the top, what the user typed is
shown again after an error, read-only fields are text, masked fields are masked text (the
clear value never reaches the template) and hidden fields are not in the HTML at all.
Cascades are one select per level listing that level's options grouped by parent; a tiny
inline script narrows them when JavaScript runs.

Conventions the templates and ``parse_post`` share: an editable checkbox is preceded by a
hidden ``false`` under the same name, multi-selects and lists by a hidden empty marker, so a
post tells "unticked / nothing chosen" apart from "not on the page".
"""

import re
from collections.abc import Mapping
from typing import Any

from django.template.loader import render_to_string
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from forms.boundfields import FieldView, ViewContext, build_views
from forms.coercion import is_blank
from forms.decisions import Decision
from forms.fields import PICKER_TYPES, Field
from forms.permissions import access_for
from forms.regions import PARTS
from forms.schema import FormDefinition
from forms.uploads import upload_from_file

HIDDEN_FIELD_ERROR = gettext_noop("A value was sent for a field that cannot be changed here.")
_MAX_ROWS = 500  # a post naming items.99999.x must not make us build 100k rows


def render_form(
    form: FormDefinition,
    data: Mapping[str, Any],
    access: Mapping[str, str],
    errors: Mapping[str, str] | None = None,
    *,
    action: str = "",
    csrf_token: str | None = None,
    submit_label: str | None = None,
    decision: Decision | None = None,
) -> SafeString:
    """The form as HTML. Pass ``ValidationResult.redisplay`` as ``data`` after an error so
    the typed values come back. ``submit_label``: the button's text (default: the form's
    ``submitText``, else "Submit"); ``""`` leaves the button out. ``decision``
    (forms.decisions): its field is drawn as approve/reject buttons instead."""
    errors = errors or {}
    ctx = ViewContext(access, errors, data, getattr(access, "mask_kinds", {}))
    views = build_views(form.fields, data, ctx)
    if decision is not None and access_for(access, decision.field) == "editable":
        views = [v for v in views if v.name != decision.field]
    else:
        decision = None
    if submit_label is None:
        submit_label = form.submit_text or _("Submit")
    return render_to_string(
        "forms/form.html",
        {
            "title": form.title,
            "description": form.description,
            "views": views,
            "summary": _summary(errors, views, access, form),
            "action": action,
            "csrf_value": csrf_token,
            "submit_label": submit_label,
            "decision": decision,
            "has_cascade": any(v.field.type == "cascade" for v in _flatten(views)),
            "has_address": any(v.field.type == "address" for v in _flatten(views)),
        },
    )


def _flatten(views: list[FieldView]):
    for view in views:
        yield view
        yield from _flatten(view.children)
        for row in view.rows:
            yield from _flatten(row.children)


def _summary(errors, views, access, form) -> list[dict[str, str | None]]:
    """Error summary lines; errors about hidden fields never name them."""
    shown = {view.name: view for view in _flatten(views)}
    items, hidden_reported = [], False
    for path, message in errors.items():
        view, field = shown.get(path), form.get(path) if path else None
        if view is not None:
            items.append({"href": f"#{view.id}", "text": f"{view.label}: {message}"})
        elif field is not None and access_for(access, path) == "editable":  # a decision
            items.append({"href": None, "text": f"{field.title}: {message}"})
        elif path and form.get(path) is not None and access_for(access, path) == "hidden":
            if not hidden_reported:
                items.append({"href": None, "text": _(HIDDEN_FIELD_ERROR)})
                hidden_reported = True
        else:
            items.append({"href": None, "text": f"{path}: {message}" if path else message})
    return items


# ---------------------------------------------------------------- reading a post


def parse_post(form: FormDefinition, post, *, files=None) -> dict:
    """An HTML post (``request.POST``, and ``request.FILES`` as ``files``) -> a submission
    for ``validate_submission``. Only names the form knows are read; a field not in the post
    (read-only, hidden, or simply absent) is not in the result. Uploaded files become
    ``Upload`` metadata dicts carrying their bytes."""
    return _parse_object(form.fields, post, files, "")


def _parse_object(fields, post, files, prefix: str) -> dict:
    out: dict[str, Any] = {}
    for f in fields:
        name = f"{prefix}{f.name}"
        if f.type == "group":
            sub = _parse_object(f.children, post, files, f"{name}.")
            if sub:
                out[f.name] = sub
        elif f.type == "list":
            rows = _parse_rows(f, post, files, name)
            if rows is not None:
                out[f.name] = rows
        elif f.type == "file":
            uploaded = _getlist(files, name) if files is not None else []
            if uploaded:
                metas = [upload_from_file(u, f.max_bytes) for u in uploaded]
                out[f.name] = metas if f.multiple or len(metas) > 1 else metas[0]
        elif f.type == "address":
            parts = {p: str(post.get(f"{name}.{p}", "")).strip() for p in PARTS}
            if any(f"{name}.{p}" in post for p in PARTS):
                out[f.name] = {p: v for p, v in parts.items() if v}
        elif name in post:
            out[f.name] = _read_values(f, [str(v) for v in _getlist(post, name)])
    return out


def _getlist(source, name: str) -> list:
    """``QueryDict``/``MultiValueDict`` values of ``name``; plain dicts work too (tests, API)."""
    if hasattr(source, "getlist"):
        return source.getlist(name)
    value = source.get(name)
    return list(value) if isinstance(value, list | tuple) else [] if value is None else [value]


def _read_values(f: Field, values: list[str]) -> Any:
    if f.type == "multi-select" or (f.type in PICKER_TYPES and f.multiple):
        return [v for v in values if v.strip()]
    if f.type == "cascade":
        while values and not values[-1].strip():  # deeper levels left at "—"
            values = values[:-1]
        return values
    return values[-1] if values else ""  # a checkbox posts "false" then, when ticked, "true"


def _parse_rows(f: Field, post, files, name: str) -> list[dict] | None:
    pattern = re.compile(rf"{re.escape(name)}\.(\d+)\.")
    keys = list(post.keys()) + (list(files.keys()) if files is not None else [])
    indexes = sorted({int(m.group(1)) for k in keys if (m := pattern.match(k))})
    if name not in post and not indexes:
        return None
    rows = []
    for index in indexes[:_MAX_ROWS]:
        row = _parse_object(f.children, post, files, f"{name}.{index}.")
        if not _row_is_blank(f.children, row):
            rows.append(row)
    return rows


def _row_is_blank(children: tuple[Field, ...], row: Mapping[str, Any]) -> bool:
    """An untouched blank row: nothing typed (an unticked checkbox counts as nothing)."""
    for f in children:
        value = row.get(f.name)
        if f.type == "checkbox":
            if str(value).lower() in ("true", "on", "1"):
                return False
        elif not is_blank(value):
            return False
    return True
