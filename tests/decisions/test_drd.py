"""Every shipped DMN file carries its diagram (DMNDI): without one dmn-js draws an empty DRD.
A file added to dmn/ without it fails here; `node web/layout-dmn.mjs dmn/<file>.dmn` adds it."""

import subprocess
from xml.etree import ElementTree

import pytest

from tests.conftest import ROOT

DMN = "{https://www.omg.org/spec/DMN/20191111/MODEL/}"
DMNDI = "{https://www.omg.org/spec/DMN/20191111/DMNDI/}"
DRAWN = ("decision", "inputData", "businessKnowledgeModel", "knowledgeSource")
REQUIREMENTS = ("informationRequirement", "knowledgeRequirement", "authorityRequirement")
FILES = sorted((ROOT / "dmn").glob("*.dmn"))


def drd_elements(xml: str) -> tuple[dict[str, set[str]], set[str]]:
    """({kind: ids of the elements a DRD shows}, ids of the requirements it draws as edges)."""
    root = ElementTree.fromstring(xml)
    shapes = {kind: {e.get("id") for e in root.findall(f"{DMN}{kind}")} for kind in DRAWN}
    edges = {r.get("id") for kind in REQUIREMENTS for r in root.iter(f"{DMN}{kind}")}
    return shapes, edges


@pytest.mark.parametrize("path", FILES, ids=[p.name for p in FILES])
def test_every_element_of_a_shipped_dmn_file_has_its_shape_and_edge(path):
    xml = path.read_text()
    shapes, edges = drd_elements(xml)
    root = ElementTree.fromstring(xml)
    shaped = {s.get("dmnElementRef") for s in root.iter(f"{DMNDI}DMNShape")}
    edged = {e.get("dmnElementRef") for e in root.iter(f"{DMNDI}DMNEdge")}
    assert shapes["decision"], "a decision file without a decision"
    assert set().union(*shapes.values()) <= shaped, f"{path.name}: run node web/layout-dmn.mjs"
    assert None not in edges and edges <= edged, f"{path.name}: requirements without an edge"
    for bounds in root.iter("{http://www.omg.org/spec/DMN/20180521/DC/}Bounds"):
        assert float(bounds.get("width")) > 0 and float(bounds.get("height")) > 0


def test_the_layout_tool_lays_out_requirements_and_leaves_laid_out_files_alone(tmp_path):
    made = tmp_path / "greeting.dmn"
    made.write_text(
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<definitions xmlns="https://www.omg.org/spec/DMN/20191111/MODEL/" id="g" name="G" '
        'namespace="http://flowdesk.example/dmn">\n'
        '  <inputData id="age" name="Age"><variable id="age_v" name="Age" /></inputData>\n'
        '  <decision id="adult" name="Adult">\n'
        '    <informationRequirement id="ir1"><requiredInput href="#age" /></informationRequirement>\n'
        '    <literalExpression id="le1"><text>Age &gt;= 18</text></literalExpression>\n'
        "  </decision>\n"
        "</definitions>\n"
    )
    tool = ["node", str(ROOT / "web" / "layout-dmn.mjs")]
    check = subprocess.run([*tool, "--check", str(made)], capture_output=True, text=True)
    assert check.returncode == 1 and "no DMNDI" in check.stdout
    subprocess.run([*tool, str(made)], check=True, capture_output=True)
    laid_out = made.read_text()
    root = ElementTree.fromstring(laid_out)
    assert {s.get("dmnElementRef") for s in root.iter(f"{DMNDI}DMNShape")} == {"age", "adult"}
    assert [e.get("dmnElementRef") for e in root.iter(f"{DMNDI}DMNEdge")] == ["ir1"]
    subprocess.run([*tool, str(made)], check=True, capture_output=True)
    assert made.read_text() == laid_out  # a second run changes nothing
    for path in FILES:
        assert subprocess.run([*tool, "--check", str(path)], capture_output=True).returncode == 0
