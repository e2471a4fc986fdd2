"""Dave (and Ann, an analyst) read the processes in the workbench: the list with versions
and the tickets running on each, a version with its diagram, forms, decisions and
scenario tests; the pages cost the same number of statements however much is deployed."""

import re

import pytest
from django.contrib.auth.models import Group, User
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from definitions.deploy import deploy_bundle, read_bundle_folder
from tests.conftest import PROCESSES, deploy_file
from tickets.models import Ticket

pytestmark = pytest.mark.django_db


@pytest.fixture
def ann(db):
    user = User.objects.create_user("ann", password="pw", first_name="Ann", last_name="Lee")
    user.groups.set([Group.objects.get_or_create(name="analysts")[0]])
    return user


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _tickets(version, count, status=Ticket.Status.ACTIVE):
    Ticket.objects.bulk_create(
        Ticket(
            process_version=version,
            number=f"{version.key}-{version.version}-{status}-{n}",
            title="t",
            channel="phone",
            status=status,
        )
        for n in range(count)
    )


def _statements(client, url) -> int:
    client.get(url)  # warm the reference-data caches
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries)


def _second_version(path):
    name, text, files = read_bundle_folder(path)
    return deploy_bundle(name, text.replace("Ticket raised", "Ticket opened"), files)[0]


def test_the_list_shows_versions_and_running_tickets_per_version(cast, ann):
    v1 = deploy_file(PROCESSES / "repair.bpmn")
    v2 = _second_version(PROCESSES / "repair.bpmn")
    deploy_file(PROCESSES / "inquiry.bpmn")
    _tickets(v1, 3)
    _tickets(v1, 2, Ticket.Status.COMPLETED)
    _tickets(v2, 1)
    page = client_for(ann).get("/processes/").content.decode()
    row = re.search(r'<tr data-key="repair">(.*?)</tr>', page, re.S).group(1)
    assert "Home appliance repair" in row and "version 2" in row
    assert re.search(r"v2</a>\s*1 running", row) and re.search(r"v1</a>\s*3 running", row)
    assert '<tr data-key="inquiry">' in page


def test_the_list_costs_the_same_at_one_and_at_many_versions(cast, ann):
    deploy_file(PROCESSES / "inquiry.bpmn")
    client = client_for(ann)
    few = _statements(client, "/processes/")
    for path in ("repair.bpmn", "follow_up.bpmn"):
        _tickets(deploy_file(PROCESSES / path), 4)
    _tickets(_second_version(PROCESSES / "repair.bpmn"), 2)
    assert _statements(client, "/processes/") == few


def test_the_version_page_shows_forms_decisions_and_scenarios(cast, ann):
    version = deploy_file(PROCESSES / "repair.bpmn")
    _tickets(version, 2)
    page = client_for(ann).get("/processes/repair/v1/").content.decode()
    assert "2 tickets running" in page
    assert 'data-xml-url="/processes/repair/v1/diagram.bpmn"' in page
    assert "Diagnose on site" in page  # a step showing a form
    assert 'href="/decisions/repair_pricing/"' in page and 'href="/decisions/triage/"' in page
    assert ">Triage</a>" in page and ">Repair pricing</a>" in page  # by name, not id
    # a scenario by its title, not its key
    assert "VIP air conditioner repair with parts" in page
    assert "vip_air_conditioner_with_parts" not in page
    assert "True" not in page and "{&#x27;" not in page


def test_running_the_scenarios_of_a_version_shows_each_result_in_words(cast, ann):
    deploy_file(PROCESSES / "repair.bpmn")
    page = client_for(ann).post("/processes/repair/v1/").content.decode()
    assert re.search(r"<strong>VIP air conditioner repair with parts</strong>: Passed", page)


def test_the_version_page_costs_the_same_at_one_and_at_three_versions(cast, ann):
    deploy_file(PROCESSES / "repair.bpmn")
    client = client_for(ann)
    one = _statements(client, "/processes/repair/v1/")
    _tickets(_second_version(PROCESSES / "repair.bpmn"), 3)
    name, text, files = read_bundle_folder(PROCESSES / "repair.bpmn")
    deploy_bundle(name, text.replace("Closed", "Done"), files)
    assert _statements(client, "/processes/repair/v1/") == one


def test_downloads_give_the_bpmn_and_the_bundle(cast, ann):
    deploy_file(PROCESSES / "repair.bpmn")
    client = client_for(ann)
    bpmn = client.get("/processes/repair/v1/diagram.bpmn?download=1")
    assert bpmn["Content-Disposition"] == 'attachment; filename="repair.bpmn"'
    assert b"<bpmndi:BPMNShape" in bpmn.content
    archive = client.get("/processes/repair/v1/bundle.zip")
    import io
    import zipfile

    names = zipfile.ZipFile(io.BytesIO(archive.content)).namelist()
    assert {"repair.bpmn", "triage.dmn", "test_repair.json", "repair-start.schema.json"} <= set(
        names
    )


def test_agents_neither_see_the_link_nor_open_the_pages(cast, ann):
    deploy_file(PROCESSES / "repair.bpmn")
    alice = client_for(cast["alice"])
    assert alice.get("/processes/").status_code == 403
    assert alice.get("/processes/repair/v1/").status_code == 403
    assert 'href="/processes/"' not in alice.get("/tasks/").content.decode()
    assert 'href="/processes/"' in client_for(ann).get("/tasks/").content.decode()
