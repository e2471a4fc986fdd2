"""Every shipped process opens drawn: a shape for each flow node, an edge for each flow."""

from pathlib import Path

import pytest

from bpmn.xmlsafe import parse_xml
from tests.conftest import PROCESSES

BPMN = "http://www.omg.org/spec/BPMN/20100524/MODEL"
DI = "http://www.omg.org/spec/BPMN/20100524/DI"
DD_DI = "http://www.omg.org/spec/DD/20100524/DI"
DC = "http://www.omg.org/spec/DD/20100524/DC"
NOT_DRAWN = {"laneSet", "lane", "sequenceFlow", "extensionElements", "documentation"}


def _flow_nodes(root):
    for container in root.iter(f"{{{BPMN}}}process", f"{{{BPMN}}}subProcess"):
        for node in container:
            local = node.tag.rsplit("}", 1)[-1] if isinstance(node.tag, str) else ""
            if node.get("id") and local not in NOT_DRAWN and not local.startswith("data"):
                yield node.get("id")


@pytest.mark.parametrize("path", sorted(PROCESSES.glob("*.bpmn")), ids=lambda p: p.name)
def test_every_flow_node_and_flow_is_drawn(path: Path):
    root = parse_xml(path.read_bytes(), path.name)
    shapes = {s.get("bpmnElement") for s in root.iter(f"{{{DI}}}BPMNShape")}
    edges = {e.get("bpmnElement") for e in root.iter(f"{{{DI}}}BPMNEdge")}
    flows = {f.get("id") for f in root.iter(f"{{{BPMN}}}sequenceFlow")}
    assert set(_flow_nodes(root)) - shapes == set()
    assert flows and flows - edges == set()
    lanes = {lane.get("id") for lane in root.iter(f"{{{BPMN}}}lane")}
    assert lanes - shapes == set()


def test_edges_have_waypoints_and_shapes_bounds():
    for path in sorted(PROCESSES.glob("*.bpmn")):
        root = parse_xml(path.read_bytes(), path.name)
        for edge in root.iter(f"{{{DI}}}BPMNEdge"):
            assert len(edge.findall(f"{{{DD_DI}}}waypoint")) >= 2, (path.name, edge.get("id"))
        for shape in root.iter(f"{{{DI}}}BPMNShape"):
            assert shape.find(f"{{{DC}}}Bounds") is not None, (path.name, shape.get("id"))
