"""The ticket page as people read it: a repair ticket worked by the cast, with a transfer,
a send back and a rejection, read back in sentences; its diagram marks; the pickers."""

import datetime as dt
import re

import pytest
from django.test import Client
from django.utils import timezone, translation

from tests.conftest import repair_start
from tickets import actions, operations
from tickets.models import HumanTask, TicketEvent

pytestmark = pytest.mark.django_db

NAMES = {"alice": "Alice Li", "tom": "Tom Zhang", "bob": "Bob Wu", "carol": "Carol Chen"}


@pytest.fixture
def named(cast):
    for username, full in NAMES.items():
        first, last = full.split()
        cast[username].first_name, cast[username].last_name = first, last
        cast[username].save()
    return cast


def client_for(user, language="en"):
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    client.force_login(user)
    return client


def open_task(ticket, bpmn_id):
    return HumanTask.objects.get(ticket=ticket, bpmn_id=bpmn_id, state__in=actions.OPEN_STATES)


def worked(cast):
    """Accepted, scheduled, transferred, sent back, rescheduled, diagnosed, rejected."""
    ticket = actions.do_start_ticket(
        cast["alice"], "repair", repair_start(customer_tier="VIP", description="空调不制冷")
    )
    actions.do_complete_task(cast["alice"], open_task(ticket, "accept").id, {"accepted": True})
    schedule = {"visit_date": "2026-11-24", "technician": "tom"}
    actions.do_complete_task(cast["alice"], open_task(ticket, "schedule_visit").id, schedule)
    operations.do_transfer(
        cast["bob"], open_task(ticket, "diagnose").id, to_user="tom", reason="knows this model"
    )
    operations.do_send_back(
        cast["tom"], open_task(ticket, "diagnose").id, "schedule_visit", "wrong address"
    )
    actions.do_complete_task(cast["alice"], open_task(ticket, "schedule_visit").id, schedule)
    diagnosis = {"needs_parts": True, "labor_hours": 1, "parts_cost": "1280"}
    actions.do_complete_task(cast["tom"], open_task(ticket, "diagnose").id, diagnosis)
    operations.do_decide(cast["carol"], open_task(ticket, "approve_quote").id, False, "too dear")
    return ticket


def test_the_page_reads_as_sentences_with_names_rules_and_reasons(named, repair):
    ticket = worked(named)
    assert ticket.title == "空调不制冷"  # raised without a title: the description's words
    html = client_for(named["bob"]).get(f"/tickets/{ticket.number}/").content.decode()
    for said in (
        "Alice Li accepted the ticket",
        "Diagnose on site transferred to Tom Zhang by Bob Wu",  # the name in English only
        "knows this model",
        "Tom Zhang sent the ticket back to Schedule the visit",
        "wrong address",
        "Carol Chen rejected Approve the quote",
        "too dear",
        "by rule ‘Other technician work: the least-loaded technician’ (Assignment as shipped)",
        "Approve the quote put in the finance queue",
    ):
        assert said in html, said
    assert "VIP" in html and "In progress" in html and "With Tom Zhang" in html
    assert "¥1,280.00" in html and "¥1,360.00" in html  # the parts cost and the quote total
    assert "Parts needed</dt><dd>Yes" in html
    shown = re.sub(r"<[^>]+>", " ", html)  # what the page shows, not its class names
    for raw in ("task_created", "sla_started", "True", "sla_hours", "ticket_number", "{&#x27;"):
        assert raw not in shown, raw
    assert "priority 4" not in shown.lower()


def test_the_reasons_are_kept_on_the_events(named, repair):
    ticket = worked(named)
    details = {e.kind: e.detail for e in TicketEvent.objects.filter(ticket=ticket)}
    assert details["transferred"]["reason"] == "knows this model"
    assert details["sent_back"]["reason"] == "wrong address"
    assert details["rejected"]["reason"] == "too dear"
    with pytest.raises(actions.ActionError):
        operations.do_decide(named["carol"], open_task(ticket, "diagnose").id, False, "")


def test_the_page_in_chinese(named, repair):
    ticket = worked(named)
    html = client_for(named["bob"], "zh-CN").get(f"/tickets/{ticket.number}/").content.decode()
    assert "Alice Li 受理了工单" in html
    assert "Bob Wu 将 检测 转派给 Tom Zhang" in html  # the step's Chinese name
    assert "Diagnose on site" not in html
    assert "处理中" in html and "时间线" in html and "knows this model" in html


def test_later_timeline_pages_load_on_demand(named, repair):
    ticket = worked(named)
    bob = client_for(named["bob"])
    url = f"/tickets/{ticket.number}/"
    for n in range(60):
        operations.do_comment(named["bob"], ticket.id, f"note {n}")
    page = bob.get(url).content.decode()
    assert "Show later events" in page and "note 59" not in page.split('id="thread"')[0]
    cursor = page.split("timeline/?after=")[1].split('"')[0]
    more = bob.get(f"{url}timeline/?after={cursor}").content.decode()
    assert "Bob Wu added an internal note" in more
    assert bob.get(f"{url}timeline/?after=nonsense").status_code == 400


def test_diagram_marks_done_active_and_overdue_for_readers_only(named, repair):
    ticket = worked(named)
    bob = client_for(named["bob"])
    marks = bob.get(f"/tickets/{ticket.number}/diagram/marks/").json()
    assert marks["marks"]["accept"] == "done" and marks["marks"]["approve_quote"] == "done"
    active = open_task(ticket, "diagnose")  # the rejection sent it back to diagnosis
    assert marks["marks"]["diagnose"] == "active" and "repair_work" not in marks["marks"]
    HumanTask.objects.filter(id=active.id).update(due_at=timezone.now() - dt.timedelta(hours=1))
    marks = bob.get(f"/tickets/{ticket.number}/diagram/marks/").json()
    assert marks["marks"]["diagnose"] == "overdue" and marks["badges"]["diagnose"] == "Tom Zhang"
    xml = bob.get(f"/tickets/{ticket.number}/diagram.bpmn")
    assert xml.status_code == 200 and b'id="diagnose"' in xml.content

    from django.contrib.auth.models import User

    stranger = client_for(User.objects.create_user("eve", password="pw", is_staff=True))
    assert stranger.get(f"/tickets/{ticket.number}/diagram/marks/").status_code == 404
    assert stranger.get(f"/tickets/{ticket.number}/diagram.bpmn").status_code == 404
    assert Client().get(f"/tickets/{ticket.number}/diagram/marks/").status_code == 403


def test_the_active_step_is_marked_active(named, repair):
    ticket = actions.do_start_ticket(named["alice"], "repair", repair_start())
    marks = client_for(named["alice"]).get(f"/tickets/{ticket.number}/diagram/marks/").json()
    assert marks["marks"]["accept"] == "active" and marks["marks"]["start"] == "done"
    assert "repair_work" not in marks["marks"]


def test_people_pickers_search_names_within_the_groups_a_step_may_go_to(named, repair):
    ticket = actions.do_start_ticket(named["alice"], "repair", repair_start())
    actions.do_complete_task(named["alice"], open_task(ticket, "accept").id, {"accepted": True})
    schedule = {"visit_date": "2026-11-24", "technician": "tom"}
    actions.do_complete_task(named["alice"], open_task(ticket, "schedule_visit").id, schedule)
    url = f"/tasks/{open_task(ticket, 'diagnose').id}/people/"
    bob = client_for(named["bob"])
    assert bob.get(url, {"q": "zhang"}).json()["results"] == [
        {"value": "tom", "label": "Tom Zhang"}
    ]
    assert bob.get(url, {"q": "Carol"}).json()["results"] == []  # finance is not a target
    groups = bob.get(url, {"kind": "group", "q": ""}).json()["results"]
    assert [g["value"] for g in groups] == ["dispatchers", "technicians"]
    assert client_for(named["carol"]).get(url, {"q": "tom"}).status_code == 404
    assert Client().get(url, {"q": "tom"}).status_code == 403


def test_customer_picker_is_for_staff(named, repair):
    from customers.models import Customer

    Customer.objects.create(name="Wang Fang", phone="13812341234", tier="VIP")
    found = client_for(named["alice"]).get("/customers/search/", {"q": "wang"}).json()
    assert [(c["label"], c["tier"]) for c in found["results"]] == [("Wang Fang", "VIP")]
    named["alice"].is_staff = False
    named["alice"].save()
    assert client_for(named["alice"]).get("/customers/search/", {"q": "wang"}).status_code == 403


def test_a_forms_user_field_searches_staff_by_name_within_its_group(named, repair):
    ticket = actions.do_start_ticket(named["alice"], "repair", repair_start())
    actions.do_complete_task(named["alice"], open_task(ticket, "accept").id, {"accepted": True})
    alice = client_for(named["alice"])
    form = alice.get(f"/tasks/{open_task(ticket, 'schedule_visit').id}/").content.decode()
    assert 'data-fd-picker="user"' in form and 'data-fd-group="technicians"' in form
    found = alice.get("/people/search/", {"q": "li", "group": "technicians"}).json()
    assert found["results"] == []  # Alice Li is no technician
    found = alice.get("/people/search/", {"q": "zhang", "group": "technicians"}).json()
    assert found["results"] == [{"value": "tom", "label": "Tom Zhang"}]
    assert Client().get("/people/search/", {"q": "tom"}).status_code == 403


def test_the_header_names_the_customer_their_tier_and_their_other_tickets(named, repair):
    from customers.models import Customer

    wang = Customer.objects.create(name="Wang Fang", phone="13812341234", tier="VIP")
    earlier = actions.do_start_ticket(named["alice"], "repair", repair_start(), customer=wang)
    ticket = actions.do_start_ticket(
        named["alice"], "repair", repair_start(description="fridge leaks"), customer=wang
    )
    html = client_for(named["alice"]).get(f"/tickets/{ticket.number}/").content.decode()
    assert "<strong>Wang Fang</strong>" in html and 'class="fd-tier fd-tier-vip">VIP<' in html
    assert f"/tickets/?customer={wang.id}" in html and f"/tickets/{earlier.number}/" in html
    assert "1 earlier ticket" in html


def test_sla_clocks_read_on_time_due_soon_and_overdue():
    from tickets.ticket_page import clock_of

    now = timezone.now()
    marks = [
        [1, (now + dt.timedelta(hours=1)).isoformat()],
        [4, (now + dt.timedelta(hours=2)).isoformat()],
    ]
    task = HumanTask(sla_marks=marks, due_at=now + dt.timedelta(hours=2))
    assert clock_of(task, now).level == "ok"
    assert clock_of(task, now + dt.timedelta(minutes=61)).level == "warning"
    assert clock_of(task, now + dt.timedelta(hours=3)).level == "breached"
    task.sla_level = 1
    assert clock_of(task, now).level == "warning"


def test_titles_of_tickets_raised_without_one(named, repair):
    from definitions.models import ProcessVersion
    from tickets.titles import title_for

    version = ProcessVersion.objects.get(key="repair")
    assert title_for(version, {"subject": "  Noisy   fan "}) == "Noisy fan"
    assert title_for(version, {"description": "no cooling since Monday"}) == (
        "no cooling since Monday"
    )
    assert title_for(version, {"customer_name": "Wang Fang"}) == (
        "Home appliance repair · Wang Fang"
    )
    with translation.override("zh-hans"):
        assert title_for(version, {"customer_name": "王芳"}) == "上门维修 · 王芳"
    assert title_for(version, {}, "Given") == "Given"
