"""Every shipped decision file draws its DRD in the decision editor (dmn-js): a shape for each
decision, input data and knowledge model, an edge for each requirement (DMNDI from
web/layout-dmn.mjs)."""

import json

import pytest

from definitions import authoring
from tests.conftest import ROOT, _user
from tests.decisions.test_drd import drd_elements
from tests.e2e.browser import run_script

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_the_drd_of_every_shipped_decision_file_draws_its_elements(live_server):
    olga = _user("olga", ["process_owners"])
    files = {
        path.name: drd_elements(path.read_text()) for path in sorted((ROOT / "dmn").glob("*.dmn"))
    }
    drafts = {}
    for name, (shapes, _edges) in files.items():
        decision = next(iter(shapes["decision"]))
        draft = authoring.do_start_draft(decision, olga)
        drafts[name] = f"/decisions/{decision}/v{draft.version}/"
    found = run_script("decision_drd.mjs", live_server, DRAFTS=json.dumps(drafts))
    assert found["consoleErrors"] == []
    for name, (shapes, edges) in files.items():
        drawn = found["drawn"][name]
        drawn_shapes = {d["id"] for d in drawn if d["shape"] and d["width"] > 20}
        assert set().union(*shapes.values()) <= drawn_shapes, name
        assert set(edges) <= {d["id"] for d in drawn if d["connection"]}, name
