"""The template library in Chromium (English and Chinese): every template drawn, axe clean,
the industry filter, a copy made, its scenarios run and published from the modeler; 375 px."""

import shutil

import pytest
from django.contrib.auth.models import Group, User

from definitions.library import catalog
from definitions.models import ProcessVersion
from tests.conftest import ROOT
from tests.e2e.browser import run_script

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_an_analyst_copies_a_library_template_and_publishes_it(cast, live_server):
    ann = User.objects.create_user("ann", password="pw", first_name="Ann", last_name="Lee")
    ann.groups.set([Group.objects.get_or_create(name="analysts")[0]])
    if not shutil.which("chromium") or not (ROOT / "node_modules" / "playwright-core").is_dir():
        pytest.fail("browser tests need Debian's chromium and npm's playwright-core")
    result = run_script("library.mjs", live_server, timeout=400)
    en, zh = result["en"], result["zh"]

    assert en["heading"] == "Template library" and zh["heading"] == "模板库"
    for run in (en, zh):
        assert run["cards"] == len(catalog().templates)
        assert run["axe"] == [] and not run["narrowOverflows"]
        assert run["drawnShapes"] > 15
        assert len(run["results"]) == 4
    assert en["filtered"] == ["Food-safety complaint"] and zh["filtered"] == ["食品安全投诉"]
    assert "Satisfaction follow-up" in en["tags"] and "满意度回访" in zh["tags"]
    # diagrams name the steps, lanes and pool in the reader's language (the file unchanged)
    english = {
        "step": "Urgent first response",
        "lane": "Store managers",
        "pool": "Food-safety complaint",
    }
    chinese = {"step": "紧急响应", "lane": "店长", "pool": "食品安全投诉"}
    assert en["drawnNames"] == english and zh["drawnNames"] == chinese
    assert en["versionNames"] == english and zh["versionNames"] == chinese
    assert en["scenarioStatus"] == "Every scenario test passed."
    assert en["publishStatus"].startswith("Published as version 1.")
    assert zh["publishStatus"].startswith("已发布为第 1 版")
    published = set(ProcessVersion.objects.values_list("key", flat=True))
    assert {"canteen_complaint", "canteen_complaint_cn"} <= published
    assert (ROOT / "var" / "e2e" / "library-zh-CN.png").stat().st_size > 10_000
