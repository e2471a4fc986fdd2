"""The ticket page in Chromium: operations through their dialogs, a supervisor's transfer
with a reason that shows in the timeline, the diagram's marks, Chinese, 375 px, axe."""

import pytest

from tests.conftest import ROOT, repair_start
from tests.e2e.browser import run_script

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

NAMES = {"alice": "Alice Li", "tom": "Tom Zhang", "bob": "Bob Wu", "carol": "Carol Chen"}


def ticket_at_diagnosis(cast):
    from django.contrib.auth.models import Group, User

    from tests.conftest import deploy_file
    from tickets import actions
    from tickets.models import HumanTask

    deploy_file(ROOT / "processes" / "repair.bpmn")
    for username, full in NAMES.items():
        first, last = full.split()
        User.objects.filter(username=username).update(first_name=first, last_name=last)

    def step(ticket, bpmn_id):
        return HumanTask.objects.get(ticket=ticket, bpmn_id=bpmn_id, state__in=("open", "claimed"))

    ticket = actions.do_start_ticket(
        cast["alice"], "repair", repair_start(customer_tier="VIP", description="空调不制冷")
    )
    actions.do_complete_task(cast["alice"], step(ticket, "accept").id, {"accepted": True})
    schedule = {"visit_date": "2026-12-01", "technician": "tom"}
    actions.do_complete_task(cast["alice"], step(ticket, "schedule_visit").id, schedule)
    assert step(ticket, "diagnose").assignee.username == "tom"
    # a second technician, joined after the diagnosis was routed to tom
    lei = User.objects.create_user("lei", password="pw", is_staff=True)
    lei.first_name, lei.last_name = "Lei", "Wang"
    lei.save()
    lei.groups.add(Group.objects.get(name="technicians"))
    return ticket


def test_people_work_a_repair_ticket_from_its_page(cast, live_server):
    ticket = ticket_at_diagnosis(cast)
    result = run_script("ticket.mjs", live_server, TICKET=ticket.number)

    assert "Tom Zhang added an internal note" in result["afterSendBack"]
    assert (
        "Tom Zhang sent the ticket back to Schedule the visit: the address is wrong"
        in (result["afterSendBack"])
    )
    assert "Diagnose on site" in result["aliceOpenSteps"]
    assert result["technicianValue"] == "tom" and result["pickedValue"] == "lei"
    assert (
        "Diagnose on site transferred to Tom Zhang by Bob Wu: Tom knows this model"
        in (result["afterTransfer"])
    )
    assert result["holder"] == "With Tom Zhang"
    assert "转派…" in result["zhButtons"] and "退回…" in result["zhButtons"]
    assert "Bob Wu 将 检测 转派给 Lei Wang：王磊离客户更近" in result["zhTimeline"]
    assert result["zhHolder"] == "处理人：Lei Wang"
    assert result["zhHeading"] == "时间线"

    diagram = result["diagram"]
    assert diagram["marks"]["marks"]["diagnose"] == "active"
    assert diagram["marks"]["marks"]["schedule_visit"] == "done"
    assert diagram["marks"]["badges"]["diagnose"] == "Tom Zhang"
    assert diagram["ready"] and diagram["active"] == 1
    # element names in the reader's language: the bracketed Chinese only for Chinese readers
    assert diagram["marks"]["labels"]["diagnose"] == "Diagnose on site"
    assert diagram["names"] == {
        "diagnose": "Diagnose on site",
        "lane": "Technicians",
        "pool": "Home appliance repair",
    }
    assert result["zhDiagram"]["names"] == {
        "diagnose": "检测",
        "lane": "技术员",
        "pool": "上门维修",
    }
    assert result["zhDiagram"]["marks"]["labels"]["diagnose"] == "检测"
    assert result["zhClock"] == "检测"
    assert result["suggested"] == {
        "text": "No suggestion. Search the knowledge base",
        "link": "/knowledge/",
    }
    assert result["bell"] == {"icon": True, "text": "Notifications"}

    assert result["phoneOverflow"] is False and result["phoneDialogOverflow"] is False
    assert result["axe"] == {"tom": [], "task": [], "bob": [], "zh": [], "phoneDialog": []}
    for name in ("ticket-page", "ticket-page-zh", "ticket-page-375", "ticket-sent-back"):
        assert (ROOT / "var" / "e2e" / f"{name}.png").stat().st_size > 10_000
