"""An analyst edits the repair process in the browser's modeler (Chromium, English and
Chinese): a deleted flow is pinned on the diagram, fixed, the scenarios pass, the
publish shows as a new version; the list and version pages pass axe and fit 375 px."""

import json
import shutil

import pytest
from django.contrib.auth.models import Group, User
from django.utils import translation

from definitions.element_names import local_name
from tests.conftest import ROOT, deploy_file
from tests.e2e.browser import run_script

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_an_analyst_fixes_publishes_and_sees_the_new_version(cast, live_server):
    ann = User.objects.create_user("ann", password="pw", first_name="Ann", last_name="Lee")
    ann.groups.set([Group.objects.get_or_create(name="analysts")[0]])
    deploy_file(ROOT / "processes" / "repair.bpmn")
    if not shutil.which("chromium") or not (ROOT / "node_modules" / "playwright-core").is_dir():
        pytest.fail("browser tests need Debian's chromium and npm's playwright-core")
    result = run_script("process_authoring.mjs", live_server, timeout=300)
    en, zh = result["en"], result["zh"]

    assert en["listHeading"] == "Processes" and zh["listHeading"] == "流程"
    assert en["drawnShapes"] > 15  # the shipped layout: every step drawn
    for run in (en, zh):
        assert run["listAxe"] == [] and run["versionAxe"] == []
        assert run["pinnedOn"] == ["confirm", "done"]
        assert len(run["pinNotes"]) == 2 and len(run["problemList"]) == 2
        assert run["pinsAfterFix"] == 0
        assert not run["listOverflows"] and not run["versionOverflows"]
    assert "2 problem(s)" in en["saveStatus"]
    assert "has no outgoing flow" in " ".join(en["pinNotes"])
    assert "没有流出" in " ".join(zh["pinNotes"])
    assert en["paletteTitle"] == "Create start event" and zh["paletteTitle"] == "创建开始事件"
    assert en["underPalette"] == [] and zh["underPalette"] == [], "shapes drawn under the palette"
    # the draft is named by its process's name in the reader's language
    assert en["draftHeading"].endswith(" of Home appliance repair")
    assert zh["draftHeading"].startswith("上门维修")
    # the properties panel names the selected element's type in the reader's language
    assert en["panelType"].lower() == "user task" and zh["panelType"] == "用户任务"
    assert en["instructionsZhLabel"] == "Instructions (Chinese)"
    assert zh["instructionsZhLabel"] == "处理说明（中文）"
    scenarios = json.loads((ROOT / "processes" / "tests" / "test_repair.json").read_text())
    assert en["results"] == [f"{title}: Passed" for title in _titles(scenarios, "en")]
    assert zh["results"] == [f"{title}: 通过" for title in _titles(scenarios, "zh-hans")]
    assert en["scenarioStatus"] == "Every scenario test passed."
    assert en["publishStatus"].startswith("Published as version 2.")
    assert zh["publishStatus"].startswith("已发布为第 3 版")
    assert "version 2" in en["listRow"] and "第 3 版" in zh["listRow"]
    assert (ROOT / "var" / "e2e" / "modeler-problem-en.png").stat().st_size > 10_000
    _published_keep_what_the_platform_reads()


def _published_keep_what_the_platform_reads():
    """The versions saved by the browser's modeler carry the panel's edit and every
    extension of the original file."""
    from bpmn.xmlsafe import parse_xml
    from definitions.models import ProcessVersion

    spiff = "{http://spiffworkflow.org/bpmn/schema/1.0/core}"
    for number, groups in ((2, "agents"), (3, "agents,dispatchers")):
        root = parse_xml(ProcessVersion.objects.get(key="repair", version=number).bpmn_xml)

        def props(element_id, root=root):
            [node] = root.xpath("//*[@id=$id]", id=element_id)
            return {p.get("name"): p.get("value") for p in node.iter(f"{spiff}property")}

        assert props("confirm") == {
            "formJsonSchemaFilename": "repair-confirm.schema.json",
            "candidateGroups": groups,
            "instructions.zh-hans": "与客户确认维修结果。",  # the panel's Chinese instructions
        }
        assert json.loads(props("diagnose")["operations"])["transfer"] == [
            "dispatchers",
            "technicians",
        ]
        operator = root.find(f".//{spiff}serviceTaskOperator")
        assert operator.get("id") == "pricing.quote" and operator.get("resultVariable") == "quote"
        assert len(operator.findall(f".//{spiff}parameter")) == 4
        assert root.findtext(f".//{spiff}calledDecisionId") == "triage"


def test_a_supervisor_sees_the_time_of_each_step_on_the_diagram(cast, live_server):
    from tests.analytics.history import build

    build(deploy_file(ROOT / "processes" / "repair.bpmn"), cast)
    result = run_script("process_overlay.mjs", live_server, RANGE="from=2026-11-20&to=2026-11-24")
    # the history's "diagnose" tasks took 65 h and 3 h; its "repair" step is not drawn
    assert result["badges"] == {"diagnose": "avg 34.0 h"}
    assert result["axe"] == []


def _titles(scenarios: dict, language: str) -> list[str]:
    """Each shipped scenario's title in `language` (they are written in both)."""
    with translation.override(language):
        return [local_name(case["title"]) for case in scenarios.values()]
