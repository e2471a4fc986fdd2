"""Impact simulation of a draft pricing table over recorded settlements."""

from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings

from definitions.decisions import do_create_decision_versions
from definitions.models import DecisionVersion
from pricing import rules
from pricing.actions import do_settle
from pricing.simulate import simulate
from tests.integrations.support import session_client, token_client, token_for
from tests.pricing.support import catalog

D = Decimal
SHIPPED = (Path(settings.DMN_DIR) / rules.FILENAME).read_text(encoding="utf-8")


def _draft(xml, user):
    (version,) = do_create_decision_versions(rules.FILENAME, xml, user, publish=False)
    assert version.status == DecisionVersion.Status.DRAFT
    return version


def _changed():
    xml = SHIPPED.replace('id="sp_r1_o2"><text>0.30<', 'id="sp_r1_o2"><text>0.50<')
    xml = xml.replace('id="sp_r4_o2"><text>0.25<', 'id="sp_r4_o2"><text>0.10<')
    assert xml.count("0.50<") > SHIPPED.count("0.50<") and xml != SHIPPED
    return xml


def _settlements():
    catalog()
    diag = {"code": "SV-DIAG", "quantity": 1}
    do_settle("A", {"services": [diag], "urgency": "urgent", "payment_method": "cash"})
    do_settle(
        "B",
        {
            "services": [{**diag, "quantity": 2}],
            "weekend_or_holiday": True,
            "region": "bj",
            "payment_method": "card",
        },
    )
    do_settle("C", {"services": [diag], "payment_method": "cash"})


@pytest.mark.django_db
def test_a_draft_changes_the_totals_it_should_and_no_other(cast):
    _settlements()
    report = simulate(_draft(_changed(), cast["dave"]))
    by_ticket = {
        c["ticket_id"]: (c["old_total"], c["new_total"], c["difference"]) for c in report["results"]
    }
    # A: 80.00 + urgent 30% 24.00, 6% tax 6.24 = 110.24 -> urgent 50%: 120.00 + 7.20 = 127.20
    # B: 2 x 92.00 + weekend 25% 46.00, tax 13.80 = 243.80 -> 10%: 202.40 + 12.14 = 214.54
    # C: nothing applies: 84.80 either way
    assert by_ticket == {
        "A": (D("110.24"), D("127.20"), D("16.96")),
        "B": (D("243.80"), D("214.54"), D("-29.26")),
        "C": (D("84.80"), D("84.80"), D("0.00")),
    }
    assert (report["cases"], report["changed"]) == (3, 2)
    assert (report["old_total"], report["new_total"], report["difference"]) == (
        D("438.84"),
        D("426.54"),
        D("-12.30"),
    )
    assert [c["ticket_id"] for c in report["results"]] == ["B", "A", "C"]  # largest change first
    assert DecisionVersion.objects.get().status == "draft"  # simulating publishes nothing


@pytest.mark.django_db
def test_the_recorded_table_reproduces_every_total(cast):
    _settlements()
    report = simulate(_draft(SHIPPED, cast["dave"]))
    assert report["changed"] == 0 and report["difference"] == 0 and report["cases"] == 3


@pytest.mark.django_db
def test_simulation_api_and_page(cast):
    _settlements()
    draft = _draft(_changed(), cast["dave"])
    client = token_client(token_for(cast["carol"], "pricing:read"))
    data = client.get(f"/api/v1/pricing/simulations?version={draft.version}&limit=2").json()
    assert (data["cases"], data["changed"], data["difference"]) == (2, 1, "-29.26")  # B and C
    assert client.get("/api/v1/pricing/simulations?version=99").status_code == 404
    assert client.get("/api/v1/pricing/simulations?version=1&limit=0").status_code == 400
    agent = token_client(token_for(cast["alice"], "pricing:read", name="agent"))
    assert agent.get(f"/api/v1/pricing/simulations?version={draft.version}").status_code == 403

    page = session_client(cast["dave"]).get(f"/pricing/simulate/?version={draft.version}")
    html = page.content.decode()
    assert page.status_code == 200 and "2 of 3 settlements would change" in html
    assert "-¥12.30" in html and "+¥16.96" in html and "table as shipped" in html
    assert "file:" not in html and "True" not in html
    bad = session_client(cast["dave"]).get("/pricing/simulate/?version=x")
    assert bad.status_code == 400
    assert session_client(cast["alice"]).get("/pricing/simulate/").status_code == 403
