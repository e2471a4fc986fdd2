"""The auto-repair example opens drawn in bpmn-js (bpmn.io, Camunda Modeler's viewer)."""

import json
import shutil
import subprocess

import pytest
from lxml import etree

from tests.conftest import PROCESSES, ROOT

pytestmark = pytest.mark.e2e
BPMN = "{http://www.omg.org/spec/BPMN/20100524/MODEL}"


def test_every_element_of_the_auto_repair_process_is_drawn_in_bpmn_js():
    if not shutil.which("chromium") or not (ROOT / "node_modules" / "bpmn-js").is_dir():
        pytest.fail("browser tests need Debian's chromium and npm's playwright-core and bpmn-js")
    shot = ROOT / "var" / "e2e" / "auto_repair.png"
    shot.parent.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(
        [
            "node",
            str(ROOT / "tests" / "e2e" / "diagram.mjs"),
            "processes/auto_repair.bpmn",
            str(shot),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        cwd=ROOT,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["warnings"] == []
    tree = etree.parse(str(PROCESSES / "auto_repair.bpmn"))
    process = tree.find(f"{BPMN}process")
    expected = {
        e.get("id")
        for e in process.iter()
        if e.get("id") and e.tag.endswith(("Event", "Task", "Gateway", "sequenceFlow", "lane"))
    }
    expected.add("Participant_auto_repair")
    assert expected <= set(result["drawn"]), expected - set(result["drawn"])
    assert result["gfx"] >= len(expected) and shot.stat().st_size > 20_000
