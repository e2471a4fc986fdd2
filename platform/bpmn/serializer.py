"""Workflow state <-> JSON, with the spec stored by reference, and the upgrades of old state.

SpiffWorkflow embeds the whole parsed spec in every serialization (~3x larger). Here the
workflow converter leaves the spec out; restoring takes the cached, parsed spec of the
ticket's ProcessVersion. Decimal, date and time round-trip.

A saved state describes itself (format `flowdesk-2`):

    {"format": "flowdesk-2", "spec": "<process id>", "workflow": {...},
     "serializer_version": "<SpiffWorkflow's serializer version, e.g. 1.5>"}

`workflow` is SpiffWorkflow's own dict of the workflow without its spec, and
`serializer_version` sits where SpiffWorkflow's `get_version` looks for it. On load, state of
an older flowdesk format is upgraded by the `@migration` functions registered below, in
order, and then SpiffWorkflow's own migrations bring the workflow dict up to the installed
SpiffWorkflow's format. Unknown or newer formats are refused with a `StateError` naming them.
"""

import datetime as dt
import json
import re
from collections.abc import Callable
from decimal import Decimal
from uuid import UUID

from SpiffWorkflow.bpmn.serializer.default.workflow import BpmnWorkflowConverter, WorkflowConverter
from SpiffWorkflow.bpmn.serializer.migration.version_migration import MIGRATIONS as SPIFF_MIGRATIONS
from SpiffWorkflow.bpmn.serializer.workflow import VERSION as SPIFF_VERSION
from SpiffWorkflow.bpmn.serializer.workflow import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG

# The flowdesk envelope format. Bump it together with a `@migration` from the previous one.
FORMAT = "flowdesk-2"
# What a ticket row records beside its state (`state_format`), to find old rows by query.
FORMAT_VERSION = f"{FORMAT}/spiff-{SPIFF_VERSION}"


class StateError(ValueError):
    pass


class ReferencedSpecWorkflowConverter(BpmnWorkflowConverter):
    def to_dict(self, workflow):
        dct = WorkflowConverter.to_dict(self, workflow)
        dct["subprocesses"] = self.mapping_to_dict(workflow.subprocesses)
        dct["bpmn_events"] = self.registry.convert(workflow.bpmn_events)
        return dct

    def from_dict(self, dct, spec=None, subprocess_specs=None):
        if spec is None:
            raise StateError("restoring a workflow needs its spec")
        workflow = self.target_class(spec, subprocess_specs or {}, deserializing=True)
        workflow.tasks = self.mapping_from_dict(dct["tasks"], UUID, workflow=workflow)
        workflow.task_tree = workflow.tasks.get(UUID(dct["root"]))
        self.set_default_attributes(workflow, dct)
        self.subprocesses_from_dict(dct["subprocesses"], workflow)
        workflow.bpmn_events = self.registry.restore(dct.pop("bpmn_events", []))
        return workflow


def _build_registry():
    registry = BpmnWorkflowSerializer.configure(SPIFF_CONFIG)
    ReferencedSpecWorkflowConverter(BpmnWorkflow, registry)
    registry.register(
        Decimal, lambda v: {"value": str(v)}, lambda d: Decimal(d["value"]), "Decimal"
    )
    registry.register(
        dt.date,
        lambda v: {"value": v.isoformat()},
        lambda d: dt.date.fromisoformat(d["value"]),
        "date",
    )
    registry.register(
        dt.time,
        lambda v: {"value": v.isoformat()},
        lambda d: dt.time.fromisoformat(d["value"]),
        "time",
    )
    return registry


class _EnvelopeSerializer(BpmnWorkflowSerializer):
    """SpiffWorkflow's serializer, with the workflow dict wrapped in the flowdesk envelope.
    `serialize_json` adds `serializer_version` (SpiffWorkflow's format) to the envelope."""

    def to_dict(self, obj, **kwargs):
        if not isinstance(obj, BpmnWorkflow):
            return super().to_dict(obj, **kwargs)
        return {"format": FORMAT, "spec": obj.spec.name, "workflow": super().to_dict(obj)}


_SERIALIZER = _EnvelopeSerializer(_build_registry(), version=SPIFF_VERSION)


def dumps(workflow: BpmnWorkflow) -> str:
    """Serialize engine state (without the spec) to a self-describing JSON string."""
    return _SERIALIZER.serialize_json(workflow)


def loads(state: str, spec, subprocess_specs: dict, script_engine) -> BpmnWorkflow:
    """Restore state saved by this or an older format onto `spec` (the cached parse)."""
    envelope = upgrade(json.loads(state, cls=_SERIALIZER.json_decoder_cls))
    if envelope.get("spec") not in (None, spec.name):
        raise StateError(f"saved state belongs to process {envelope['spec']!r}, not {spec.name!r}")
    dct = envelope["workflow"]
    spiff_version = _SERIALIZER.get_version(envelope)
    if spiff_version != SPIFF_VERSION:
        migrate_spiff(dct, spiff_version, spec, subprocess_specs)
    workflow = _SERIALIZER.from_dict(dct, spec=spec, subprocess_specs=subprocess_specs)
    # SpiffWorkflow does not keep the script engine in the state: attach it again.
    workflow.script_engine = script_engine
    for sub in workflow.subprocesses.values():
        if not isinstance(getattr(type(sub), "script_engine", None), property):
            sub.script_engine = script_engine  # a call activity's reads its parent's
    return workflow


# --- flowdesk format migrations

_MIGRATIONS: dict[str, tuple[str, Callable[[dict], dict]]] = {}


def migration(source: str, *, to: str):
    """Register `fn(state_dict) -> state_dict` as the upgrade from format `source` to `to`.
    It gets the decoded JSON of a saved state and returns it in format `to`."""

    def register(fn: Callable[[dict], dict]) -> Callable[[dict], dict]:
        if source in _MIGRATIONS:
            raise ValueError(f"a migration from {source} is already registered")
        _MIGRATIONS[source] = (to, fn)
        return fn

    return register


def format_of(dct: dict) -> str:
    """The flowdesk format a decoded saved state was written in."""
    if not isinstance(dct, dict):
        raise StateError(f"saved state is not a JSON object but {type(dct).__name__}")
    if "format" in dct:
        return dct["format"]
    # flowdesk-1 had no envelope: its label "flowdesk-1/spiff-<v>" took SpiffWorkflow's key.
    label = _SERIALIZER.get_version(dct)
    if isinstance(label, str) and label.startswith("flowdesk-"):
        return label.split("/", 1)[0]
    raise StateError(f"saved state names no flowdesk format (serializer_version {label!r})")


def upgrade(dct: dict) -> dict:
    """Apply the registered migrations, in order, until the state is in `FORMAT`."""
    version = format_of(dct)
    steps = 0
    while version != FORMAT:
        if version not in _MIGRATIONS or steps > len(_MIGRATIONS):
            raise StateError(_unreadable(version))
        to, fn = _MIGRATIONS[version]
        dct = fn(dct)
        version = format_of(dct)
        if version != to:
            raise StateError(f"migration {fn.__name__} produced format {version}, not {to}")
        steps += 1
    return dct


def _unreadable(version: str) -> str:
    known = _number(version, "flowdesk-")
    if known is not None and known > _number(FORMAT, "flowdesk-"):
        return (
            f"saved state has format {version}, written by a newer flowdesk; "
            f"this build reads {FORMAT} and older"
        )
    return f"saved state has format {version!r}, which this build ({FORMAT}) cannot read"


def _number(version: str, prefix: str) -> int | None:
    found = re.fullmatch(re.escape(prefix) + r"(\d+)", version)
    return int(found.group(1)) if found else None


@migration("flowdesk-1", to="flowdesk-2")
def _wrap_in_envelope(dct: dict) -> dict:
    """flowdesk-1 stored SpiffWorkflow's workflow dict bare, labelled in its
    `serializer_version` key with both formats ("flowdesk-1/spiff-1.5"), so SpiffWorkflow's
    own version was not where its migrations look; the process it belongs to was not named."""
    label = dct.pop(BpmnWorkflowSerializer.VERSION_KEY)
    spiff_version = label.partition("/spiff-")[2] or SPIFF_VERSION
    return {
        "format": "flowdesk-2",
        "spec": None,
        "workflow": dct,
        BpmnWorkflowSerializer.VERSION_KEY: spiff_version,
    }


# --- SpiffWorkflow's format migrations

# SpiffWorkflow 3.2.0's MIGRATIONS[v] upgrades a serialization of version v to the version
# given here (read from SpiffWorkflow/bpmn/serializer/migration/version_migration.py): the
# 1.0 and 1.1 steps chain on to 1.3, the later ones go one step. Its own `migrate` applies a
# single step; `migrate_spiff` runs the chain to the installed version.
SPIFF_STEPS = {"1.0": "1.3", "1.1": "1.3", "1.2": "1.3", "1.3": "1.4", "1.4": "1.5"}


def migrate_spiff(dct: dict, version: str, spec, subprocess_specs: dict) -> None:
    """Upgrade a workflow dict written by an older SpiffWorkflow serializer, in place.

    SpiffWorkflow's migrations expect its full serialization, specs included, and read the
    task specs to decide how to change tasks. The spec is not stored here: it is parsed
    from the BPMN by the installed SpiffWorkflow, so it is already current. Its dict is lent
    to the migrations and dropped afterwards, with whatever they changed in it."""
    if _version_tuple(version) > _version_tuple(SPIFF_VERSION):
        raise StateError(
            f"saved state has SpiffWorkflow serializer format {version}, newer than the "
            f"installed SpiffWorkflow's {SPIFF_VERSION}"
        )
    dct["spec"] = _SERIALIZER.to_dict(spec)
    dct["subprocess_specs"] = {
        name: _SERIALIZER.to_dict(sub) for name, sub in subprocess_specs.items()
    }
    try:
        while version != SPIFF_VERSION:
            if version not in SPIFF_STEPS or version not in SPIFF_MIGRATIONS:
                raise StateError(f"no SpiffWorkflow migration from serializer format {version!r}")
            try:
                SPIFF_MIGRATIONS[version](dct)
            except (KeyError, TypeError, ValueError, NameError, AttributeError) as exc:
                raise StateError(
                    f"SpiffWorkflow's migration from serializer format {version} failed: "
                    f"{type(exc).__name__}: {exc}"
                ) from exc
            version = SPIFF_STEPS[version]
    finally:
        del dct["spec"], dct["subprocess_specs"]
        dct.pop("VERSION", None)  # SpiffWorkflow's migrations leave this marker


def _version_tuple(version: str) -> tuple[int, ...]:
    try:
        return tuple(int(part) for part in str(version).split("."))
    except ValueError:
        raise StateError(f"unknown SpiffWorkflow serializer format {version!r}") from None


def check_data_keys(data: dict) -> None:
    """Refuse input data that SpiffWorkflow's serializer cannot restore."""
    # A data key named "typename" makes the registry mistake the dict for an object.
    if _has_typename(data):
        raise StateError("data may not use the reserved key 'typename'")


def _has_typename(value) -> bool:
    if isinstance(value, dict):
        return "typename" in value or any(_has_typename(v) for v in value.values())
    if isinstance(value, list):
        return any(_has_typename(v) for v in value)
    return False
