"""A process deployed from a folder takes the decision files it names from the project's
`dmn/` folder, and only those: the others are not compiled, so a broken one of them does
not stop the deploy, while a broken one the process needs does, with its name."""

import shutil

import pytest

from bpmn.specs import BundleError
from definitions.deploy import deploy_bundle, read_bundle_folder
from tests.conftest import PROCESSES

pytestmark = pytest.mark.django_db
BROKEN_FEEL = '<decision id="{id}" name="x"><decisionTable><input><inputExpression><text>a</text></inputExpression></input><output name="y"/><rule><inputEntry><text>[1..</text></inputEntry><outputEntry><text>1</text></outputEntry></rule></decisionTable></decision>'  # noqa: E501


def _broken_dmn(decision_id: str) -> str:
    return (
        '<definitions xmlns="https://www.omg.org/spec/DMN/20191111/MODEL/" id="d" name="d" '
        f'namespace="x">{BROKEN_FEEL.format(id=decision_id)}</definitions>'
    )


def test_only_the_decisions_a_process_names_are_read_and_compiled(tmp_path, settings):
    dmn = tmp_path / "dmn"
    shutil.copytree(settings.DMN_DIR, dmn)
    (dmn / "unrelated.dmn").write_text(_broken_dmn("nobody_calls_this"))
    settings.DMN_DIR = str(dmn)

    name, text, files = read_bundle_folder(PROCESSES / "repair.bpmn")
    assert "unrelated.dmn" not in files
    assert "triage.dmn" in files
    assert deploy_bundle(name, text, files)[0].key == "repair"

    (dmn / "triage.dmn").write_text(_broken_dmn("triage"))
    name, text, files = read_bundle_folder(PROCESSES / "repair.bpmn")
    with pytest.raises(BundleError, match="triage"):
        deploy_bundle(name, text, files)
