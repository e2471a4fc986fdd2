"""Library templates open drawn in bpmn-js (bpmn.io, Camunda Modeler's viewer): every lane,
node, boundary event and flow of the process file has its shape."""

import json
import shutil
import subprocess

import pytest
from lxml import etree

from tests.conftest import PROCESSES, ROOT

pytestmark = pytest.mark.e2e
BPMN = "{http://www.omg.org/spec/BPMN/20100524/MODEL}"


@pytest.mark.parametrize("key", ["auto_repair", "equipment_maintenance"])
def test_every_element_of_the_process_is_drawn_in_bpmn_js(key):
    if not shutil.which("chromium") or not (ROOT / "node_modules" / "bpmn-js").is_dir():
        pytest.fail("browser tests need Debian's chromium and npm's playwright-core and bpmn-js")
    shot = ROOT / "var" / "e2e" / f"{key}.png"
    shot.parent.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(
        ["node", str(ROOT / "tests" / "e2e" / "diagram.mjs"), f"processes/{key}.bpmn", str(shot)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        cwd=ROOT,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["warnings"] == []
    process = etree.parse(str(PROCESSES / f"{key}.bpmn")).find(f"{BPMN}process")
    expected = {
        e.get("id")
        for e in process.iter()
        if e.get("id") and e.tag.endswith(("Event", "Task", "Gateway", "sequenceFlow", "lane"))
    }
    expected.add(f"Participant_{key}")
    assert expected <= set(result["drawn"]), expected - set(result["drawn"])
    assert result["gfx"] >= len(expected) and shot.stat().st_size > 20_000
