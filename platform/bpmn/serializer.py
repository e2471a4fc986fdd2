"""Workflow state <-> JSON, with the spec stored by reference.

SpiffWorkflow embeds the whole parsed spec in every serialization (~3x larger). Here the
workflow converter leaves the spec out; restoring takes the cached, parsed spec of the
ticket's ProcessVersion. Decimal, date and time round-trip; the format version is stored
so that later upgrades can migrate saved state.
"""

import datetime as dt
import json
from decimal import Decimal

from SpiffWorkflow.bpmn.serializer.default.workflow import BpmnWorkflowConverter, WorkflowConverter
from SpiffWorkflow.bpmn.serializer.workflow import VERSION as SPIFF_VERSION
from SpiffWorkflow.bpmn.serializer.workflow import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG

# Bump with a migration in `migrate` whenever the stored shape changes.
FORMAT_VERSION = f"flowdesk-1/spiff-{SPIFF_VERSION}"


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
        workflow.tasks = self.mapping_from_dict(dct["tasks"], _uuid, workflow=workflow)
        workflow.task_tree = workflow.tasks.get(_uuid(dct["root"]))
        self.set_default_attributes(workflow, dct)
        self.subprocesses_from_dict(dct["subprocesses"], workflow)
        workflow.bpmn_events = self.registry.restore(dct.pop("bpmn_events", []))
        return workflow


def _uuid(value):
    from uuid import UUID

    return UUID(value)


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


_SERIALIZER = BpmnWorkflowSerializer(_build_registry(), version=FORMAT_VERSION)


def dumps(workflow: BpmnWorkflow) -> str:
    """Serialize engine state (without the spec) to a JSON string."""
    return _SERIALIZER.serialize_json(workflow)


def loads(state: str, spec, subprocess_specs: dict, script_engine) -> BpmnWorkflow:
    dct = json.loads(state, cls=_SERIALIZER.json_decoder_cls)
    version = dct.pop(_SERIALIZER.VERSION_KEY, None)
    if version != FORMAT_VERSION:
        raise StateError(f"saved state has format {version!r}; this build reads {FORMAT_VERSION!r}")
    workflow = _SERIALIZER.from_dict(dct, spec=spec, subprocess_specs=subprocess_specs)
    # SpiffWorkflow does not keep the script engine in the state: attach it again.
    workflow.script_engine = script_engine
    for sub in workflow.subprocesses.values():
        sub.script_engine = script_engine
    return workflow


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
