"""Intake keeps what people typed: the requester's own name, phone and e-mail on the
ticket, a clash with a known customer flagged (never filed under that customer's name),
and titles from the subject or the template's title expression."""

import shutil
import uuid

import pytest
from django.test import Client

from customers.actions import do_link_customer
from customers.models import CustomerLinkProposal
from intake.actions import WebformSubmission, do_ingest_email, do_submit_webform
from tests.conftest import PROCESSES, deploy_file
from tickets import actions
from tickets.models import Ticket, TicketRequester

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _own_rate_counters(settings):
    settings.FLOWDESK_RATE_NAMESPACE = f"test-rate:{uuid.uuid4().hex}"


@pytest.fixture
def published_repair(repair):
    from intake.actions import do_publish_intake

    do_publish_intake(None, "repair")
    return repair


FORM = {
    "name": "韩梅梅",
    "phone": "139 0000 1111",
    "email": "",
    "title": "",
    "description": "冰箱漏水，地上都是水。",
    "category": "fridge",
    "region": "tier2",
    "website": "",
}


def test_han_meimei_with_li_leis_phone_is_kept_apart_and_flagged(cast, published_repair):
    li_lei = do_link_customer({"name": "李雷", "phone": "13900001111"})[0]
    response = Client().post("/intake/repair/", FORM)
    assert response.status_code == 200, response.content.decode()[:500]
    ticket = Ticket.objects.get()
    requester = TicketRequester.objects.get(ticket=ticket)
    assert (requester.name, requester.phone) == ("韩梅梅", "139 0000 1111")
    assert requester.mismatch and requester.matched_customer == li_lei
    assert requester.matched_by == "phone"
    assert ticket.customer is None  # not filed under 李雷
    assert ticket.events.filter(kind="requester_mismatch").exists()
    li_lei.refresh_from_db()
    assert li_lei.name == "李雷"  # and 李雷's record untouched
    proposal = CustomerLinkProposal.objects.get(ticket_id=ticket.id)
    assert proposal.customer == li_lei

    agent = Client()
    agent.force_login(cast["alice"])
    html = agent.get(f"/tickets/{ticket.number}/").content.decode()
    assert "Requester" in html and "韩梅梅" in html
    assert "Check who this is" in html and "belongs to <strong>李雷</strong>" in html
    # the title is the start of her description, not a name or a fixed text
    assert ticket.title == "冰箱漏水，地上都是水。"

    # an agent confirms the link anyway: the requester stays who she said she was
    actions.do_confirm_customer_link(cast["alice"], proposal.id, confirm=True, ticket_id=ticket.id)
    ticket.refresh_from_db()
    assert ticket.customer == li_lei
    html = agent.get(f"/tickets/{ticket.number}/").content.decode()
    assert "韩梅梅" in html and "Linked customer: 李雷" in html


def test_same_name_is_not_flagged_and_mail_keeps_the_sender(cast, published_repair):
    do_link_customer({"name": "Wang Fang", "phone": "13812341234"})
    Client().post("/intake/repair/", {**FORM, "name": "wang  fang", "phone": "13812341234"})
    assert TicketRequester.objects.get().mismatch is False


def test_titles_come_from_the_subject_or_the_title_expression(cast, tmp_path, settings):
    settings.FLOWDESK_INTAKE_PROCESS = "inquiry"
    folder = tmp_path / "bundle"
    shutil.copytree(PROCESSES / "forms", folder / "forms")
    text = (PROCESSES / "inquiry.bpmn").read_text(encoding="utf-8")
    text = text.replace(
        '<spiffworkflow:property name="formJsonSchemaFilename" value="inquiry-start.schema.json" />',
        '<spiffworkflow:property name="formJsonSchemaFilename" value="inquiry-start.schema.json" />'
        '<spiffworkflow:property name="titleExpression" '
        "value=\"category + ': ' + customer_name\" />",
        1,
    )
    (folder / "inquiry.bpmn").write_text(text, encoding="utf-8")
    deploy_file(folder / "inquiry.bpmn")

    def submit(title, name):
        return do_submit_webform(
            "inquiry",
            WebformSubmission(name, "", f"{name}@example.cn", title, "Where is my parcel?"),
            {"category": "billing"},
            channel=Ticket.Channel.WEBFORM,
        )

    assert submit("Refund please", "amy").title == "Refund please"
    assert submit("", "bo").title == "billing: bo"
    assert submit("", "cy").title == "billing: cy"
    mail = (
        "From: Dan <dan@example.cn>\nTo: help@example.cn\nSubject: Invoice missing\n"
        "Message-ID: <1@example.cn>\n\nPlease send it again.\n"
    )
    outcome = do_ingest_email(mail)
    assert outcome.ticket.title == "Invoice missing"
    assert TicketRequester.objects.get(ticket=outcome.ticket).email == "dan@example.cn"
