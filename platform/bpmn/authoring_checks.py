"""Checks a modeler runs on a process being drawn, before it is published.

SpiffWorkflow accepts a task without an outgoing flow (the path silently ends there) and a
node no flow leads to (it never runs); both are almost always a flow deleted by mistake
while editing, so a draft with them cannot be published. The deploy of files made
elsewhere keeps accepting them, as the BPMN standard does.

`locate` turns the engine's error messages into the ids of the elements they name, so the
modeler can pin each message on its element.
"""

import re
from dataclasses import dataclass

from bpmn.parser import BPMN_NS

_FLOW_NODES = {
    "task",
    "userTask",
    "manualTask",
    "scriptTask",
    "serviceTask",
    "sendTask",
    "receiveTask",
    "businessRuleTask",
    "callActivity",
    "subProcess",
    "exclusiveGateway",
    "inclusiveGateway",
    "parallelGateway",
    "eventBasedGateway",
    "startEvent",
    "endEvent",
    "intermediateCatchEvent",
    "intermediateThrowEvent",
    "boundaryEvent",
}
_NO_OUTGOING_NEEDED = {"endEvent"}
_NO_INCOMING_NEEDED = {"startEvent", "boundaryEvent"}
_QUOTED = re.compile(r"'([^']+)'")


@dataclass(frozen=True)
class Problem:
    message: str
    element_ids: tuple[str, ...] = ()
    line: int | None = None
    code: str = ""  # no_outgoing, unreachable: the checks of this module, for translation

    def as_dict(self) -> dict:
        return {
            "message": self.message,
            "element_ids": list(self.element_ids),
            "line": self.line,
            "code": self.code,
        }


def _local(node) -> str:
    return node.tag.rsplit("}", 1)[-1] if isinstance(node.tag, str) else ""


def _label(node) -> str:
    name = node.get("name")
    return f"'{node.get('id')}'" + (f" ({name})" if name else "")


def _is_link_event(node) -> bool:
    return node.find(f"{{{BPMN_NS}}}linkEventDefinition") is not None


def _exempt_from_incoming(node) -> bool:
    kind = _local(node)
    return (
        kind in _NO_INCOMING_NEEDED
        or (kind == "subProcess" and node.get("triggeredByEvent") == "true")
        or node.get("isForCompensation") == "true"
        or (kind == "intermediateCatchEvent" and _is_link_event(node))
    )


def _exempt_from_outgoing(node) -> bool:
    kind = _local(node)
    return (
        kind in _NO_OUTGOING_NEEDED
        or node.get("isForCompensation") == "true"
        or (kind == "intermediateThrowEvent" and _is_link_event(node))
        or (kind == "boundaryEvent" and _is_compensation(node))
    )


def _is_compensation(node) -> bool:
    return node.find(f"{{{BPMN_NS}}}compensateEventDefinition") is not None


def check_flows(root) -> list[Problem]:
    """Nodes whose path ends without an end event, and nodes no flow reaches."""
    problems = []
    for container in root.iter(f"{{{BPMN_NS}}}process", f"{{{BPMN_NS}}}subProcess"):
        flows = container.findall(f"{{{BPMN_NS}}}sequenceFlow")
        sources = {flow.get("sourceRef") for flow in flows}
        targets = {flow.get("targetRef") for flow in flows}
        for node in container:
            kind = _local(node)
            if kind not in _FLOW_NODES or not node.get("id"):
                continue
            node_id = node.get("id")
            if node_id not in sources and not _exempt_from_outgoing(node):
                problems.append(
                    Problem(
                        f"{_label(node)} has no outgoing flow: only an end event may end a "
                        "path; connect it to the next step or to an end event",
                        (node_id,),
                        node.sourceline,
                        "no_outgoing",
                    )
                )
            if node_id not in targets and not _exempt_from_incoming(node):
                problems.append(
                    Problem(
                        f"{_label(node)} is never reached: no flow leads to it",
                        (node_id,),
                        node.sourceline,
                        "unreachable",
                    )
                )
    return problems


_LINE = re.compile(r"\bline (\d+)")


def malformed(message: str) -> Problem:
    """An XML syntax error: no element to pin it on, but its line."""
    found = _LINE.search(message)
    return Problem(message, (), int(found.group(1)) if found else None)


def locate(root, message: str) -> Problem:
    """The elements an engine message names: quoted element ids, or the elements that
    refer to a quoted name (a form file, a decision, a service operator)."""
    ids: list[str] = []
    for token in _QUOTED.findall(message):
        for element_id in _elements_named(root, token):
            if element_id not in ids:
                ids.append(element_id)
    line = None
    if ids:
        found = root.xpath("//*[@id=$id]", id=ids[0])
        line = found[0].sourceline if found else None
    return Problem(message, tuple(ids), line)


def _elements_named(root, token: str) -> list[str]:
    if root.xpath("//*[@id=$id]", id=token):
        return [token]
    found = []
    refs = root.xpath("//*[text()=$t] | //*[@*=$t]", t=token)
    for node in refs:
        owner = _flow_element(node)
        if owner is not None and owner.get("id") not in found:
            found.append(owner.get("id"))
    return found


def _flow_element(node):
    while node is not None:
        if _local(node) in _FLOW_NODES and node.get("id"):
            return node
        node = node.getparent()
    return None
