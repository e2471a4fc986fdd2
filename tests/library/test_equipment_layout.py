"""The equipment maintenance diagram: a lane per role holding that role's steps, each step
drawn inside its lane, each flow drawn from its source to its target at right angles."""

from lxml import etree

from tests.conftest import PROCESSES

NS = {
    "bpmn": "http://www.omg.org/spec/BPMN/20100524/MODEL",
    "bpmndi": "http://www.omg.org/spec/BPMN/20100524/DI",
    "dc": "http://www.omg.org/spec/DD/20100524/DC",
    "di": "http://www.omg.org/spec/DD/20100524/DI",
}
CAMUNDA = "{http://camunda.org/schema/1.0/bpmn}"
SPIFF = "http://spiffworkflow.org/bpmn/schema/1.0/core"
# lane -> the groups its user tasks are offered to
ROLES = {
    "Lane_service": {"agents"},
    "Lane_dispatch": {"${dispatcher_group}"},
    "Lane_field": {"technicians"},
    "Lane_finance": {"finance", "supervisors"},
}


def _tree():
    return etree.parse(str(PROCESSES / "equipment_maintenance.bpmn"))


def _bounds(tree):
    out = {}
    for shape in tree.iterfind(".//bpmndi:BPMNShape", NS):
        b = shape.find("dc:Bounds", NS)
        x, y, w, h = (float(b.get(k)) for k in ("x", "y", "width", "height"))
        out[shape.get("bpmnElement")] = (x, y, x + w, y + h)
    return out


def _inside(point, box, slack=1.0):
    x, y = point
    return box[0] - slack <= x <= box[2] + slack and box[1] - slack <= y <= box[3] + slack


def _groups(node) -> str | None:
    declared = node.get(f"{CAMUNDA}candidateGroups")
    for prop in node.iterfind(f".//{{{SPIFF}}}property"):
        if prop.get("name") == "candidateGroups":
            declared = prop.get("value")
    return declared


def test_each_role_has_a_lane_holding_its_steps_drawn_inside_it():
    tree = _tree()
    bounds = _bounds(tree)
    placed = set()
    for lane in tree.findall(".//bpmn:lane", NS):
        for ref in lane.iterfind("bpmn:flowNodeRef", NS):
            node = tree.find(f".//*[@id='{ref.text}']")
            if node.tag.endswith("userTask"):
                assert _groups(node) in ROLES[lane.get("id")], ref.text
            box = bounds[ref.text]
            assert _inside(box[:2], bounds[lane.get("id")]), ref.text
            assert _inside(box[2:], bounds[lane.get("id")]), ref.text
            placed.add(ref.text)
    nodes = {
        e.get("id")
        for e in tree.find("bpmn:process", NS)
        if e.get("id") and not e.tag.endswith(("sequenceFlow", "laneSet"))
    }
    assert placed == nodes and set(ROLES) == {
        x.get("id") for x in tree.iterfind(".//bpmn:lane", NS)
    }


def test_every_flow_is_drawn_from_its_source_to_its_target():
    tree = _tree()
    bounds = _bounds(tree)
    edges = {e.get("bpmnElement"): e for e in tree.iterfind(".//bpmndi:BPMNEdge", NS)}
    flows = tree.findall(".//bpmn:sequenceFlow", NS)
    assert len(flows) == len(edges)
    for flow in flows:
        points = [
            (float(p.get("x")), float(p.get("y")))
            for p in edges[flow.get("id")].iterfind("di:waypoint", NS)
        ]
        assert _inside(points[0], bounds[flow.get("sourceRef")]), flow.get("id")
        assert _inside(points[-1], bounds[flow.get("targetRef")]), flow.get("id")
        for (ax, ay), (bx, by) in zip(points, points[1:], strict=False):
            assert ax == bx or ay == by, f"{flow.get('id')} is not drawn at right angles"
