"""The public form: a customer raises a repair ticket from a phone, then follows it."""

import re

import pytest
from django.test import Client

from customers.models import Customer, CustomerLinkProposal
from tickets.models import Ticket

pytestmark = pytest.mark.django_db

FORM = {
    "name": "Wang Fang",
    "phone": "138 1234 1234",
    "email": "Wang.Fang@Example.cn",
    "title": "Fridge is warm",
    "description": "The fridge stopped cooling yesterday evening.",
    "category": "fridge",
    "region": "tier2",
    "website": "",
}


def submit(client=None, url="/intake/repair/", **changes):
    return (client or Client()).post(url, {**FORM, **changes})


def test_the_form_asks_for_contact_details_and_the_processes_own_fields(repair):
    page = Client().get("/intake/repair/")
    assert page.status_code == 200
    html = page.content.decode()
    assert 'name="viewport"' in html and 'type="tel"' in html
    for name in ("name", "phone", "email", "title", "description", "region", "category"):
        assert f'name="{name}"' in html
    assert 'name="website"' in html and 'class="fd-hp"' in html  # the honeypot
    assert 'name="customer_tier"' not in html  # the tier is never the customer's to pick
    assert Client().get("/intake/nope/").status_code == 404


def test_the_form_reads_in_the_visitors_language_like_its_own_fields(repair):
    """The process's bilingual name in the visitor's language; the contact fields marked
    required as the process's fields are (an asterisk, no ASCII colon in Chinese)."""
    zh = Client().get("/intake/repair/?lang=zh-hans").content.decode()
    assert "<h1>上门维修</h1>" in zh and "Home appliance repair" not in zh
    assert ">您的姓名*</label>" in zh and ">手机号码</label>" in zh and "您的姓名:" not in zh
    en = Client().get("/intake/repair/?lang=en").content.decode()
    assert "<h1>Home appliance repair</h1>" in en and ">Your name*</label>" in en


def test_a_submission_raises_a_ticket_and_links_the_customer(repair):
    response = submit()
    assert response.status_code == 200, response.content.decode()
    ticket = Ticket.objects.get()
    html = response.content.decode()
    assert ticket.number in html and f"/t/{ticket.tracking_token}/" in html
    assert ticket.channel == "webform" and ticket.title == "Fridge is warm"
    assert ticket.created_by.username == "intake" and not ticket.created_by.is_active
    customer = Customer.objects.get()
    assert ticket.customer == customer
    assert (customer.name, customer.phone, customer.email) == (
        "Wang Fang",
        "+8613812341234",
        "wang.fang@example.cn",
    )
    assert ticket.data["customer_phone"] == "138 1234 1234" and ticket.data["region"] == "tier2"
    assert ticket.data["customer_tier"] == "standard"
    assert ticket.tasks.get().bpmn_id == "accept"

    again = submit(url="/intake/repair/?channel=h5", phone="+86 13812341234", title="Again")
    assert again.status_code == 200
    second = Ticket.objects.get(title="Again")
    assert second.channel == "h5"
    # Recognised by phone, but an anonymous form proves nothing: a link is proposed.
    assert Customer.objects.count() == 1 and second.customer is None
    proposal = CustomerLinkProposal.objects.get(ticket_id=second.id)
    assert (proposal.customer, proposal.matched_by, proposal.state) == (
        customer,
        "phone",
        "pending",
    )


def test_the_tracking_page_shows_progress_but_nothing_internal(cast, repair):
    submit()
    ticket = Ticket.objects.get()
    page = Client().get(f"/t/{ticket.tracking_token}/")
    assert page.status_code == 200 and page["Referrer-Policy"] == "same-origin"
    html = page.content.decode()
    assert ticket.number in html and "We received your request." in html and "In progress" in html
    for secret in (
        "13812341234",
        "Wang Fang",
        "stopped cooling",
        "tier2",
        "decision",
        "accept",
        "intake",
        "Accept the ticket",
    ):
        assert secret not in html
    assert "resolved" not in html
    assert Client().get("/t/not-a-token/").status_code == 404
    assert Client().get(f"/t/{ticket.tracking_token[:-1]}/").status_code == 404


def test_the_honeypot_turns_bots_away(repair):
    response = submit(website="http://spam.example")
    assert response.status_code == 400
    assert not Ticket.objects.exists() and not Customer.objects.exists()


def test_each_address_has_a_rate_limit(repair, settings):
    settings.FLOWDESK_INTAKE_RATE_PER_MIN = 2
    assert [submit().status_code for _ in range(2)] == [200, 200]
    limited = submit()
    assert limited.status_code == 429 and 1 <= int(limited["Retry-After"]) <= 60
    assert Ticket.objects.count() == 2
    other = Client(REMOTE_ADDR="10.9.8.7")
    assert submit(other).status_code == 200
    assert Client().get("/intake/repair/").status_code == 200  # reading the form is free


def test_mistakes_are_shown_and_nothing_is_kept(repair):
    missing = submit(region="")
    assert missing.status_code == 422
    html = missing.content.decode()
    assert "This field is required." in html and "Wang Fang" in html  # typed values come back
    assert not Ticket.objects.exists() and not Customer.objects.exists()

    no_contact = submit(phone="", email="")
    assert no_contact.status_code == 400
    assert "Leave a phone number or an e-mail address." in no_contact.content.decode()
    bad_phone = submit(phone="call me")
    assert bad_phone.status_code == 400 and "Enter a phone number" in bad_phone.content.decode()
    assert not Ticket.objects.exists()


def test_configured_categories_replace_the_forms_own(repair, settings):
    settings.FLOWDESK_INTAKE_CATEGORIES = ["fridge", "tv"]
    html = Client().get("/intake/repair/").content.decode()
    assert len(re.findall(r'name="category"', html)) == 1
    assert '<option value="tv">tv</option>' in html
    assert submit(category="tv").status_code == 200
    assert Ticket.objects.get().data["category"] == "tv"
