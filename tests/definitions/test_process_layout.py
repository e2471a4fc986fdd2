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


def _box(element) -> tuple[float, float, float, float]:
    b = element.find(f"{{{DC}}}Bounds")
    x, y = float(b.get("x")), float(b.get("y"))
    return x, y, x + float(b.get("width")), y + float(b.get("height"))


def _overlap(a, b) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


# Lines web/layout-bpmn.mjs does not route around yet: a boundary event's flow that leaves
# upwards through its own host, flows past a boundary event on another step, and flows whose
# turn lies in a column holding another step.
KNOWN_CROSSINGS = {  # 23 before the tool tried a turn at the source
    ("damaged_goods.bpmn", "f_courier"),
    ("equipment_maintenance.bpmn", "f_cancel_consume"),
    ("equipment_maintenance.bpmn", "f_complete_plan"),
    ("equipment_maintenance.bpmn", "f_dispatch_prepare"),
    ("equipment_maintenance.bpmn", "f_revisit_plan"),
    ("food_safety.bpmn", "f_investigate_fault"),
    ("food_safety.bpmn", "f_respond_investigate"),
    ("inquiry.bpmn", "f_reply_respond"),
    ("inquiry.bpmn", "f_specialist_done"),
    ("returns.bpmn", "f_not_as_described"),
}


@pytest.mark.parametrize("path", sorted(PROCESSES.glob("*.bpmn")), ids=lambda p: p.name)
def test_flow_labels_stand_apart_and_no_line_runs_through_a_step(path: Path):
    """Two flows out of one gateway used to carry their labels one over the other (bpmn-js
    puts a label without bounds at the middle waypoint, which such flows share), and a
    flow could run straight through another step on its way down to its target."""
    root = parse_xml(path.read_bytes(), path.name)
    named = {f.get("id") for f in root.iter(f"{{{BPMN}}}sequenceFlow") if f.get("name")}
    flows = {f.get("id"): f for f in root.iter(f"{{{BPMN}}}sequenceFlow")}
    shapes = {
        s.get("bpmnElement"): _box(s)
        for s in root.iter(f"{{{DI}}}BPMNShape")
        if s.get("bpmnElement") not in {lane.get("id") for lane in root.iter(f"{{{BPMN}}}lane")}
        and not s.get("bpmnElement", "").startswith(("Participant_", "Collaboration_"))
    }
    labels, crossings = {}, set()
    for edge in root.iter(f"{{{DI}}}BPMNEdge"):
        flow = flows.get(edge.get("bpmnElement"))
        if flow is None:
            continue
        label = edge.find(f"{{{DI}}}BPMNLabel")
        if flow.get("id") in named:
            assert label is not None, f"{path.name}: flow {flow.get('id')} has no label place"
            labels[flow.get("id")] = _box(label)
        points = [(float(p.get("x")), float(p.get("y"))) for p in edge.iter(f"{{{DD_DI}}}waypoint")]
        ends = {flow.get("sourceRef"), flow.get("targetRef")}
        for (x1, y1), (x2, y2) in zip(points, points[1:], strict=False):
            if x1 != x2:
                continue  # vertical stretches: where a line used to cut through a step
            stretch = (x1 - 0.5, min(y1, y2) + 1, x1 + 0.5, max(y1, y2) - 1)
            if any(n not in ends and _overlap(box, stretch) for n, box in shapes.items()):
                crossings.add((path.name, flow.get("id")))
    assert crossings <= KNOWN_CROSSINGS, (
        f"lines through a step: {sorted(crossings - KNOWN_CROSSINGS)}"
    )
    placed = sorted(labels.items())
    for i, (one, a) in enumerate(placed):
        for other, b in placed[i + 1 :]:
            assert not _overlap(a, b), f"{path.name}: labels of {one} and {other} overlap"
