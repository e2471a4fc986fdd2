"""New process from the library: a copy under the analyst's key with its own decisions,
checked, its scenarios passing, published; later library changes leave it as it was."""

import io
import shutil

import pytest
from django.core.management import call_command

from definitions import drafts
from definitions.library import catalog
from definitions.library_copy import do_copy_template, renamed_id
from definitions.models import DecisionVersion, ProcessVersion
from tickets.actions import do_complete_task, do_start_ticket

pytestmark = pytest.mark.django_db


def test_ids_keep_their_meaning_under_the_new_key():
    assert renamed_id("food_safety_triage", "food_safety", "canteen") == "canteen_triage"
    assert renamed_id("triage", "repair", "my_repair") == "my_repair_triage"


def test_a_copy_checks_clean_passes_its_scenarios_and_publishes_with_its_own_decisions(cast):
    draft = do_copy_template(cast["dave"], catalog().get("food_safety"), "canteen_complaint")
    assert draft.key == "canteen_complaint" and draft.problems == []
    assert "test_canteen_complaint.json" in draft.files and "canteen_complaint.fields.json" in (
        draft.files
    )
    results = drafts.run_scenarios(draft.bpmn_filename, draft.bpmn_xml, draft.files)
    assert len(results) == 4 and all(r.passed for r in results), results
    version = drafts.do_publish_draft(cast["dave"], draft.id)
    assert (version.key, version.version) == ("canteen_complaint", 1)
    assert "calledDecisionId>canteen_complaint_compensation<" in version.bpmn_xml
    published = set(DecisionVersion.objects.values_list("decision_id", flat=True))
    assert {"canteen_complaint_triage", "canteen_complaint_compensation"} <= published
    assert "food_safety_triage" not in published


@pytest.mark.parametrize("template", catalog().templates, ids=lambda t: t.key)
def test_every_template_copies_clean_with_its_scenarios_passing(cast, template):
    draft = do_copy_template(cast["dave"], template, f"copy_of_{template.key}")
    assert draft.problems == []
    results = drafts.run_scenarios(draft.bpmn_filename, draft.bpmn_xml, draft.files)
    assert results and all(r.passed for r in results), [r.message for r in results]


def test_a_used_key_is_refused(cast):
    do_copy_template(cast["dave"], catalog().get("returns"), "returns_copy")
    drafts.do_publish_draft(cast["dave"], drafts.ProcessDraft.objects.get().id)
    with pytest.raises(drafts.DraftRefused):
        do_copy_template(cast["dave"], catalog().get("returns"), "returns_copy")


def _library_in(tmp_path, settings):
    for folder in ("processes", "dmn"):
        shutil.copytree(settings.BASE_DIR / folder, tmp_path / folder)
    settings.PROCESSES_DIR, settings.DMN_DIR = tmp_path / "processes", tmp_path / "dmn"
    return tmp_path


def test_the_copy_is_independent_of_later_library_updates(cast, tmp_path, settings):
    library = _library_in(tmp_path, settings)
    call_command("deploy", str(library / "processes" / "food_safety.bpmn"), stdout=io.StringIO())
    draft = do_copy_template(cast["dave"], catalog().get("food_safety"), "canteen_complaint")
    copy = drafts.do_publish_draft(cast["dave"], draft.id)
    copy_tables = dict(
        DecisionVersion.objects.filter(decision_id__startswith="canteen_").values_list(
            "decision_id", "dmn_xml"
        )
    )

    # The library raises the store's limit to 500 and renames a step; it is deployed again.
    dmn = library / "dmn" / "food_safety.dmn"
    dmn.write_text(dmn.read_text().replace("&lt;= 200", "&lt;= 500"))
    bpmn = library / "processes" / "food_safety.bpmn"
    bpmn.write_text(bpmn.read_text().replace("Urgent first response", "First response"))
    call_command("deploy", str(library / "processes"), stdout=io.StringIO())
    assert ProcessVersion.objects.filter(key="food_safety").count() == 2

    assert list(ProcessVersion.objects.filter(key="canteen_complaint")) == [copy]
    copy.refresh_from_db()
    assert "Urgent first response" in copy.bpmn_xml
    assert copy_tables == dict(
        DecisionVersion.objects.filter(decision_id__startswith="canteen_").values_list(
            "decision_id", "dmn_xml"
        )
    )
    start = {"customer_name": "Wang Fang", "customer_phone": "13812341234", "store": "Pudong",
             "severity": "spoiled"}  # fmt: skip
    for key, needs_approval in (("canteen_complaint", True), ("food_safety", False)):
        ticket = do_start_ticket(cast["alice"], key, start)
        task = ticket.tasks.get(bpmn_id="respond")
        do_complete_task(task.assignee, task.id, {"customer_reached": True})
        task = ticket.tasks.get(bpmn_id="investigate")
        done = do_complete_task(
            cast["dave"], task.id, {"finding": "confirmed", "compensation_amount": "300.00"}
        )
        assert done.data["needs_approval"] is needs_approval, key
