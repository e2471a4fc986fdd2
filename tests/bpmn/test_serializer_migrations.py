"""Engine state that survives upgrades: saved state names its format, older formats are
migrated on load, and SpiffWorkflow's private API is touched only in bpmn/spiff_adapter.py."""

import ast
import datetime as dt
import json
from decimal import Decimal
from pathlib import Path
from uuid import UUID

import pytest
import SpiffWorkflow
from SpiffWorkflow.bpmn.serializer.migration.version_migration import MIGRATIONS
from SpiffWorkflow.bpmn.serializer.workflow import VERSION as SPIFF_VERSION
from SpiffWorkflow.bpmn.serializer.workflow import BpmnWorkflowSerializer
from SpiffWorkflow.task import TaskState

from bpmn import runtime, serializer
from bpmn.specs import compile_bundle
from definitions.deploy import deploy_bundle, read_bundle_folder
from tests.conftest import FIXTURES, PROCESSES, ROOT
from tickets import actions
from tickets.models import HumanTask, ProcessInstance, Ticket

PLATFORM = ROOT / "platform"
ADAPTER = PLATFORM / "bpmn" / "spiff_adapter.py"
SAVED = FIXTURES / "state"


def put_saved_state(ticket: Ticket, saved: dict) -> None:
    """Store engine state saved earlier on a ticket, as the row holding it keeps it."""
    ProcessInstance.objects.filter(ticket_id=ticket.id).update(
        state=saved["state"], state_format=saved["state_format"]
    )
    Ticket.objects.filter(id=ticket.id).update(
        next_timer_at=dt.datetime.fromisoformat(saved["next_timer_at"])
    )


def saved_state_format(ticket: Ticket) -> str:
    return ProcessInstance.objects.values_list("state_format", flat=True).get(ticket_id=ticket.id)


# --- state written by the previous format


def open_task(ticket, bpmn_id):
    return HumanTask.objects.get(ticket=ticket, bpmn_id=bpmn_id, state__in=actions.OPEN_STATES)


@pytest.mark.django_db
def test_a_ticket_saved_by_format_flowdesk_1_loads_and_completes(cast):
    saved = json.loads((SAVED / "repair_v1.json").read_text(encoding="utf-8"))
    assert saved["state_format"] == "flowdesk-1/spiff-1.5"
    # The repair process exactly as it was when the state was written.
    _, _, files = read_bundle_folder(PROCESSES / "repair.bpmn")
    bpmn = (SAVED / "repair_v1.bpmn").read_text(encoding="utf-8")
    deploy_bundle("repair.bpmn", bpmn, files)
    ticket = actions.do_start_ticket(cast["alice"], "repair", saved["start_data"])
    put_saved_state(ticket, saved)

    # The timer sweep is the first to touch the parked ticket after the upgrade: it loads
    # the old state, fires the diagnosis SLA timer armed before, and saves the new format.
    due = dt.datetime.fromisoformat(saved["next_timer_at"])
    assert actions.do_fire_due_timers(now=due) == 1
    ticket.refresh_from_db()
    assert saved_state_format(ticket) == serializer.FORMAT_VERSION
    assert json.loads(ProcessInstance.objects.get(ticket_id=ticket.id).state)["format"] == (
        serializer.FORMAT
    )
    assert ticket.events.filter(kind="timer_fired", bpmn_id="diagnose_sla").exists()
    assert open_task(ticket, "diagnose").engine_task_id != ""
    assert ticket.data["sla_hours"] == saved["data"]["sla_hours"]

    tom, carol, alice = cast["tom"], cast["carol"], cast["alice"]
    steps = [
        (tom, "diagnose", {"needs_parts": True, "labor_hours": 1.5, "parts_cost": "200"}),
        (carol, "approve_quote", {"approved": True}),
        (tom, "repair_work", {"work_done": "replaced the compressor"}),
        (alice, "confirm", {"rating": 5}),
    ]
    for user, bpmn_id, data in steps:
        ticket = actions.do_complete_task(user, open_task(ticket, bpmn_id).id, data)
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.COMPLETED and ticket.closed_at is not None
    # Data from before the upgrade and after it meet in the end: the form answers saved in
    # the old state (the technician) and the quote priced after the load.
    assert ticket.data["technician"] == "tom" and ticket.data["accepted"] is True
    quote = ticket.data["quote"]
    assert quote["parts"] == "200.00" and Decimal(quote["total"]) > Decimal(quote["parts"])


@pytest.mark.django_db
def test_the_fixture_state_is_refused_without_its_migration(cast, monkeypatch):
    saved = json.loads((SAVED / "repair_v1.json").read_text(encoding="utf-8"))
    monkeypatch.delitem(serializer._MIGRATIONS, "flowdesk-1")
    with pytest.raises(serializer.StateError, match="flowdesk-1"):
        serializer.upgrade(json.loads(saved["state"]))


# --- the format: self-describing, migrated in order, newer formats refused by name

MULTI = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="d_visits"
    targetNamespace="http://flowdesk.example/tests">
  <bpmn:process id="visits" name="Two visits" isExecutable="true">
    <bpmn:startEvent id="start"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:userTask id="visit" name="Visit">
      <bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing>
      <bpmn:multiInstanceLoopCharacteristics>
        <bpmn:loopCardinality>2</bpmn:loopCardinality>
      </bpmn:multiInstanceLoopCharacteristics>
    </bpmn:userTask>
    <bpmn:endEvent id="end"><bpmn:incoming>f2</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="visit" />
    <bpmn:sequenceFlow id="f2" sourceRef="visit" targetRef="end" />
  </bpmn:process>
</bpmn:definitions>
"""


@pytest.fixture
def visits():
    return compile_bundle("visits.bpmn", MULTI, {})


def test_saved_state_names_its_formats_and_process(visits):
    workflow, _ = runtime.start(visits, {"fee": Decimal("12.50"), "on": dt.date(2026, 11, 30)})
    state = runtime.dump(workflow)
    envelope = json.loads(state)
    assert envelope["format"] == serializer.FORMAT == "flowdesk-2"
    assert envelope["spec"] == "visits"
    assert envelope["workflow"]["typename"] == "BpmnWorkflow"
    assert "spec" not in envelope["workflow"]  # the spec is referenced, never embedded
    # SpiffWorkflow's own version is where SpiffWorkflow's public API reads it.
    assert BpmnWorkflowSerializer().get_version(state) == SPIFF_VERSION
    restored = runtime.load(visits, state)
    data = runtime.current_data(restored)
    assert data["fee"] == Decimal("12.50") and data["on"] == dt.date(2026, 11, 30)


def test_state_is_refused_on_another_process(visits):
    other = compile_bundle("reminder.bpmn", (FIXTURES / "reminder.bpmn").read_text(), {})
    workflow, _ = runtime.start(visits)
    with pytest.raises(serializer.StateError, match="'visits', not 'reminder'"):
        runtime.load(other, runtime.dump(workflow))


def test_newer_and_unknown_formats_are_refused_by_name(visits):
    workflow, _ = runtime.start(visits)
    envelope = json.loads(runtime.dump(workflow))
    newer = {**envelope, "format": "flowdesk-3"}
    with pytest.raises(serializer.StateError, match="flowdesk-3, written by a newer flowdesk"):
        runtime.load(visits, json.dumps(newer))
    with pytest.raises(serializer.StateError, match="'acme-1'"):
        runtime.load(visits, json.dumps({**envelope, "format": "acme-1"}))
    bare = dict(envelope["workflow"], serializer_version="1.5")  # SpiffWorkflow's own output
    with pytest.raises(serializer.StateError, match="names no flowdesk format"):
        runtime.load(visits, json.dumps(bare))
    with pytest.raises(serializer.StateError, match="not a JSON object"):
        runtime.load(visits, "[]")
    future_spiff = {**envelope, "serializer_version": "9.0"}
    with pytest.raises(serializer.StateError, match="9.0, newer than"):
        runtime.load(visits, json.dumps(future_spiff))


def test_migrations_run_in_order_from_the_oldest_format(visits, monkeypatch):
    """A format older than flowdesk-1 upgrades through flowdesk-1 to the current one."""
    monkeypatch.setattr(serializer, "_MIGRATIONS", dict(serializer._MIGRATIONS))
    ran = []

    @serializer.migration("flowdesk-0", to="flowdesk-1")
    def rename_customer(dct):  # flowdesk-0 called the field "client"
        ran.append("flowdesk-0")
        for task in dct["tasks"].values():
            if "client" in task["data"]:
                task["data"]["customer"] = task["data"].pop("client")
        dct["serializer_version"] = dct["serializer_version"].replace("flowdesk-0", "flowdesk-1")
        return dct

    workflow, _ = runtime.start(visits, {"client": "Wang Fang"})
    old = json.loads(runtime.dump(workflow))["workflow"]
    old["serializer_version"] = f"flowdesk-0/spiff-{SPIFF_VERSION}"
    restored = runtime.load(visits, json.dumps(old))
    assert ran == ["flowdesk-0"]
    assert runtime.current_data(restored)["customer"] == "Wang Fang"
    with pytest.raises(ValueError, match="already registered"):
        serializer.migration("flowdesk-0", to="flowdesk-1")(rename_customer)


def test_spiffworkflow_migrations_chain_to_the_installed_format():
    """Every SpiffWorkflow migration step is known and leads to the installed version; an
    upgrade of SpiffWorkflow that adds a format fails here until SPIFF_STEPS names it."""
    assert set(serializer.SPIFF_STEPS) == set(MIGRATIONS)
    for version in MIGRATIONS:
        seen = [version]
        while seen[-1] != SPIFF_VERSION:
            seen.append(serializer.SPIFF_STEPS[seen[-1]])
            assert len(seen) <= len(MIGRATIONS) + 1


def test_state_of_an_older_spiffworkflow_runs_its_migrations(visits):
    """SpiffWorkflow 1.3 kept a started multi-instance task WAITING; its 1.3 -> 1.4
    migration makes it STARTED. Run against the lent spec, the state loads and completes."""
    workflow, _ = runtime.start(visits)
    envelope = json.loads(runtime.dump(workflow))
    multi = [
        task
        for task in envelope["workflow"]["tasks"].values()
        if task["task_spec"] == "visit" and task["state"] == TaskState.STARTED
    ]
    assert len(multi) == 1
    multi[0]["state"] = TaskState.WAITING
    envelope["serializer_version"] = "1.3"
    restored = runtime.load(visits, json.dumps(envelope))
    assert restored.get_task_from_id(UUID(multi[0]["id"])).state == TaskState.STARTED
    for info in runtime.human_tasks(restored):
        assert runtime.complete_task(restored, info.task_id, {}).incident is None
    assert runtime.is_completed(restored)


# --- no private SpiffWorkflow API outside the adapter


def _spiff_private_names() -> set[str]:
    """Every `_name` (not dunder) that SpiffWorkflow defines or uses on its objects."""
    names = set()
    for path in Path(SpiffWorkflow.__file__).parent.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.FunctionDef | ast.ClassDef):
                name = node.name
            elif isinstance(node, ast.Attribute):
                name = node.attr
            else:
                continue
            if name.startswith("_") and not name.startswith("__"):
                names.add(name)
    return names


class _PrivateUse(ast.NodeVisitor):
    """Finds private SpiffWorkflow names used on anything but our own `self`/`cls`:
    `task._set_state(...)`, `SpiffTaskParser._parse_extensions(...)`, `getattr(t, "_x")`,
    `from SpiffWorkflow... import _x`, and `self._x` or `def _x` in a class that inherits
    from a SpiffWorkflow class (using or overriding its private members)."""

    def __init__(self, private: set[str]):
        self.private = private
        self.spiff_names: set[str] = set()  # names this module imported from SpiffWorkflow
        self.spiff_class_depth = 0
        self.found: list[tuple[int, str]] = []

    def visit_ImportFrom(self, node):
        if (node.module or "").split(".")[0] == "SpiffWorkflow":
            for alias in node.names:
                self.spiff_names.add(alias.asname or alias.name)
                if alias.name in self.private:
                    self.found.append((node.lineno, f"import {alias.name}"))

    def visit_ClassDef(self, node):
        inherits = any(
            isinstance(base, ast.Name) and base.id in self.spiff_names for base in node.bases
        )
        self.spiff_class_depth += inherits
        if inherits:
            for item in node.body:
                if isinstance(item, ast.FunctionDef) and item.name in self.private:
                    self.found.append((item.lineno, f"overrides {item.name}"))
        self.generic_visit(node)
        self.spiff_class_depth -= inherits

    def visit_Attribute(self, node):
        if (  # Django's ModelState (`obj._state.adding`), not SpiffWorkflow's task state
            node.attr in ("adding", "db")
            and isinstance(node.value, ast.Attribute)
            and node.value.attr == "_state"
        ):
            return
        if node.attr in self.private:
            own = isinstance(node.value, ast.Name) and node.value.id in ("self", "cls")
            if not own or self.spiff_class_depth:
                self.found.append((node.lineno, ast.unparse(node)))
        self.generic_visit(node)

    def visit_Call(self, node):
        if (
            isinstance(node.func, ast.Name)
            and node.func.id in ("getattr", "setattr", "hasattr")
            and len(node.args) >= 2
            and isinstance(node.args[1], ast.Constant)
            and node.args[1].value in self.private
        ):
            self.found.append((node.lineno, ast.unparse(node)))
        self.generic_visit(node)


def private_spiff_uses(source: str, private: set[str]) -> list[tuple[int, str]]:
    finder = _PrivateUse(private)
    finder.visit(ast.parse(source))
    return finder.found


def test_private_spiffworkflow_api_is_used_only_in_the_adapter():
    private = _spiff_private_names()
    assert {"_set_state", "_set_internal_data", "_parse_extensions"} <= private
    offenders = [
        f"{path.relative_to(ROOT)}:{line}: {what}"
        for path in sorted(PLATFORM.rglob("*.py"))
        if path != ADAPTER
        for line, what in private_spiff_uses(path.read_text(encoding="utf-8"), private)
    ]
    assert offenders == [], "use bpmn.spiff_adapter instead:\n" + "\n".join(offenders)


def test_the_guard_sees_each_way_of_reaching_private_api():
    private = _spiff_private_names()
    source = """
from SpiffWorkflow.task import Task
from SpiffWorkflow.spiff.parser.task_spec import SpiffTaskParser

def retry(task):
    task._set_state(8)
    getattr(task, "_get_internal_data")("event_fired")
    return SpiffTaskParser._parse_extensions(None)

class Mine(Task):
    def _set_state(self, value):
        self._drop_children()

class Plain:
    def _drop_children(self):
        return self._drop_children
"""
    found = [what for _, what in private_spiff_uses(source, private)]
    assert found == [
        "task._set_state",
        "getattr(task, '_get_internal_data')",
        "SpiffTaskParser._parse_extensions",
        "overrides _set_state",
        "self._drop_children",
    ]
