"""The worklist in Chromium: an agent searches, filters, bulk-assigns two tickets and reads
the result for each, sees the rows refresh without a reload and opens a ticket; the same
in Chinese; the list at 375 px without sideways scrolling; axe-core clean."""

import datetime as dt
import shutil

import pytest

from tests.conftest import FIXTURES, ROOT, deploy_file
from tests.e2e.browser import run_script

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def _queue(cast):
    """Desk tickets in the agents' queue (unclaimed), as the story needs them."""
    from tickets import actions
    from tickets.models import HumanTask

    names = {"alice": ("Alice", "Chen"), "bob": ("Bob", "Zhang"), "tom": ("Tom", "Li")}
    for username, (first, last) in names.items():
        cast[username].first_name, cast[username].last_name = first, last
        cast[username].save(update_fields=["first_name", "last_name"])
    deploy_file(FIXTURES / "desk.bpmn")
    made = {}
    for key, title, symptom, priority in (
        ("c1", "Fridge warm", "compressor rattles", 2),
        ("c2", "Freezer ices up", "compressor never stops", 2),
        ("c3", "Cooler loud", "compressor clicks", 1),
        ("z1", "空调不制冷", "压缩机异响", 3),
        ("z2", "冰箱不冷", "压缩机不启动", 3),
        ("q1", "Queue check one", "queue-check", 1),
        ("q2", "Queue check two", "queue-check", 1),
    ):
        ticket = actions.do_start_ticket(
            cast["dave"], "desk", {"symptom": symptom}, title=title, priority=priority
        )
        HumanTask.objects.filter(ticket=ticket).update(
            assignee=None, state=HumanTask.State.OPEN, priority=priority
        )
        made[key] = ticket.number
    return made


def test_an_agent_searches_filters_and_bulk_assigns_in_chromium(cast, live_server):
    if not shutil.which("chromium") or not (ROOT / "node_modules" / "playwright-core").is_dir():
        pytest.fail("browser tests need Debian's chromium and npm's playwright-core")
    if not (ROOT / "web" / "static" / "dist" / "worklist.js").exists():
        pytest.fail("the front end is not built: run `node web/build.mjs` (make install)")
    made = _queue(cast)
    result = run_script("worklists.mjs", live_server)

    en = result["en"]
    assert sorted(en["searched"]) == sorted([made["c1"], made["c2"], made["c3"]])
    assert sorted(en["filtered"]) == sorted([made["c1"], made["c2"]])  # High only
    assert "q=compressor" in en["url"] and "priority=2" in en["url"]
    assert en["picked"] == "Bob Zhang"
    assert sorted(en["results"]) == sorted(
        [f"{made['c1']}: assigned to Bob Zhang", f"{made['c2']}: assigned to Bob Zhang"]
    )
    assert "q=compressor" in en["afterUrl"] and en["afterRows"] == 0  # no longer in the queue
    assert en["axeFiltered"] == [] and en["axeResults"] == []
    assert en["panelOpen"] and en["summary"] == "Filters and sort (1)"  # open on a desktop

    assert len(result["queueBefore"]) == 2 and len(result["bobClaimed"]) == 1
    assert result["bobClaimed"][0].endswith(": claimed by you")
    assert len(result["queueAfter"]) == 1 and result["notReloaded"]
    assert result["countAfter"] == result["countBefore"] - 1 > 0  # "My groups" follows
    signed_out = result["signedOut"]  # a refresh after signing out elsewhere: the login page
    assert signed_out["loginForm"] == 1
    assert signed_out["url"].endswith("/login/?next=%2Ftasks%2F%3Ftab%3Dgroups%26sort%3Ddue")

    assert result["openedTitle"].startswith("SV-") and "/tickets/SV-" in result["openedUrl"]

    # Urgent now: the step's clock re-planned from the sla table (any template x Urgent: 16 h)
    from tickets.models import HumanTask

    assert result["raised"] == [f"{made['c3']}: priority set to Urgent"]
    step = HumanTask.objects.get(ticket__number=made["c3"])
    assert step.priority == 3 and step.due_at - step.sla_started_at == dt.timedelta(hours=16)
    assert dt.datetime.fromisoformat(result["dueAfter"]) == step.due_at
    assert len(result["raisedLine"]) == 1
    assert result["unlaidDiagram"] == {"ready": True, "active": 1}  # laid out in the browser
    assert (
        "Alice Chen raised the priority from Normal to Urgent; due time moved to"
        in (result["raisedLine"][0])
    )

    zh = result["zh"]
    assert sorted(zh["searched"]) == sorted([made["z1"], made["z2"]])
    assert sorted(zh["filtered"]) == sorted([made["z1"], made["z2"]])
    assert sorted(zh["results"]) == sorted(
        [f"{made['z1']}: 已分配给 Bob Zhang", f"{made['z2']}: 已分配给 Bob Zhang"]
    )
    assert zh["heading"] == "我的工作" and any(t.startswith("我的组") for t in zh["tabs"])
    assert zh["axeFiltered"] == [] and zh["axeResults"] == []
    assert zh["summary"] == "筛选与排序（1）"

    steps = {"mobile": ("Step", "Answer the customer"), "mobile-zh": ("节点", "答复")}
    for name in ("mobile", "mobile-zh"):
        phone = result[name]
        # on a phone the filters and bulk actions start folded, the list first on screen
        folded = phone["folded"]
        assert not folded["filtersOpen"] and not folded["bulkOpen"]
        assert (
            folded["summary"]
            == {"mobile": "Filters and sort (1)", "mobile-zh": "筛选与排序（1）"}[name]
        )
        assert folded["firstCardTop"] < 700  # on the first screen of a 800 px phone
        # every card value sits in its own column right of its label, translated
        cells = {cell["label"]: cell for cell in phone["cells"]}
        assert len(cells) == 8 and all(cell["gap"] >= 60 for cell in cells.values()), cells
        label, step = steps[name]
        assert cells[label]["text"].startswith(step)
        if name == "mobile-zh":
            assert "Answer" not in cells[label]["text"] and "服务台请求" in cells[label]["text"]
        assert phone["rows"] == 1 and not phone["overflows"] and not phone["listOverflows"]
        assert phone["axe"] == [] and phone["listAxe"] == [] and phone["labelled"] == []
    assert (ROOT / "var" / "e2e" / "worklist-mobile.png").stat().st_size > 10_000
