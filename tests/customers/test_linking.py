"""Customer auto-linking: each key, its spellings, unknown people, concurrency, history."""

import threading

import pytest
from django.db import connection

from customers.actions import (
    UnknownIdentity,
    do_add_contact,
    do_close_opportunity,
    do_link_customer,
    do_open_opportunity,
    do_set_tier,
)
from customers.identity import normalize_email, normalize_phone, normalize_wecom_id
from customers.models import Customer
from customers.queries import customer_history
from tests.conftest import repair_start
from tickets import actions


@pytest.mark.parametrize(
    "raw",
    [
        "13812341234",
        "138 1234 1234",
        "138-1234-1234",
        "+86 138 1234 1234",
        "+86-13812341234",
        "0086 13812341234",
        "8613812341234",
        "(+86) 138.1234.1234",
    ],
)
def test_chinese_mobiles_normalise_to_one_spelling(raw):
    assert normalize_phone(raw) == "+8613812341234"


def test_other_numbers_keep_their_meaning():
    assert normalize_phone("+1 (415) 555-0100") == "+14155550100"
    assert normalize_phone("0044 20 7946 0000") == "+442079460000"
    assert normalize_phone("010-6552 9988") == "+861065529988"  # Beijing landline
    assert normalize_phone("12345") == "12345"
    assert normalize_phone("call me") == "" and normalize_phone(None) == ""
    assert normalize_email("Wang Fang <Wang.Fang@Example.CN>") == "wang.fang@example.cn"
    assert normalize_email("not-an-address") == ""
    assert normalize_wecom_id("  WangFang ") == "wangfang"


@pytest.fixture
def wang(db):
    customer, created = do_link_customer(
        {
            "name": "Wang Fang",
            "phone": "138 1234 1234",
            "email": "Wang.Fang@Example.CN",
            "wecom_id": "WangFang",
            "external_id": "CRM-0042",
        }
    )
    assert created
    return customer


@pytest.mark.parametrize(
    "identity",
    [
        {"external_id": " CRM-0042 "},
        {"phone": "+86 138-1234-1234"},
        {"phone": "0086 13812341234"},
        {"email": "WANG.FANG@example.cn"},
        {"email": "王芳 <wang.fang@EXAMPLE.cn>"},
        {"wecom_id": "wangfang"},
    ],
)
def test_each_key_finds_the_customer(wang, identity):
    customer, created = do_link_customer({"name": "someone", **identity})
    assert (customer.id, created) == (wang.id, False)
    assert customer.name == "Wang Fang"  # a matched customer keeps their name
    assert Customer.objects.count() == 1


def test_keys_are_stored_normalised(wang):
    assert (wang.phone, wang.email, wang.wecom_id, wang.external_id) == (
        "+8613812341234",
        "wang.fang@example.cn",
        "wangfang",
        "CRM-0042",
    )


def test_external_id_wins_over_the_other_keys(wang):
    li, _ = do_link_customer({"name": "Li Lei", "external_id": "CRM-0099"})
    found, created = do_link_customer({"external_id": "CRM-0099", "phone": "13812341234"})
    assert found.id == li.id and not created


def test_an_unknown_person_becomes_a_customer_and_keys_are_filled_in(db):
    created_customer, created = do_link_customer({"name": "Li Lei", "phone": "13900001111"})
    assert created and created_customer.tier == Customer.Tier.STANDARD
    again, created = do_link_customer({"phone": "139 0000 1111", "email": "li@example.cn"})
    assert again.id == created_customer.id and not created
    assert Customer.objects.get(id=again.id).email == "li@example.cn"
    nameless, created = do_link_customer({"email": "Zhao.Min@example.cn"})
    assert created and nameless.name == "zhao.min"
    with pytest.raises(UnknownIdentity):
        do_link_customer({"name": "only a name"})


def test_a_key_owned_by_another_customer_is_not_moved(wang):
    li, _ = do_link_customer({"name": "Li Lei", "phone": "13900001111"})
    found, _ = do_link_customer({"phone": "13900001111", "email": "wang.fang@example.cn"})
    assert found.id == li.id and Customer.objects.get(id=li.id).email == ""


def test_a_contacts_keys_link_to_their_company(db):
    acme, _ = do_link_customer({"name": "Acme Hotel", "external_id": "HOTEL-1"})
    do_add_contact(
        acme.id, "Zhang Wei", role="purchasing", phone="137-0000-2222", email="ZW@acme.cn"
    )
    assert do_link_customer({"phone": "13700002222"})[0].id == acme.id
    assert do_link_customer({"email": "zw@acme.cn"})[0].id == acme.id


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="concurrent writers need PostgreSQL (SQLite serialises the whole database)",
)
def test_concurrent_intakes_of_one_person_make_one_customer():
    barrier = threading.Barrier(6)
    results, errors = [], []

    def link(i):
        barrier.wait()
        try:
            results.append(do_link_customer({"name": f"caller {i}", "phone": "13812341234"}))
        except Exception as exc:  # noqa: BLE001 - collected and asserted below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=link, args=(i,)) for i in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert Customer.objects.count() == 1
    assert len({customer.id for customer, _ in results}) == 1
    assert sum(created for _, created in results) == 1


@pytest.mark.django_db
def test_history_shows_past_tickets_and_open_opportunities(cast, repair, wang):
    first = actions.do_start_ticket(cast["alice"], "repair", repair_start(), customer=wang)
    second = actions.do_start_ticket(cast["alice"], "repair", repair_start(), customer=wang)
    actions.do_start_ticket(cast["alice"], "repair", repair_start())  # someone else's
    open_one = do_open_opportunity(wang.id, "Kitchen renovation", "58000.005")
    won = do_open_opportunity(wang.id, "Extended warranty", 1200)
    do_close_opportunity(won.id, "won")
    history = customer_history(wang, exclude_ticket_id=second.id)
    assert [t.id for t in history.tickets] == [first.id]
    assert [o.id for o in history.open_opportunities] == [open_one.id]
    assert str(history.open_opportunities[0].amount) == "58000.01"
    assert [t.id for t in customer_history(wang).tickets] == [second.id, first.id]


@pytest.mark.django_db
def test_the_ticket_api_links_the_customer_and_the_tier_reaches_the_rules(cast, repair, wang):
    from tests.integrations.support import post, session_client

    do_set_tier(wang.id, "VIP")
    client = session_client(cast["alice"])
    body = {
        "process": "repair",
        "data": repair_start(customer_tier="standard", customer_name="W. Fang"),
        "customer": {"name": "Wang F.", "phone": "+86 138-1234-1234"},
    }
    response = post(client, "/api/v1/tickets", body)
    assert response.status_code == 201, response.content
    ticket = response.json()
    assert ticket["customer"] == {"id": wang.id, "name": "Wang Fang", "tier": "VIP"}
    # the record, not the caller, decides: the triage table gives VIP customers priority 4
    assert (
        ticket["data"]["customer_tier"] == "VIP" and ticket["data"]["customer_name"] == "Wang Fang"
    )
    assert ticket["priority"] == 4
    events = client.get(f"/api/v1/tickets/{ticket['number']}/events").json()["items"]
    created = next(e for e in events if e["kind"] == "created")
    assert created["detail"]["customer"] == wang.id

    new = post(client, "/api/v1/tickets", {**body, "customer": {"email": "New@Example.cn"}})
    assert new.json()["customer"]["name"] == "new" and Customer.objects.count() == 2
    plain = post(client, "/api/v1/tickets", {"process": "repair", "data": repair_start()})
    assert plain.json()["customer"] is None
    bad = post(client, "/api/v1/tickets", {**body, "customer": {"name": "nobody"}})
    assert bad.status_code == 400 and bad.json()["detail"].startswith("customer:")


@pytest.mark.django_db
def test_a_linked_customer_fills_only_the_fields_the_start_form_has(cast, wang):
    """The clinic's patient form has a name but no tier: the customer's tier is not forced
    on it (an "Unknown field" would refuse the ticket)."""
    from django.conf import settings

    from tests.conftest import deploy_file
    from tests.integrations.support import post, session_client

    deploy_file(settings.PROCESSES_DIR / "medical_clinic.bpmn")
    client = session_client(cast["alice"])
    data = {"customer_name": "W.", "customer_phone": "13812341234", "age": 34}
    data |= {"symptoms": "咳嗽三天", "department": "general"}
    body = {"process": "medical_clinic", "data": data, "customer": {"phone": "13812341234"}}
    response = post(client, "/api/v1/tickets", body)
    assert response.status_code == 201, response.content
    ticket = response.json()
    assert ticket["customer"]["id"] == wang.id
    assert ticket["data"]["customer_name"] == "Wang Fang" and "customer_tier" not in ticket["data"]
