"""Field visibility: the one place that decides who sees and edits which field on which node.

HTML pages, API responses, the timeline, exports and notifications all call ``field_access``
then ``visible_data`` (or ``render_form``), so they can never disagree. The rule format and
the decision order are documented in ``forms.rules``.
"""

import re
from collections.abc import Iterable, Mapping
from typing import Any, Literal

from forms.rules import EVERYONE, FieldRule, parse_node_rules
from forms.schema import FormDefinition, schema_path

Access = Literal["editable", "readonly", "masked", "hidden"]
_RANK = {"editable": 0, "readonly": 1, "masked": 2, "hidden": 3}
# Types whose partial reveal means nothing (a masked amount shows no digits at all).
_FULLY_MASKED_TYPES = frozenset({"number", "integer", "money", "rating", "date", "datetime"})


class AccessMap(dict):
    """``field path -> Access``, plus ``mask_kinds`` (path -> mask kind of masked paths) and
    ``default`` (the access of data keys no entry covers: ``"hidden"`` under the
    ``hidden_after_own_node`` policy, else None = shown as they are).

    A plain dict everywhere an ``access`` is expected; ``visible_data`` and ``render_form``
    read the two attributes when present (a plain dict gets guessed mask kinds)."""

    def __init__(self, levels=None, mask_kinds=None, default: str | None = None):
        super().__init__(levels or {})
        self.mask_kinds: dict[str, str] = dict(mask_kinds or {})
        self.default = default


def field_access(
    form: FormDefinition,
    node_id: str,
    roles: Iterable[str],
    *,
    task_fields: set[str] | None = None,
    node_properties: Mapping[str, str] | None = None,
    may_act: bool = True,
) -> AccessMap:
    """Access of every field of ``form`` (and every field a rule names) on ``node_id``.

    ``task_fields``: the paths that belong to this node's form (default: all of ``form``;
    pass them when ``form`` is a ticket-wide form). ``node_properties``: the BPMN task's
    extension properties (``fieldRules`` is read). ``may_act``: False for someone who may
    view the task but not complete it (nothing becomes editable for them).
    """
    roles = frozenset(roles) - {EVERYONE}
    rules = _rules_for_node(form, node_id, node_properties)
    own = set(form.by_path) if task_fields is None else {schema_path(p) for p in task_fields}
    paths = list(form.by_path) + [p for p in rules if p not in form.by_path]
    result = AccessMap()
    for path in sorted(paths, key=lambda p: p.count(".")):  # parents before children
        level = _decide(form, path, rules.get(path), roles, _is_own(path, own), may_act)
        parent = _nearest_entry(result, path)
        result[path] = parent if parent and _RANK[parent] > _RANK[level] else level
    result.default = "hidden" if form.rules.default == "hidden_after_own_node" else None
    result.mask_kinds = {
        path: kind
        for path, level in result.items()
        if level == "masked" and (kind := _mask_kind(form, path))
    }
    return result


def _rules_for_node(
    form: FormDefinition, node_id: str, node_properties: Mapping[str, str] | None
) -> dict[str, FieldRule]:
    layers = [parse_node_rules((node_properties or {}).get("fieldRules"), node_id)]
    layers += form.rules.for_node(node_id)
    combined: dict[str, FieldRule] = {}
    for layer in layers:
        for path, rule in layer.items():
            key = schema_path(path)
            combined[key] = combined.get(key, FieldRule()).combine(rule)
    return combined


def roles_named(
    form: FormDefinition, node_id: str, node_properties: Mapping[str, str] | None = None
) -> set[str]:
    """Every role (group) a rule for ``node_id`` names: the readers whose view differs."""
    named: set[str] = set()
    for rule in _rules_for_node(form, node_id, node_properties).values():
        for level in ("editable", "readonly", "masked", "hidden"):
            named |= getattr(rule, level)
    return named - {EVERYONE}


def _decide(form, path, rule, roles, own: bool, may_act: bool) -> str:
    field = form.by_path.get(path)
    level = rule.decide(roles) if rule else None
    if level is None:
        policy = form.rules.default
        if own:
            level = "readonly" if policy == "readonly_unless_granted" else "editable"
        else:
            level = "hidden" if policy == "hidden_after_own_node" else "readonly"
    # Only a field the node's form carries can be written, and only by someone who may act.
    if level == "editable" and not (own and may_act and field is not None and not field.read_only):
        level = "readonly"
    return level


def _is_own(path: str, own: set[str]) -> bool:
    parts = path.split(".")
    return any(".".join(parts[:i]) in own for i in range(1, len(parts) + 1))


def _nearest_entry(access: Mapping[str, str], path: str) -> str | None:
    while "." in path:
        path = path.rsplit(".", 1)[0]
        if path in access:
            return access[path]
    return None


def _mask_kind(form: FormDefinition, path: str) -> str | None:
    if path in form.rules.mask:
        return form.rules.mask[path]
    field = form.by_path.get(path)
    if field is None:
        return None
    if field.mask:
        return field.mask
    if field.type in _FULLY_MASKED_TYPES:
        return "full"
    return "email" if field.format == "email" else None


def access_for(access: Mapping[str, str], path: str, default: str = "readonly") -> str:
    """Access of a data path (``items.0.qty``): its own entry or its nearest parent's."""
    key = schema_path(path)
    while True:
        if key in access:
            return access[key]
        if "." not in key:
            return default
        key = key.rsplit(".", 1)[0]


# ---------------------------------------------------------------- visible data


def visible_data(
    data: Mapping[str, Any],
    access: Mapping[str, str],
    *,
    default: str | None = None,
    kinds: Mapping[str, str] | None = None,
) -> dict:
    """A copy of ``data`` as the holder of ``access`` may see it.

    Hidden keys are removed, masked values masked, the rest copied as is. Keys without an
    access entry (nor a parent with one) get ``default``: by default the access map's own
    (see ``AccessMap``), else they pass through; ``default="hidden"`` suits exports and
    notifications that should show only fields some rule or form covers.
    """
    kinds = getattr(access, "mask_kinds", {}) if kinds is None else kinds
    default = getattr(access, "default", None) if default is None else default
    return _visible_object(data, "", access, default, kinds)


def _visible_object(obj, prefix, access, inherited, kinds) -> dict:
    out = {}
    for key, value in obj.items():
        path = f"{prefix}{key}"
        level = access.get(path, inherited)
        if level != "hidden":
            out[key] = _visible_value(value, path, access, level, kinds)
    return out


def _visible_value(value, path, access, level, kinds):
    # Containers are walked even when masked: a hidden child of a masked group stays hidden.
    if isinstance(value, Mapping):
        return _visible_object(value, f"{path}.", access, level, kinds)
    if isinstance(value, list | tuple):  # list items share their list's (index-free) path
        return [_visible_value(item, path, access, level, kinds) for item in value]
    if level == "masked" and value is not None:
        return mask_value(value, kinds.get(path))
    return value


def mask_any(value: Any, kind: str | None) -> Any:
    """Mask a value of any shape (lists and dicts element-wise), as visible_data does."""
    if value is None:
        return None
    if isinstance(value, Mapping):
        return {k: mask_any(v, None) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [mask_any(item, kind) for item in value]
    return mask_value(value, kind)


# ---------------------------------------------------------------- masking

_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
_ID_NUMBER = re.compile(r"\d{17}[\dXx]|\d{15}")
_PHONE = re.compile(r"\+?[\d\s()-]{7,}")
_GENERIC_STARS = 6  # cap, so a masked long text does not spell out its length


def mask_value(value: Any, kind: str | None = None) -> str:
    """Mask one value: ``phone`` 138****1234, ``id_number`` 1101**********1234, ``email``
    w***@example.com, ``bank_card`` ************1234, ``name``/``generic`` first and last
    character, ``full`` ****. Without a kind it is guessed from the value (numbers, dates
    and booleans are masked fully)."""
    if value is None or value == "":
        return ""
    if kind is None:
        kind = _guess_kind(value)
    if kind not in _MASKERS:
        raise ValueError(f"unknown mask kind {kind!r}")
    return _MASKERS[kind](str(value).strip())


def _guess_kind(value: Any) -> str:
    if not isinstance(value, str):
        return "full"
    text = value.strip()
    if _EMAIL.fullmatch(text):
        return "email"
    if _ID_NUMBER.fullmatch(text):
        return "id_number"
    if _PHONE.fullmatch(text) and sum(c.isdigit() for c in text) >= 7:
        return "phone"
    return "generic"


def _mask_phone(text: str) -> str:
    digits = re.sub(r"\D", "", text)
    if len(digits) < 7:
        return _mask_generic(text)
    return digits[:3] + "*" * (len(digits) - 7) + digits[-4:]


def _mask_id_number(text: str) -> str:
    if len(text) <= 8:
        return _mask_generic(text)
    return text[:4] + "*" * (len(text) - 8) + text[-4:]


def _mask_email(text: str) -> str:
    local, _, domain = text.rpartition("@")
    if not local or not domain:
        return _mask_generic(text)
    return f"{local[0]}***@{domain}"


def _mask_bank_card(text: str) -> str:
    digits = re.sub(r"\D", "", text)
    if len(digits) <= 4:
        return "*" * len(digits)
    return "*" * (len(digits) - 4) + digits[-4:]


def _mask_generic(text: str) -> str:
    if len(text) <= 1:
        return "*"
    if len(text) == 2:
        return text[0] + "*"
    return text[0] + "*" * min(len(text) - 2, _GENERIC_STARS) + text[-1]


_MASKERS = {
    "phone": _mask_phone,
    "id_number": _mask_id_number,
    "email": _mask_email,
    "bank_card": _mask_bank_card,
    "name": _mask_generic,
    "generic": _mask_generic,
    "full": lambda text: "****",
}
