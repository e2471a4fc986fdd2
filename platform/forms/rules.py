"""Field rules: who may edit, read, see masked or not see a field, per BPMN node and role.

Rules come from two places and use one JSON shape.

1. A per-template file in the bundle (its name is passed to ``load_form`` as ``rules_name``,
   by convention ``<process key>.fields.json``)::

       {
         "default": "readonly_after_own_node",
         "mask": {"phone": "phone", "id_no": "id_number"},
         "nodes": {
           "*":            {"internal_note": {"hidden": ["customer"]}},
           "Task_Settle":  {"amount": {"editable": ["finance"], "readonly": ["*"],
                                       "masked": [], "hidden": ["customer"]}}
         }
       }

   - ``default`` (optional): what happens to a field no rule speaks about, one of
     ``readonly_after_own_node`` (the default: fields of the current node's form are
     editable, every other field is read-only), ``hidden_after_own_node`` (other fields,
     and data keys no form or rule names, are hidden unless a rule shows them) and
     ``readonly_unless_granted`` (nothing is editable unless a rule grants ``editable``;
     other fields are read-only).
   - Mask kind of a masked field: this ``mask`` entry, else the schema's ``x-mask``, else
     ``full`` for numbers, money, ratings and dates, ``email`` for ``format: email``, else
     guessed from the value (mobile numbers, ID numbers, emails; first/last character).
   - ``mask`` (optional): field path -> mask kind used when the field is shown masked
     (``phone``, ``id_number``, ``email``, ``bank_card``, ``name``, ``generic``, ``full``).
   - ``nodes``: BPMN task id -> field path -> level -> list of roles (group names). The
     node id ``"*"`` means every node; the role ``"*"`` means everyone. Field paths are
     dotted and carry no list index (``customer.phone``, ``items.qty``).

2. The ``fieldRules`` extension property of a BPMN user task: the JSON of one node entry,
   i.e. ``{"amount": {"editable": ["finance"], "readonly": ["*"]}}``.

How one field's access is decided (``permissions.field_access``): the role lists for the
field from the task's ``fieldRules``, the file's entry for the node and the file's ``"*"``
entry are combined (no layer replaces another, so a node can only add restrictions or
grants, never silently drop a global one). Among the levels that name one of the user's
roles explicitly, the most restrictive wins (hidden > masked > readonly > editable); only
if no level names one of the user's roles do the levels listing ``"*"`` decide, the same
way; if neither, the ``default`` policy decides. Finally a field is editable only if it is
on the current node's form, the user may act on the task and the schema does not mark it
``readOnly``; a nested field is never less restrictive than the group containing it.
"""

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from forms.errors import FormError

LEVELS = ("hidden", "masked", "readonly", "editable")  # most restrictive first
DEFAULT_POLICIES = ("readonly_after_own_node", "hidden_after_own_node", "readonly_unless_granted")
MASK_KINDS = ("phone", "id_number", "email", "bank_card", "name", "generic", "full")
EVERY_NODE = "*"
EVERYONE = "*"


@dataclass(frozen=True)
class FieldRule:
    """The roles listed under each level for one field (all layers combined)."""

    editable: frozenset[str] = frozenset()
    readonly: frozenset[str] = frozenset()
    masked: frozenset[str] = frozenset()
    hidden: frozenset[str] = frozenset()

    def combine(self, other: "FieldRule") -> "FieldRule":
        return FieldRule(**{lvl: getattr(self, lvl) | getattr(other, lvl) for lvl in LEVELS})

    def decide(self, roles: frozenset[str]) -> str | None:
        """Most restrictive level naming one of ``roles``; else one naming ``*``; else None."""
        for wanted in (roles, frozenset({EVERYONE})):
            for level in LEVELS:
                if getattr(self, level) & wanted:
                    return level
        return None


@dataclass(frozen=True)
class FieldRules:
    default: str = "readonly_after_own_node"
    nodes: Mapping[str, Mapping[str, FieldRule]] = field(default_factory=dict)
    mask: Mapping[str, str] = field(default_factory=dict)

    def for_node(self, node_id: str) -> list[Mapping[str, FieldRule]]:
        """The file's entries that apply on ``node_id``: its own, then the ``*`` entry."""
        return [self.nodes[n] for n in (node_id, EVERY_NODE) if n in self.nodes]


def parse_rules(raw: Any, source: str) -> FieldRules:
    """Validate the rules-file JSON (already decoded); ``source`` names it in errors."""
    if not isinstance(raw, dict):
        raise FormError(f"{source}: field rules must be a JSON object")
    unknown = set(raw) - {"default", "mask", "nodes"}
    if unknown:
        raise FormError(f"{source}: unknown key(s) {', '.join(sorted(unknown))}")
    default = raw.get("default", "readonly_after_own_node")
    if default not in DEFAULT_POLICIES:
        raise FormError(f"{source}: default must be one of {', '.join(DEFAULT_POLICIES)}")
    return FieldRules(
        default=default,
        nodes=_parse_nodes(raw.get("nodes", {}), source),
        mask=_parse_mask(raw.get("mask", {}), source),
    )


def parse_node_rules(text: str | None, node_id: str) -> dict[str, FieldRule]:
    """The ``fieldRules`` property of one BPMN task (JSON text) -> field path -> rule."""
    if not text or not text.strip():
        return {}
    source = f"fieldRules property of node {node_id!r}"
    try:
        raw = json.loads(text)
    except json.JSONDecodeError as exc:
        raise FormError(f"{source}: invalid JSON ({exc.msg}, line {exc.lineno})") from exc
    return _parse_node(raw, f"{source}:")


def _parse_nodes(raw: Any, source: str) -> dict[str, dict[str, FieldRule]]:
    if not isinstance(raw, dict):
        raise FormError(f"{source}: 'nodes' must map node ids to field rules")
    return {node: _parse_node(entry, f"{source}: node {node!r}:") for node, entry in raw.items()}


def _parse_node(raw: Any, where: str) -> dict[str, FieldRule]:
    if not isinstance(raw, dict):
        raise FormError(f"{where} must map field names to rules")
    return {name: _parse_rule(rule, f"{where} field {name!r}") for name, rule in raw.items()}


def _parse_rule(raw: Any, where: str) -> FieldRule:
    if not isinstance(raw, dict):
        raise FormError(f"{where}: must map levels ({', '.join(LEVELS)}) to lists of roles")
    unknown = set(raw) - set(LEVELS)
    if unknown:
        raise FormError(f"{where}: unknown level(s) {', '.join(sorted(unknown))}")
    for level, roles in raw.items():
        if not isinstance(roles, list) or not all(isinstance(r, str) and r for r in roles):
            raise FormError(f"{where}: {level} must be a list of role names")
    return FieldRule(**{level: frozenset(roles) for level, roles in raw.items()})


def _parse_mask(raw: Any, source: str) -> dict[str, str]:
    if not isinstance(raw, dict):
        raise FormError(f"{source}: 'mask' must map field names to mask kinds")
    for name, kind in raw.items():
        if kind not in MASK_KINDS:
            raise FormError(
                f"{source}: field {name!r}: unknown mask kind {kind!r} "
                f"(one of {', '.join(MASK_KINDS)})"
            )
    return dict(raw)
