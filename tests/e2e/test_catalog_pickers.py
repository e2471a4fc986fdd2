"""Parts and warehouses chosen by name in a real browser: a one-step process whose form
has a part and a warehouse field, the shipped catalogs, alice picking both in Chinese."""

import pytest

from tests.conftest import ROOT
from tests.e2e.browser import run_script

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PROCESS = (ROOT / "bench" / "fixtures" / "quick.bpmn").read_text(encoding="utf-8")
FORM = """{
  "title": "Parts", "type": "object", "required": ["part", "warehouse"],
  "properties": {
    "part": {"type": "string", "x-field": "part", "title": "Part",
             "x-i18n": {"zh-hans": {"title": "备件"}}},
    "warehouse": {"type": "string", "x-field": "warehouse", "title": "Warehouse",
                  "x-i18n": {"zh-hans": {"title": "仓库"}}}
  }
}"""


def test_an_agent_picks_a_part_and_a_warehouse_by_name(cast, live_server):
    from definitions.deploy import deploy_bundle
    from pricing.actions import do_import_catalog_folder
    from tickets import actions

    assert all(r.ok for r in do_import_catalog_folder(ROOT / "processes" / "catalog").values())
    text = PROCESS.replace("quick-answer.schema.json", "parts.schema.json")
    deploy_bundle("quick.bpmn", text.replace("bench_agents", "agents"), {"parts.schema.json": FORM})
    ticket = actions.do_start_ticket(cast["alice"], "quick", {})
    task = ticket.tasks.get()
    result = run_script(
        "catalog_pickers.mjs",
        live_server,
        TASK=f"/tasks/{task.id}/",
        TICKET=f"/tickets/{ticket.number}/",
    )
    assert result["axe"] == []
    assert result["values"] == ["BP-FRONT", "WH-SH"]  # what the form sends: the codes
    assert result["shown"] == ["前刹车片 · BP-FRONT", "上海中心仓 · WH-SH"]  # what alice sees
    ticket.refresh_from_db()
    assert (ticket.status, ticket.data["part"], ticket.data["warehouse"]) == (
        "completed",
        "BP-FRONT",
        "WH-SH",
    )
    assert "前刹车片 · BP-FRONT" in result["details"] and "上海中心仓 · WH-SH" in result["details"]
