"""Validating a submission against a form and the submitter's field access; defaults.

A field the submission leaves out while the data holds nothing for it gets the schema's
``default`` (``forms.fields.default_value``, the value the web form shows), so an API
client and a person at the web form give the process the same data.

``validate_submission`` walks the form once and collects every error (keyed by data path,
``customer.phone``, ``items.0.qty``; ``""`` for the submission as a whole), so a page can
show them all at once. Only editable fields are written: a value for a read-only field is
accepted only when it equals the current value, for a masked field only when it equals the
masked text the user was shown (an API client echoing back what it read), and for a hidden
field never (comparing with a value the user cannot see would let them guess it).
"""

import datetime as dt
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop, ngettext

from forms.coercion import CoerceContext, Invalid, coerce_value, is_blank
from forms.fields import UNSET, Field, default_value
from forms.permissions import access_for, mask_any
from forms.schema import FormDefinition, schema_path
from forms.uploads import Upload

logger = logging.getLogger(__name__)
REQUIRED = gettext_noop("This field is required.")
MUST_TICK = gettext_noop("Tick this box to go on.")


@dataclass
class ValidationResult:
    cleaned: dict  # typed values of the editable fields that were submitted
    errors: dict[str, str]  # data path -> message; "" for the submission as a whole
    uploads: dict[str, Upload] = field(default_factory=dict)  # data path -> bytes + metadata
    # Current data overlaid with what was typed into editable fields: pass it to render_form
    # after an error. It holds clear values of masked/hidden fields (render_form drops them);
    # an API response must go through visible_data instead.
    redisplay: dict = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.errors


def validate_submission(
    form: FormDefinition,
    submitted: Mapping[str, Any],
    access: Mapping[str, str],
    *,
    current: Mapping[str, Any] | None = None,
    lookups: Mapping[str, Callable[[str], bool]] | None = None,
) -> ValidationResult:
    """Check ``submitted`` (from ``parse_post`` or an API body) and return every error.

    ``current``: the ticket's data before this submission (read-only comparisons, required
    fields already filled, SpiffArena options taken from task data). ``lookups``: ``user``,
    ``customer``, ``part`` and ``warehouse`` -> a function telling whether an identifier
    exists; a picker field without its lookup is an error, never silently accepted.
    """
    current = current or {}
    result = ValidationResult(cleaned={}, errors={}, redisplay=dict(current))
    if not isinstance(submitted, Mapping):
        result.errors[""] = _("The submission must be an object of field values.")
        return result
    walker = _Walker(access, CoerceContext(data=current, lookups=lookups or {}), result)
    walker.object(form.fields, submitted, current, "", result.cleaned, result.redisplay)
    return result


class _Walker:
    def __init__(self, access: Mapping[str, str], ctx: CoerceContext, result: ValidationResult):
        self.access, self.ctx, self.result = access, ctx, result
        self.errors = result.errors
        self.kinds = getattr(access, "mask_kinds", {})

    def object(self, fields, submitted, current, prefix, cleaned, shown) -> None:
        known = {f.name for f in fields}
        for key in submitted:
            if key not in known:
                self.errors[f"{prefix}{key}"] = _("Unknown field.")
        for f in fields:
            path, present = f"{prefix}{f.name}", f.name in submitted
            cur = current.get(f.name) if isinstance(current, Mapping) else None
            level = access_for(self.access, path)
            if level != "editable":
                if present and not self._unchanged(f, path, level, submitted[f.name], cur):
                    self.errors[path] = _("field %(path)s is not editable on this step") % {
                        "path": path
                    }
                continue
            raw = submitted.get(f.name)
            if not present and (default := default_value(f, cur)) is not None:
                present, raw = True, default  # as the web form would have sent it
            if f.type == "group":
                self._group(f, path, present, raw, cur, cleaned, shown)
            elif f.type == "list":
                self._list(f, path, present, raw, cur, cleaned, shown)
            else:
                if present and f.type != "file":
                    shown[f.name] = raw
                self._leaf(f, path, present, raw, cur, cleaned)

    def _leaf(self, f: Field, path: str, present: bool, raw, cur, cleaned: dict) -> None:
        if f.type == "checkbox" and f.required:
            self._box_to_tick(f, path, present, raw, cur, cleaned)
        elif present and not is_blank(raw):
            try:
                cleaned[f.name] = coerce_value(f, raw, self.ctx)
            except Invalid as exc:
                self.errors[path] = str(exc)
            else:
                self._keep_uploads(path, raw)
        elif f.empty_value is not UNSET and (present or is_blank(cur)):
            cleaned[f.name] = f.empty_value  # SpiffArena's ui:emptyValue satisfies required
        elif f.type == "checkbox" and present:
            cleaned[f.name] = False
        elif f.required and (present or is_blank(cur)):
            self.errors[path] = _(REQUIRED)
        elif present:
            cleaned[f.name] = _blank_value(f)

    def _box_to_tick(self, f: Field, path: str, present: bool, raw, cur, cleaned: dict) -> None:
        """A required checkbox means "must be ticked": False is no answer to it."""
        if not present:
            if cur is not True:
                self.errors[path] = _(MUST_TICK)
            return
        try:
            value = coerce_value(f, raw, self.ctx) if not is_blank(raw) else False
        except Invalid as exc:
            self.errors[path] = str(exc)
            return
        if value is True:
            cleaned[f.name] = True
        else:
            self.errors[path] = _(MUST_TICK)

    def _group(self, f: Field, path: str, present: bool, raw, cur, cleaned, shown) -> None:
        if present and not isinstance(raw, Mapping):
            self.errors[path] = _("Enter an object of field values.")
            return
        sub_cleaned: dict = {}
        sub_shown = dict(cur) if isinstance(cur, Mapping) else {}
        self.object(f.children, raw or {}, cur or {}, f"{path}.", sub_cleaned, sub_shown)
        if present:
            cleaned[f.name] = sub_cleaned
            shown[f.name] = sub_shown
        elif sub_cleaned:  # only defaults of fields the data lacks: keep what it holds
            cleaned[f.name] = {**(cur if isinstance(cur, Mapping) else {}), **sub_cleaned}
            shown[f.name] = sub_shown

    def _list(self, f: Field, path: str, present: bool, raw, cur, cleaned, shown) -> None:
        if not present:
            if f.required and is_blank(cur):
                self.errors[path] = _(REQUIRED)
            return
        if not isinstance(raw, list):
            self.errors[path] = _("Enter a list of rows.")
            return
        current_rows = cur if isinstance(cur, list) else []
        rows, shown_rows = [], []
        for index, item in enumerate(raw):
            if not isinstance(item, Mapping):
                self.errors[f"{path}.{index}"] = _("Enter a row of field values.")
                continue
            row_cur = current_rows[index] if index < len(current_rows) else {}
            row, row_shown = {}, dict(row_cur) if isinstance(row_cur, Mapping) else {}
            self.object(f.children, item, row_cur, f"{path}.{index}.", row, row_shown)
            rows.append(row)
            shown_rows.append(row_shown)
        shown[f.name] = shown_rows
        if f.required and not raw:
            self.errors[path] = _(REQUIRED)
        elif f.min_items is not None and len(raw) < f.min_items:
            self.errors[path] = ngettext(
                "Add at least %(count)d row.", "Add at least %(count)d rows.", f.min_items
            ) % {"count": f.min_items}
        elif f.max_items is not None and len(raw) > f.max_items:
            self.errors[path] = ngettext(
                "Add at most %(count)d row.", "Add at most %(count)d rows.", f.max_items
            ) % {"count": f.max_items}
        cleaned[f.name] = rows

    def _unchanged(self, f: Field, path: str, level: str, raw, cur) -> bool:
        if level == "hidden":
            return False
        if level == "masked":
            return raw == mask_any(cur, self.kinds.get(schema_path(path)))
        if raw == cur or f.is_container:
            return raw == cur
        try:
            value = coerce_value(f, raw, self.ctx) if not is_blank(raw) else _blank_value(f)
        except Invalid:
            return False
        return value == cur or (is_blank(value) and is_blank(cur)) or _iso(value) == _iso(cur)

    def _keep_uploads(self, path: str, raw) -> None:
        items = raw if isinstance(raw, list | tuple) else [raw]
        for index, item in enumerate(items):
            if isinstance(item, Upload) and item.content is not None:
                key = f"{path}.{index}" if isinstance(raw, list | tuple) else path
                self.result.uploads[key] = item


def _blank_value(f: Field) -> Any:
    if f.type in ("text", "textarea"):
        return ""
    if f.type in ("multi-select", "cascade") or f.multiple:
        return []
    return None


def _iso(value: Any) -> Any:
    return value.isoformat() if isinstance(value, dt.date) else value


# ---------------------------------------------------------------- defaults


def apply_defaults(
    form: FormDefinition, data: Mapping[str, Any], evaluate: Callable[[str, dict], Any]
) -> dict:
    """``data`` with every empty field given its default: the expression's result
    (``ui:options.defaultExpression`` or ``x-default-expression``, evaluated by the injected
    ``evaluate(source, context)`` against the data filled so far) or else the literal
    ``default``. A failing expression leaves the literal default and is logged, so one bad
    expression never makes a task page unusable."""
    result = dict(data)
    _fill(form.fields, result, result, evaluate)
    return result


def _fill(fields, target: dict, context: dict, evaluate) -> None:
    for f in fields:
        if f.type == "group":
            existing = target.get(f.name)
            sub = dict(existing) if isinstance(existing, Mapping) else {}
            _fill(f.children, sub, context, evaluate)
            if sub or existing is not None:
                target[f.name] = sub
            continue
        if not is_blank(target.get(f.name)):
            continue
        value = _default_for(f, context, evaluate)
        if value is not None:
            target[f.name] = value


def _default_for(f: Field, context: dict, evaluate) -> Any:
    value = f.default
    if f.default_expr:
        try:
            value = evaluate(f.default_expr, dict(context))
        except Exception:  # any evaluator failure must only cost the default, not the page
            logger.warning("default expression of %s failed: %r", f.path, f.default_expr)
            value = f.default
    if value is None or is_blank(value) or f.is_container:
        return value
    try:
        return coerce_value(f, value, CoerceContext(data=context))
    except Invalid:
        return value  # shown as typed; validation reports it when submitted
