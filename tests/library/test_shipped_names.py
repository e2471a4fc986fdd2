"""The words the shipped templates write into their BPMN and DMN files, and that people
read (steps, events, gateways and the labels on their arrows in the diagram and on the
timeline; the rule that decided, on the timeline and in a decision's diff), are written in
both languages the way definitions/element_names reads them: a Chinese reader reads only
Chinese, an English reader only English. A name in English alone fails here."""

import json
import re
from collections import Counter
from pathlib import Path
from xml.etree import ElementTree

import pytest
from django.test import Client
from django.utils import translation

from bpmn.dmn_xml import read_definitions
from definitions.decision_diff import diff_tables
from definitions.element_names import (
    GROUP_NAMES,
    element_labels,
    file_labels,
    local_instructions,
    local_name,
    output_titles,
)
from definitions.example_rows import columns
from tests.conftest import PROCESSES, ROOT, deploy_file
from tests.library.conftest import RETURNS_VIP_REFUND
from tickets.display import ENGINE_KEYS
from tickets.fields import version_fields

CJK = re.compile(r"[\u3400-\u9fff]")
# Names nobody reads as words: a message's name is the key integrators correlate with, an
# extension property's is the engine's; a lane named after a staff group reads as that
# group's translated name (GROUP_NAMES).
NOT_SHOWN = ("property", "message")
# The settlement table's rules are not quoted anywhere: a settlement line is named by the
# rule's `component` output (pricing.compute), not by its description.
UNDESCRIBED = {"settlement_pricing"}


def _both(text: str) -> tuple[str, str]:
    with translation.override("en"):
        english = local_name(text)
    with translation.override("zh-hans"):
        chinese = local_name(text)
    return english, chinese


def _problem(where: str, text: str) -> str | None:
    english, chinese = _both(text)
    if not CJK.search(chinese):
        return f"{where} {text!r}: no Chinese"
    if CJK.search(english) or not re.search(r"[A-Za-z]", english):
        return f"{where} {text!r}: the English reads {english!r}"
    return None


def _shown_names(path: Path):
    """(element id, kind, name) of every element of a shipped BPMN file whose name is shown."""
    for element in ElementTree.parse(path).getroot().iter():
        kind = element.tag.rsplit("}", 1)[-1]
        name = element.get("name")
        if not name or not element.get("id") or kind in NOT_SHOWN:
            continue
        if kind in ("lane", "participant") and name in GROUP_NAMES:
            continue
        yield element.get("id"), kind, name


@pytest.mark.parametrize("path", sorted(PROCESSES.glob("*.bpmn")), ids=lambda p: p.stem)
def test_every_name_a_shipped_process_shows_is_in_both_languages(path):
    problems = [
        _problem(f"{kind} {element_id}", name) for element_id, kind, name in _shown_names(path)
    ]
    assert [p for p in problems if p] == []


@pytest.mark.parametrize("path", sorted((ROOT / "dmn").glob("*.dmn")), ids=lambda p: p.stem)
def test_every_rule_of_a_shipped_decision_table_says_why_in_both_languages(path):
    problems = []
    for decision in ElementTree.parse(path).getroot().iter():
        if not decision.tag.endswith("}decision"):
            continue
        rules = [r for r in decision.iter() if r.tag.endswith("}rule")]
        for n, rule in enumerate(rules, 1):
            text = (rule.findtext("{*}description") or "").strip()
            if not text:
                if decision.get("id") not in UNDESCRIBED:
                    problems.append(f"{decision.get('id')} rule {n}: no description")
                continue
            problems.append(_problem(f"{decision.get('id')} rule {n}", text))
    assert [p for p in problems if p] == []


@pytest.mark.parametrize("path", sorted((ROOT / "dmn").glob("*.dmn")), ids=lambda p: p.stem)
def test_every_input_a_shipped_decision_table_reads_is_labelled_in_both_languages(path):
    """A table's input columns head its draft and diff pages, and key the inputs a decision
    records on the timeline."""
    problems = []
    for element in ElementTree.parse(path).getroot().iter():
        if element.tag.endswith("}input"):
            where = f"input {element.get('id')}"
            label = element.get("label")
            problems.append(_problem(where, label) if label else f"{where}: no label")
    assert [p for p in problems if p] == []


def test_every_adjustment_a_settlement_can_carry_is_named_in_both_languages():
    """The settlement table's `component` is the name of the line it adds to a settlement."""
    root = ElementTree.parse(ROOT / "dmn" / "settlement_pricing.dmn").getroot()
    outputs = [e.get("name") for e in root.iter() if e.tag.endswith("}output")]
    column = outputs.index("component")
    problems = []
    for rule in (e for e in root.iter() if e.tag.endswith("}rule")):
        cell = rule.findall("{*}outputEntry")[column].findtext("{*}text").strip()
        problems.append(_problem(f"rule {rule.get('id')}", cell.strip('"')))
    assert len(problems) >= 20 and [p for p in problems if p] == []


@pytest.mark.parametrize("path", sorted((ROOT / "dmn").glob("*.dmn")), ids=lambda p: p.stem)
def test_every_code_a_shipped_decision_writes_into_a_ticket_has_a_label_in_both_languages(path):
    """A ticket shows what a template's table wrote by its label ("大客户调度", not
    "key_account_dispatchers"): each text a called table's rule writes is one of its
    output's options (definitions.element_names.output_options)."""
    called, problems = _called_decisions(), []
    for decision in ElementTree.parse(path).getroot().iter():
        if not decision.tag.endswith("}decision") or decision.get("id") not in called:
            continue
        outputs = [e for e in decision.iter() if e.tag.endswith("}output")]
        for n, output in enumerate(outputs):
            options = {
                o.get("value"): o.get("label") for o in output.iter() if o.tag.endswith("}option")
            }
            where = f"{decision.get('id')} output {output.get('name')}"
            problems += [_problem(f"{where} option {v!r}", label) for v, label in options.items()]
            for rule in (e for e in decision.iter() if e.tag.endswith("}rule")):
                cell = rule.findall("{*}outputEntry")[n].findtext("{*}text").strip()
                if re.fullmatch(r'"[^"]+"', cell) and cell.strip('"') not in options:
                    problems.append(f"{where} writes {cell} without a label")
    assert [p for p in problems if p] == []


@pytest.mark.parametrize("path", sorted(PROCESSES.glob("*.bpmn")), ids=lambda p: p.stem)
def test_every_way_out_of_a_shipped_gateway_that_chooses_is_named(path):
    """A gateway that chooses between ways labels each arrow in the diagram (a join, with
    one way out, chooses nothing and its arrow needs no label); the names' languages are
    held by the test above."""
    root = ElementTree.parse(path).getroot()
    gateways = {e.get("id") for e in root.iter() if e.tag.endswith("Gateway")}
    flows = [e for e in root.iter() if e.tag.endswith("}sequenceFlow")]
    ways_out = Counter(f.get("sourceRef") for f in flows if f.get("sourceRef") in gateways)
    unnamed = [
        f"{f.get('sourceRef')} → {f.get('targetRef')} ({f.get('id')})"
        for f in flows
        if ways_out[f.get("sourceRef")] > 1 and not f.get("name")
    ]
    assert unnamed == []


@pytest.mark.parametrize(
    "path", sorted((PROCESSES / "tests").glob("test_*.json")), ids=lambda p: p.stem
)
def test_every_shipped_scenario_is_titled_in_both_languages(path):
    """A version's page lists its scenario tests, and their results, by title."""
    cases = json.loads(path.read_text(encoding="utf-8"))
    problems = [
        _problem(name, case["title"]) if case.get("title") else f"{name}: no title"
        for name, case in cases.items()
    ]
    assert [p for p in problems if p] == []


def _called_decisions() -> set[str]:
    found = set()
    for path in PROCESSES.glob("*.bpmn"):
        found |= set(re.findall(r"calledDecisionId>([^<]+)<", path.read_text(encoding="utf-8")))
    return found


@pytest.mark.parametrize("path", sorted((ROOT / "dmn").glob("*.dmn")), ids=lambda p: p.stem)
def test_what_a_shipped_decision_writes_into_a_ticket_is_titled_in_both_languages(path):
    """A table's outputs land in the ticket's data under their names; the ticket page
    titles them with the output's label (the engine's own keys excepted: the header shows
    those)."""
    called, problems = _called_decisions(), []
    for decision in ElementTree.parse(path).getroot().iter():
        if not decision.tag.endswith("}decision"):
            continue
        for output in (e for e in decision.iter() if e.tag.endswith("}output")):
            where = f"{decision.get('id')} output {output.get('name')}"
            if output.get("label"):
                problems.append(_problem(where, output.get("label")))
            elif decision.get("id") in called and output.get("name") not in ENGINE_KEYS:
                problems.append(f"{where}: no label")
    assert [p for p in problems if p] == []


def _script_writes(path: Path) -> set[str]:
    """The data keys a BPMN file's script tasks assign."""
    keys = set()
    for task in ElementTree.parse(path).getroot().iter():
        if task.tag.endswith("}scriptTask"):
            script = task.findtext("{*}script") or ""
            keys |= set(re.findall(r"^\s*([a-z_]\w*)\s*\+?=(?!=)", script, re.M))
    return keys


@pytest.mark.parametrize(
    "path",
    [p for p in sorted(PROCESSES.glob("*.bpmn")) if _script_writes(p)],
    ids=lambda p: p.stem,
)
def test_what_a_shipped_script_writes_into_a_ticket_is_titled_in_both_languages(db, path):
    """The ticket page titles data by its form field, else by what a decision output or a
    script task (its `flowdesk:writes`) calls it; a key a script sets must not show raw."""
    version = deploy_file(path)
    fields = version_fields(version)
    titled = {}
    for language in ("en", "zh-hans"):
        with translation.override(language):
            titled[language] = {
                **output_titles(version),
                **{key: local_name(f.title) for key, f in fields.items() if f.title},
            }
    problems = []
    for key in sorted(_script_writes(path)):
        english, chinese = titled["en"].get(key, ""), titled["zh-hans"].get(key, "")
        if not CJK.search(local_name(chinese)) or CJK.search(local_name(english)):
            problems.append(f"{key}: {english!r} / {chinese!r}")
    assert problems == []


def test_the_diagram_names_gateways_and_their_arrows_in_the_readers_language(db):
    """The labels the diagram viewer puts on a deployed version's drawing, and on a library
    template's: gateways and the flows leaving them as well as the steps."""
    version = deploy_file(PROCESSES / "medical_clinic.bpmn")
    with translation.override("zh-hans"):
        zh, library = element_labels(version), file_labels(PROCESSES / "medical_clinic.bpmn")
    with translation.override("en"):
        en = element_labels(version)
    assert (zh["follow_up_gw"], zh["f_follow_book"], zh["f_follow_discharge"]) == (
        "需要复诊？",
        "需要",
        "不需要",
    )
    assert (en["follow_up_gw"], en["f_follow_book"], en["f_no_show"]) == (
        "Follow-up visit?",
        "yes",
        "no",
    )
    assert library["emergency_gw"] == "急诊？" and library["f_gw_emergency"] == "急诊"
    shown = [element_id for element_id, *_ in _shown_names(PROCESSES / "medical_clinic.bpmn")]
    assert [i for i in shown if not CJK.search(zh.get(i, ""))] == []


def test_a_chinese_reader_reads_the_returns_rule_that_decided_on_the_timeline(desk, deployed):
    deployed("returns")
    number = desk.start("alice", "returns", RETURNS_VIP_REFUND)["number"]
    pages = {}
    for language in ("zh-hans", "en"):
        client = Client(HTTP_ACCEPT_LANGUAGE=language)
        client.force_login(desk.people["bob"])
        response = client.get(f"/tickets/{number}/")
        assert response.status_code == 200
        pages[language] = response.content.decode()
    assert "命中规则“VIP 会员：7 天内已拆封，扣 10% 后退款”" in pages["zh-hans"]
    assert "opened within 7 days" not in pages["zh-hans"]
    assert "applied rule ‘VIP members: opened within 7 days, refund less 10%’" in pages["en"]
    assert "扣 10%" not in pages["en"]
    # what the table wrote into the data is titled by its outputs' labels, on the page and
    # under the timeline's decision line
    assert (
        pages["zh-hans"].count("<dt>处理结果</dt>") == 2 and "<dt>Outcome" not in pages["zh-hans"]
    )
    assert pages["en"].count("<dt>Outcome</dt>") == 2 and "<dt>扣费比例 %</dt>" in pages["zh-hans"]


def test_a_decisions_columns_read_in_the_readers_language_on_its_draft_and_diff_pages():
    text = (ROOT / "dmn" / "returns.dmn").read_text(encoding="utf-8")
    [spec] = read_definitions(text, "returns.dmn").decisions
    kinder = text.replace(
        '<outputEntry id="return_policy_r8_o1"><text>&quot;refuse&quot;</text>',
        '<outputEntry id="return_policy_r8_o1"><text>&quot;exchange&quot;</text>',
    )
    assert kinder != text
    [edited] = read_definitions(kinder, "returns.dmn").decisions
    with translation.override("zh-hans"):
        outputs = [c.label for c in columns(spec)[1]]
        [change] = diff_tables(spec, edited).rules
    with translation.override("en"):
        english = [c.label for c in columns(spec)[1]]
    assert outputs == ["处理结果", "扣费比例 %"] and english == [
        "Outcome",
        "Restocking fee percent",
    ]
    assert [c.column for c in change.cells] == ["处理结果"]


def _instructions(path: Path):
    """(task id, instructionsForEndUser, {property name: value}) of each user or manual task
    of a shipped BPMN file that carries instructions."""
    for element in ElementTree.parse(path).getroot().iter():
        if element.tag.rsplit("}", 1)[-1] not in ("userTask", "manualTask"):
            continue
        english = (element.findtext(".//{*}instructionsForEndUser") or "").strip()
        if english:
            properties = {p.get("name"): p.get("value") for p in element.findall(".//{*}property")}
            yield element.get("id"), english, properties


@pytest.mark.parametrize("path", sorted(PROCESSES.glob("*.bpmn")), ids=lambda p: p.stem)
def test_every_step_a_shipped_process_instructs_is_instructed_in_chinese_too(path):
    """The task page shows a step's instructions in the reader's language: the Chinese
    from its `instructions.zh-hans` property (definitions.element_names.local_instructions),
    the English from its instructionsForEndUser."""
    problems = []
    for task_id, english, properties in _instructions(path):
        chinese = properties.get("instructions.zh-hans") or ""
        with translation.override("zh-hans"):
            shown = local_instructions(english, properties)
        if not CJK.search(chinese) or re.search(r"[A-Za-z]{2,}", chinese) or shown != chinese:
            problems.append(f"{task_id}: no Chinese instructions ({chinese!r})")
        if CJK.search(english):
            problems.append(f"{task_id}: the English instructions hold Chinese")
    assert [p for p in problems if p] == []


def test_the_shipped_processes_instruct_their_steps():
    """The test above finds what it checks: instructions it could not read (another
    namespace, a misspelt element) would pass it unchecked."""
    steps = [step for path in PROCESSES.glob("*.bpmn") for step in _instructions(path)]
    assert len(steps) >= 23
