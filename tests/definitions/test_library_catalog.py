"""The template library's catalog agrees with the files: every template exists, deploys,
opens drawn, names the decisions its BPMN calls and has passing scenario tests (a main path
and at least two alternatives)."""

import json
from pathlib import Path

import pytest
from django.conf import settings

from bpmn.scenarios import run_file
from bpmn.xmlsafe import parse_xml
from definitions.library import LANGUAGES, catalog
from tests.conftest import PROCESSES, deploy_file

BPMN = "http://www.omg.org/spec/BPMN/20100524/MODEL"
DI = "http://www.omg.org/spec/BPMN/20100524/DI"
TEMPLATES = catalog().templates


def _called_decisions(root) -> set[str]:
    return {
        node.text.strip()
        for node in root.iter()
        if isinstance(node.tag, str) and node.tag.endswith("calledDecisionId") and node.text
    }


def test_every_shipped_process_is_a_template_or_said_not_to_be():
    shipped = {path.stem for path in PROCESSES.glob("*.bpmn")}
    listed = {Path(t.bpmn).stem for t in TEMPLATES}
    assert shipped - listed == set(catalog().not_templates)
    assert len({t.key for t in TEMPLATES}) == len(TEMPLATES)


@pytest.mark.parametrize("template", TEMPLATES, ids=lambda t: t.key)
def test_the_entry_speaks_both_languages_with_known_industry_and_tags(template):
    assert template.industry in catalog().industries
    assert set(template.tags) <= set(catalog().tags) and template.tags
    for language in LANGUAGES:
        assert template.title[language].strip() and template.description[language].strip()
        assert catalog().industries[template.industry][language].strip()


@pytest.mark.parametrize("template", TEMPLATES, ids=lambda t: t.key)
def test_the_bpmn_is_the_template_with_its_decisions_and_layout(template):
    root = parse_xml(template.bpmn_path.read_bytes(), template.bpmn)
    processes = [p.get("id") for p in root.iter(f"{{{BPMN}}}process")]
    assert processes == [template.key]
    assert _called_decisions(root) == set(template.decisions)
    assert any(True for _ in root.iter(f"{{{DI}}}BPMNShape"))  # drawn (every node: layout test)


@pytest.mark.parametrize("template", TEMPLATES, ids=lambda t: t.key)
def test_scenarios_cover_the_main_path_and_two_alternatives_and_pass(template):
    cases = json.loads(template.scenario_path.read_text(encoding="utf-8"))
    # The industry templates: a main path and two alternatives at least; the general
    # templates predate the library and keep their one story.
    assert len(cases) >= (1 if template.industry == "general" else 3)
    results = run_file(template.scenario_path, Path(settings.DMN_DIR))
    assert [(r.case, r.message) for r in results if not r.passed] == []


@pytest.mark.django_db
def test_every_template_deploys_with_its_decisions_published():
    from definitions.models import DecisionVersion

    for template in TEMPLATES:
        version = deploy_file(template.bpmn_path)
        assert version.key == template.key
    published = set(DecisionVersion.objects.values_list("decision_id", flat=True))
    assert {d for t in TEMPLATES for d in t.decisions} <= published
