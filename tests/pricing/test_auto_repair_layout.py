"""The auto-repair example's diagram: a lane per role holding that role's steps, every
node drawn inside its lane, every flow drawn from its source to its target."""

from lxml import etree

from tests.conftest import PROCESSES

NS = {
    "bpmn": "http://www.omg.org/spec/BPMN/20100524/MODEL",
    "bpmndi": "http://www.omg.org/spec/BPMN/20100524/DI",
    "dc": "http://www.omg.org/spec/DD/20100524/DC",
    "di": "http://www.omg.org/spec/DD/20100524/DI",
}
CAMUNDA_GROUPS = "{http://camunda.org/schema/1.0/bpmn}candidateGroups"
ROLES = {"Lane_advisors": "agents", "Lane_technicians": "technicians", "Lane_finance": "finance"}


def _tree():
    return etree.parse(str(PROCESSES / "auto_repair.bpmn"))


def _bounds(tree) -> dict[str, tuple[float, float, float, float]]:
    out = {}
    for shape in tree.iterfind(".//bpmndi:BPMNShape", NS):
        b = shape.find("dc:Bounds", NS)
        x, y, w, h = (float(b.get(k)) for k in ("x", "y", "width", "height"))
        out[shape.get("bpmnElement")] = (x, y, x + w, y + h)
    return out


def _inside(point, box, slack=1.0) -> bool:
    x, y = point
    return box[0] - slack <= x <= box[2] + slack and box[1] - slack <= y <= box[3] + slack


def test_each_role_has_a_lane_holding_its_steps_drawn_inside_it():
    tree = _tree()
    bounds = _bounds(tree)
    lanes = tree.findall(".//bpmn:lane", NS)
    assert {lane.get("id") for lane in lanes} == set(ROLES)
    placed = set()
    for lane in lanes:
        for ref in lane.iterfind("bpmn:flowNodeRef", NS):
            node = tree.find(f".//*[@id='{ref.text}']")
            groups = node.get(CAMUNDA_GROUPS)
            if node.tag.endswith("userTask"):
                assert groups == ROLES[lane.get("id")], ref.text
            x0, y0, x1, y1 = bounds[ref.text]
            assert _inside((x0, y0), bounds[lane.get("id")]), ref.text
            assert _inside((x1, y1), bounds[lane.get("id")]), ref.text
            placed.add(ref.text)
    nodes = {
        e.get("id")
        for e in tree.find("bpmn:process", NS)
        if e.get("id") and not e.tag.endswith(("sequenceFlow", "laneSet"))
    }
    assert placed == nodes


def test_every_flow_is_drawn_from_its_source_to_its_target():
    tree = _tree()
    bounds = _bounds(tree)
    edges = {e.get("bpmnElement"): e for e in tree.iterfind(".//bpmndi:BPMNEdge", NS)}
    flows = tree.findall(".//bpmn:sequenceFlow", NS)
    assert len(flows) == len(edges) == 17
    for flow in flows:
        points = [
            (float(p.get("x")), float(p.get("y")))
            for p in edges[flow.get("id")].iterfind("di:waypoint", NS)
        ]
        assert len(points) >= 2
        assert _inside(points[0], bounds[flow.get("sourceRef")]), flow.get("id")
        assert _inside(points[-1], bounds[flow.get("targetRef")]), flow.get("id")
        for (ax, ay), (bx, by) in zip(points, points[1:], strict=False):
            assert ax == bx or ay == by, f"{flow.get('id')} is not drawn at right angles"
