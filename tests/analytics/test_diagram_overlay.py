"""Bob the supervisor looks at the repair diagram with the time each step took: the
badges and marks equal the known answers of the generated history."""

import pytest
from django.test import Client

from tests.analytics.history import build

RANGE = "from=2026-11-20&to=2026-11-24"


@pytest.fixture
def history(cast, repair):
    return build(repair, cast)


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_the_overlay_gives_each_step_its_average_duration_and_breaches(cast, history):
    response = client_for(cast["bob"]).get(f"/analytics/templates/repair/marks.json?{RANGE}")
    assert response.status_code == 200
    # diagnose: A took 65 h (Fri 17:00 to Mon 10:00), B 3 h; repair: B 21.5 h, breached once
    assert response.json() == {
        "marks": {"repair": "overdue"},
        "badges": {"diagnose": "avg 34.0 h", "repair": "avg 21.5 h · 1 breach"},
    }


def test_the_page_draws_the_diagram_with_the_same_numbers_in_a_table(cast, history):
    page = client_for(cast["bob"]).get(f"/analytics/templates/repair/?{RANGE}").content.decode()
    marks_url = f"/analytics/templates/repair/marks.json?{RANGE}".replace("&", "&amp;")
    assert f'data-marks-url="{marks_url}"' in page
    assert 'data-xml-url="/analytics/templates/repair/diagram.bpmn"' in page
    assert '<tr data-step="diagnose"><td>Diagnose on site</td><td>2</td><td>34.0</td>' in page
    assert "<h1>Home appliance repair <small>" in page  # the reader's half of each name
    assert '<tr data-step="repair"><td>repair</td><td>1</td><td>21.5</td><td>1</td>' in page


def test_only_supervisors_see_the_overlay(cast, history):
    alice = client_for(cast["alice"])
    assert alice.get(f"/analytics/templates/repair/marks.json?{RANGE}").status_code == 403
    assert client_for(cast["bob"]).get("/analytics/templates/nope/marks.json").status_code == 404
    bad = client_for(cast["bob"]).get("/analytics/templates/repair/marks.json?from=tomorrow")
    assert bad.status_code == 400 and "date" in bad.json()["detail"]


def test_the_time_per_step_table_links_each_template_to_its_diagram(cast, history):
    page = client_for(cast["bob"]).get(f"/analytics/?{RANGE}").content.decode()
    assert 'href="/analytics/templates/repair/"' in page
