"""The template library page: who may see it, the industry filter, the words a person reads,
its SQL statements, and the copy form's refusals."""

import pytest
from django.contrib.auth.models import Group
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from definitions.library import catalog
from definitions.models import ProcessDraft

pytestmark = pytest.mark.django_db


@pytest.fixture
def analyst(cast):
    cast["bob"].groups.add(Group.objects.get_or_create(name="analysts")[0])
    client = Client()
    client.force_login(cast["bob"])
    return client


def test_agents_are_refused_and_analysts_see_every_template(cast, analyst):
    alice = Client()
    alice.force_login(cast["alice"])
    assert alice.get("/processes/library/").status_code == 403
    page = analyst.get("/processes/library/").content.decode()
    for template in catalog().templates:
        assert f'data-key="{template.key}"' in page and template.title["en"] in page
    assert "Satisfaction follow-up" in page and "Restaurants" in page
    assert "True" not in page and "food_safety_triage" not in page


def test_the_industry_filter_and_chinese(analyst):
    page = analyst.get("/processes/library/?industry=education").content.decode()
    assert 'data-key="course_refund"' in page and 'data-key="trial_lesson"' in page
    assert 'data-key="repair"' not in page
    chinese = analyst.get(
        "/processes/library/?industry=restaurant", HTTP_ACCEPT_LANGUAGE="zh-hans"
    ).content.decode()
    assert "食品安全投诉" in chinese and "餐饮连锁" in chinese and "满意度回访" in chinese
    assert "模板库" in chinese and "复制为新流程" in chinese


def test_the_page_costs_the_same_statements_whatever_it_shows(analyst):
    analyst.get("/processes/library/")  # warm the session and role caches
    counts = []
    for industry in ("", "education", "retail"):
        with CaptureQueriesContext(connection) as queries:
            assert analyst.get(f"/processes/library/?industry={industry}").status_code == 200
        counts.append(len(queries))
    assert len(set(counts)) == 1 and counts[0] <= 10, counts  # the frame (session, menu) only


def test_the_diagram_is_the_template_file(analyst):
    response = analyst.get("/processes/library/returns/diagram.bpmn")
    assert response.status_code == 200 and b'<bpmn:process id="returns"' in response.content
    assert analyst.get("/processes/library/nothing/diagram.bpmn").status_code == 404


def test_copy_opens_the_draft_and_a_bad_key_is_refused_in_words(analyst):
    refused = analyst.post("/processes/library/returns/copy/", {"key": "1 bad"})
    assert refused.status_code == 400 and "starts with a letter" in refused.content.decode()
    assert not ProcessDraft.objects.exists()
    made = analyst.post("/processes/library/returns/copy/", {"key": "store_returns"})
    draft = ProcessDraft.objects.get()
    assert made.status_code == 302 and made["Location"] == f"/processes/drafts/{draft.id}/"
    assert draft.key == "store_returns" and draft.problems == []
    assert analyst.get(made["Location"]).status_code == 200
