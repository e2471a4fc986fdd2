"""Engine state that survives upgrades: saved state names its format, older formats are
migrated on load, and SpiffWorkflow's private API is touched only in bpmn/spiff_adapter.py."""

import ast
from pathlib import Path

import SpiffWorkflow

from tests.conftest import ROOT

PLATFORM = ROOT / "platform"
ADAPTER = PLATFORM / "bpmn" / "spiff_adapter.py"


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
