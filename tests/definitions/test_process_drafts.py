"""Ann the analyst edits the repair process as a draft: every save is checked by the
deploy's parser and answers its problems with the elements they name; the scenarios run
against the draft; publishing makes the next version. Uploads that are not a bundle are
refused with a 4xx and store nothing."""

import io
import json
import zipfile

import pytest
from django.contrib.auth.models import Group, User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from definitions.models import ProcessDraft, ProcessVersion
from tests.conftest import PROCESSES, deploy_file

pytestmark = pytest.mark.django_db


@pytest.fixture
def ann(db):
    user = User.objects.create_user("ann", password="pw")
    user.groups.set([Group.objects.get_or_create(name="analysts")[0]])
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def draft(ann, cast):
    deploy_file(PROCESSES / "repair.bpmn")
    response = ann.post("/processes/repair/v1/edit/")
    assert response.status_code == 302
    return ProcessDraft.objects.get()


def save(client, draft, xml):
    response = client.post(
        f"/processes/drafts/{draft.id}/save/",
        json.dumps({"xml": xml}),
        content_type="application/json",
    )
    return response.status_code, response.json()


REMOVED_FLOW = '<bpmn:sequenceFlow id="f_confirm_done" sourceRef="confirm" targetRef="done" />'


def test_a_draft_starts_as_the_version_with_its_scenarios(draft):
    assert draft.base_version.version == 1 and draft.key == "repair" and draft.problems == []
    assert "test_repair.json" in draft.files and "triage.dmn" in draft.files


def test_the_modeler_page_carries_the_draft_and_its_words(ann, draft):
    page = ann.get(f"/processes/drafts/{draft.id}/").content.decode()
    assert f'data-save-url="/processes/drafts/{draft.id}/save/"' in page
    assert 'id="fd-modeler-options"' in page and "pricing.quote" in page
    assert ann.get(f"/processes/drafts/{draft.id}/diagram.bpmn").content.decode() == draft.bpmn_xml


def test_a_task_without_outgoing_flow_is_pinned_on_its_element(ann, draft):
    status, body = save(ann, draft, draft.bpmn_xml.replace(REMOVED_FLOW, ""))
    assert status == 200
    pinned = {tuple(p["element_ids"]): p["text"] for p in body["problems"]}
    assert "has no outgoing flow" in pinned[("confirm",)]
    assert "never reached" in pinned[("done",)]
    draft.refresh_from_db()
    assert [p["element_ids"] for p in draft.problems] == [["confirm"], ["done"]]


def test_a_gateway_without_default_names_the_flow_without_condition(ann, draft):
    status, body = save(ann, draft, draft.bpmn_xml.replace(' default="f_gw_nopart"', ""))
    assert status == 200
    [problem] = body["problems"]
    assert problem["element_ids"] == ["f_gw_nopart"] and "without condition" in problem["text"]


def test_a_form_the_bundle_lacks_is_pinned_on_the_step_that_uses_it(ann, draft):
    xml = draft.bpmn_xml.replace("repair-work.schema.json", "repair-missing.schema.json")
    [problem] = save(ann, draft, xml)[1]["problems"]
    assert problem["element_ids"] == ["repair_work"] and problem["line"]


def test_malformed_xml_gives_its_line(ann, draft):
    xml = draft.bpmn_xml.replace('<bpmn:userTask id="confirm"', '<bpmn:userTask id="confirm" x')
    [problem] = save(ann, draft, xml)[1]["problems"]
    assert problem["element_ids"] == [] and "malformed XML" in problem["text"]
    assert problem["line"] == xml[: xml.index('id="confirm" x')].count("\n") + 1


def test_a_request_without_diagram_is_refused(ann, draft):
    response = ann.post(f"/processes/drafts/{draft.id}/save/", "{", content_type="application/json")
    assert response.status_code == 400 and response.json()["detail"]


def test_scenarios_run_against_the_draft(ann, draft):
    response = ann.post(f"/processes/drafts/{draft.id}/scenarios/")
    assert response.json()["results"] == [
        {"case": case, "passed": True, "text": "Passed"}
        for case in (
            "VIP air conditioner repair with parts",
            "No parts needed: the quote is skipped",
            "Quote rejected, then diagnosed again",
        )
    ]
    broken = draft.bpmn_xml.replace("needs_parts == True", "needs_parts == False")
    save(ann, draft, broken)
    results = ann.post(f"/processes/drafts/{draft.id}/scenarios/").json()["results"]
    assert [r["passed"] for r in results] == [False, False, False]
    assert all(r["text"].startswith("Failed: ") for r in results)


def test_a_draft_with_problems_is_not_published(ann, draft):
    save(ann, draft, draft.bpmn_xml.replace(REMOVED_FLOW, ""))
    response = ann.post(f"/processes/drafts/{draft.id}/publish/")
    assert response.status_code == 409
    assert [p["element_ids"] for p in response.json()["problems"]] == [["confirm"], ["done"]]
    assert ProcessVersion.objects.filter(key="repair").count() == 1


def test_publishing_a_draft_makes_the_next_version(ann, draft):
    xml = draft.bpmn_xml.replace('name="Closed (已关闭)"', 'name="Closed and thanked"')
    assert xml != draft.bpmn_xml
    assert save(ann, draft, xml)[1]["problems"] == []
    response = ann.post(f"/processes/drafts/{draft.id}/publish/")
    assert response.status_code == 201
    assert response.json() == {"version": 2, "url": "/processes/repair/v2/"}
    v2 = ProcessVersion.objects.get(key="repair", version=2)
    assert "Closed and thanked" in v2.bpmn_xml and "test_repair.json" in v2.files
    assert ann.post(f"/processes/drafts/{draft.id}/publish/").status_code == 409
    page = ann.get("/processes/").content.decode()
    assert "version 2" in page
    assert "Passed" in ann.post("/processes/repair/v2/").content.decode()


def test_a_new_process_from_a_template_and_from_blank(ann, cast):
    deploy_file(PROCESSES / "inquiry.bpmn")
    response = ann.post(
        "/processes/new/", {"source": "template", "template": "inquiry", "key": "faq"}
    )
    assert response.status_code == 302
    draft = ProcessDraft.objects.get(key="faq")
    assert 'id="faq"' in draft.bpmn_xml and "test_faq.json" in draft.files
    assert ann.post("/processes/new/", {"source": "blank", "key": "blank_one"}).status_code == 302
    blank = ProcessDraft.objects.get(bpmn_filename="blank_one.bpmn")
    assert [p["element_ids"] for p in blank.problems] == [["start"]]  # a start going nowhere
    taken = ann.post("/processes/new/", {"source": "blank", "key": "inquiry"})
    assert taken.status_code == 400 and "exists" in taken.content.decode()


def _zip(files: dict[str, bytes], compression=zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression) as archive:
        for name, body in files.items():
            archive.writestr(name, body)
    return buffer.getvalue()


def _upload(client, *files):
    return client.post("/processes/new/", {"source": "upload", "files": list(files)})


def _repair_files() -> dict[str, bytes]:
    files = {"repair.bpmn": (PROCESSES / "repair.bpmn").read_bytes()}
    for path in sorted((PROCESSES / "forms").glob("repair-*.json")):
        files[f"forms/{path.name}"] = path.read_bytes()
    for name in ("triage.dmn", "repair_pricing.dmn"):
        files[name] = (PROCESSES.parent / "dmn" / name).read_bytes()
    return files


def test_a_zip_bundle_becomes_a_checked_draft(ann, cast):
    response = _upload(ann, SimpleUploadedFile("repair.zip", _zip(_repair_files())))
    assert response.status_code == 302
    draft = ProcessDraft.objects.get()
    assert (
        draft.key == "repair" and draft.problems == [] and "repair-work.schema.json" in draft.files
    )


@pytest.mark.parametrize(
    "files, says",
    [
        ([("repair.bpmn", b"<bpmn:definitions><oops></bpmn:definitions>")], "line 1"),
        ([("notes.txt", b"hello")], ".bpmn, .dmn and .json files only"),
        ([("a.dmn", b"<x/>")], "no .bpmn file"),
        ([("bundle.zip", b"PK not a zip")], "not a readable .zip"),
        ([("bundle.zip", _zip({f"f{n}.json": b"{}" for n in range(51)}))], "at most 50"),
        ([("bomb.zip", _zip({"repair.bpmn": b" " * (6 << 20)}))], "over the"),
        ([("bundle.zip", _zip({"inner.zip": b"PK"}))], "archives inside archives"),
        ([("repair.bpmn", "<a>é</a>".encode("latin-1"))], "not UTF-8"),
    ],
    ids=["xml", "suffix", "no-bpmn", "bad-zip", "too-many", "bomb", "nested", "encoding"],
)
def test_bad_uploads_are_refused_and_store_nothing(ann, cast, files, says):
    response = _upload(ann, *(SimpleUploadedFile(name, body) for name, body in files))
    assert response.status_code == 400
    assert says in response.content.decode()
    assert ProcessDraft.objects.count() == 0


def test_an_upload_with_a_broken_reference_lists_the_problem_and_stores_nothing(ann, cast):
    files = _repair_files()
    del files["forms/repair-work.schema.json"]
    response = _upload(ann, SimpleUploadedFile("repair.zip", _zip(files)))
    assert response.status_code == 400
    assert "repair-work.schema.json" in response.content.decode()
    assert ProcessDraft.objects.count() == 0


def test_editing_the_same_version_again_continues_the_open_draft(ann, draft):
    again = ann.post("/processes/repair/v1/edit/")
    assert again["Location"] == f"/processes/drafts/{draft.id}/"
    assert ProcessDraft.objects.count() == 1
