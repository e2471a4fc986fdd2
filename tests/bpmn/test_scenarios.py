"""run_scenarios: SpiffArena-format scenario files run unmodified through our engine."""

import io
import json
import shutil

import pytest
from django.core.management import CommandError, call_command

from tests.conftest import CORPUS, PROCESSES

pytestmark = pytest.mark.slow


def run(*paths):
    out = io.StringIO()
    try:
        call_command("run_scenarios", *map(str, paths), stdout=out)
        code = 0
    except CommandError as exc:
        code = exc.returncode
    return code, out.getvalue()


def test_the_spiffarena_examples_and_our_processes_pass(corpus_script_limit):
    code, out = run(CORPUS / "spiff-examples", PROCESSES)
    assert code == 0, out
    ours = sum(len(json.loads(p.read_text())) for p in (PROCESSES / "tests").glob("test_*.json"))
    assert out.strip().splitlines()[-1] == f"{7 + ours} passed, 0 failed"
    assert "test_medical_clinic.json::high_fever_is_referred_to_emergency" in out  # a message
    assert "PASS" in out and "test_decision_example.json" in out and "test_repair.json" in out
    assert "test_auto_repair.json::quote_declined_parts_released" in out


def test_a_wrong_expectation_fails_with_the_difference(tmp_path):
    model = CORPUS / "spiff-examples" / "examples" / "1-basic-concepts" / "1-4-decisions"
    copy = tmp_path / "decisions"
    shutil.copytree(model, copy)
    scenario = copy / "test_decision_example.json"
    cases = json.loads(scenario.read_text())
    next(iter(cases.values()))["expected_output_json"]["base_price"] = 99
    scenario.write_text(json.dumps(cases))
    code, out = run(copy)
    assert code == 1
    assert out.strip().splitlines()[-1] == "1 passed, 1 failed"
    assert "base_price: expected 99" in out


def test_missing_task_data_is_a_failure(tmp_path):
    model = CORPUS / "spiff-examples" / "examples" / "1-basic-concepts" / "1-2-forms"
    shutil.copytree(model, tmp_path / "m")
    (tmp_path / "m" / "test_form_examples.json").write_text(
        json.dumps({"no_data": {"tasks": {}, "expected_output_json": {}}})
    )
    code, out = run(tmp_path / "m")
    assert code == 1 and "no scenario data for task" in out


@pytest.mark.parametrize("missing", ["nothing-here"])
def test_no_scenario_files_is_an_error(tmp_path, missing):
    code, out = run(tmp_path)
    assert code == 1 and out.strip().endswith("0 passed, 0 failed")
