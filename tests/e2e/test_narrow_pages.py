"""Pages of wide tables on a 375 px phone in Chinese: the pricing catalogs (the shipped
ones), a settlement's printable statement and a decision with a long id. Each table
scrolls inside its own labelled region, so the page never scrolls sideways; axe-core finds
nothing serious; the catalogs read in the reader's language."""

import json

import pytest

from tests.conftest import ROOT, deploy_file
from tests.e2e.browser import run_script

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_wide_tables_scroll_in_their_own_region_at_375_px(cast, live_server):
    from pricing.actions import do_import_catalog_folder, do_settle
    from tests.pricing.test_settlement import REQUEST

    for folder in (ROOT / "processes" / "catalog", ROOT / "processes" / "catalog" / "equipment"):
        assert all(r.ok for r in do_import_catalog_folder(folder, by=cast["dave"]).values())
    services = [{"code": "AR-OIL", "quantity": 20}, {"code": "AR-DIAG", "quantity": 1}]
    # three instalments: the statement's widest tables
    do_settle("SV-1", {**REQUEST, "services": services, "region": "sh", "coupon": ""})
    deploy_file(ROOT / "processes" / "equipment_maintenance.bpmn")
    pages = {
        "catalog": "/pricing/",
        "statement": "/pricing/statements/SV-1/",
        "decision": "/decisions/equipment_maintenance_payment_plan/",
    }
    found = run_script("narrow.mjs", live_server, PAGES=json.dumps(pages), USERNAME_E2E="dave")
    for name in pages:
        assert found[name]["overflow"] is False, name
        assert found[name]["axe"] == [], (name, found[name]["axe"])
    shown = found["catalog"]["text"]
    # the shipped names in the reader's language; the stock under its warehouse's name
    assert "蓄电池更换" in shown and "Battery replacement" not in shown
    assert "压缩机（5 匹）" in shown and "上海中心仓" in shown and "WH-SH" not in shown
    assert "×1.1\n" in shown and "1.1000" not in shown  # a coefficient as written
    assert "结算单" in found["statement"]["text"]
