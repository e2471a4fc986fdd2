"""Deploy-time checks for models that SpiffWorkflow would run forever or crash on.

- A cycle of flows with no way out (no path from it to an end) makes SpiffWorkflow's
  task prediction recurse until Python's RecursionError when a ticket starts, or step
  forever when the cycle has no task that waits.
- A call activity that calls its own process (directly or through other processes)
  creates sub-workflows without end.
Both are refused at deploy with the elements named, so no start crashes on them.
"""

from collections.abc import Mapping


def check_spec(spec, filename: str) -> list[str]:
    """Problems of one process spec (the top level or a sub-process)."""
    specs = spec.task_specs
    can_end = _reaching_an_end(specs)
    trapped = {name for name in specs if name not in can_end}
    looping = [name for name in trapped if _returns_to(specs, name, trapped)] or trapped
    labels = sorted({_label(specs[n]) for n in looping if getattr(specs[n], "bpmn_id", None)})
    if not labels:
        return []
    return [
        f"{filename}: process {spec.name!r}: the flow through {', '.join(labels)} loops with no "
        "way to an end event; add a gateway with a path that leaves the loop"
    ]


def _returns_to(specs: Mapping, start: str, within: set[str]) -> bool:
    seen: set[str] = set()
    pending = [o.name for o in specs[start].outputs]
    while pending:
        name = pending.pop()
        if name == start:
            return True
        if name in within and name not in seen:
            seen.add(name)
            pending += [o.name for o in specs[name].outputs]
    return False


def _reaching_an_end(specs: Mapping) -> set[str]:
    incoming: dict[str, list[str]] = {name: [] for name in specs}
    for name, task_spec in specs.items():
        for output in task_spec.outputs:
            incoming.setdefault(output.name, []).append(name)
    reached = {name for name, task_spec in specs.items() if not task_spec.outputs}
    pending = list(reached)
    while pending:
        for source in incoming.get(pending.pop(), ()):
            if source not in reached:
                reached.add(source)
                pending.append(source)
    return reached


def _label(task_spec) -> str:
    name = getattr(task_spec, "bpmn_name", None)
    return f"{task_spec.bpmn_id!r}" + (f" ({name!r})" if name else "")


def check_calls(top_key: str, spec, subprocess_specs: Mapping, filename: str) -> list[str]:
    """Call activities that lead back to a process already on the call chain."""
    graph = {top_key: _called(spec)}
    graph.update({key: _called(sub) for key, sub in subprocess_specs.items()})
    problems: list[str] = []

    def walk(key: str, chain: list[str]) -> None:
        for activity, called in graph.get(key, ()):
            if called in chain:
                path = " -> ".join([*chain[chain.index(called) :], called])
                problem = (
                    f"{filename}: call activity {activity} calls process {called!r} again "
                    f"({path}); a process that calls itself never ends, so this is refused"
                )
                if problem not in problems:
                    problems.append(problem)
            elif called in graph:
                walk(called, [*chain, called])

    walk(top_key, [top_key])
    return problems


def _called(spec) -> list[tuple[str, str]]:
    found = []
    for task_spec in spec.task_specs.values():
        called = getattr(task_spec, "spec", None)
        if isinstance(called, str) and getattr(task_spec, "bpmn_id", None):
            found.append((_label(task_spec), called))
    return found


_REFERENCES = {
    "sequenceFlow": ("sourceRef", "targetRef"),
    "boundaryEvent": ("attachedToRef",),
    "exclusiveGateway": ("default",),
    "inclusiveGateway": ("default",),
    "messageEventDefinition": ("messageRef",),
    "signalEventDefinition": ("signalRef",),
    "errorEventDefinition": ("errorRef",),
    "escalationEventDefinition": ("escalationRef",),
}
_REQUIRED = {"sequenceFlow": ("sourceRef", "targetRef"), "boundaryEvent": ("attachedToRef",)}


def check_references(root, filename: str) -> list[str]:
    """Ids an element refers to that are not in the file (SpiffWorkflow reports these as
    "we found two items, perhaps a form has the same ID?" or with a Python repr)."""
    from bpmn.camunda import BPMN_NS, describe

    ids = set(root.xpath("//@id"))
    problems = []
    for local, attributes in _REFERENCES.items():
        for node in root.iter(f"{{{BPMN_NS}}}{local}"):
            for attribute in attributes:
                value = node.get(attribute)
                if value is None and attribute in _REQUIRED.get(local, ()):
                    problems.append(f"{describe(node, filename)}: {attribute} is missing")
                elif value is not None and value not in ids:
                    problems.append(
                        f"{describe(node, filename)}: {attribute} refers to {value!r}, which "
                        "is not in the file"
                    )
    return problems
