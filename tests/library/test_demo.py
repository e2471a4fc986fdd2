"""make run's load_demo deploys the whole library and raises its demo tickets, once."""

import io

import pytest
from django.core.management import call_command

from definitions.library import catalog
from definitions.models import ProcessVersion
from tickets.models import Ticket

pytestmark = pytest.mark.django_db


def test_load_demo_deploys_every_template_with_demo_tickets_and_is_idempotent():
    out = io.StringIO()
    call_command("load_demo", stdout=out)
    keys = {t.key for t in catalog().templates}
    assert keys <= set(ProcessVersion.objects.values_list("key", flat=True))
    expected = sum(len(t.demo_tickets) for t in catalog().templates)
    assert Ticket.objects.count() == expected
    per_template = set(Ticket.objects.values_list("process_version__key", flat=True))
    assert per_template == keys
    assert f"library demo tickets: {expected} raised" in out.getvalue()
    # each names its customer, as intake would have linked them (lists show who raised it)
    unlinked = Ticket.objects.filter(customer__isnull=True)
    assert set(unlinked.values_list("process_version__key", flat=True)) == {
        "course_refund",
        "trial_lesson",
    }  # (their forms name a parent, not a customer)
    cold_store = Ticket.objects.get(title="冷库压缩机停机（VIP）")
    assert (cold_store.customer.name, cold_store.customer.tier) == ("华东冷链物流", "VIP")

    again = io.StringIO()
    call_command("load_demo", stdout=again)
    assert Ticket.objects.count() == expected
    assert "library demo tickets: 0 raised" in again.getvalue()
    assert ProcessVersion.objects.filter(key="food_safety").count() == 1


def test_each_demo_ticket_and_its_open_step_read_as_words():
    from django.contrib.auth.models import User
    from django.test import Client

    from tickets.models import HumanTask

    call_command("load_demo", stdout=io.StringIO())
    client = Client()
    client.force_login(User.objects.get(username="dave"))
    for ticket in Ticket.objects.all():
        page = client.get(f"/tickets/{ticket.number}/")
        assert page.status_code == 200, ticket.process_version.key
        text = page.content.decode()
        assert ticket.title in text and "Traceback" not in text
        task = HumanTask.objects.filter(ticket=ticket, state__in=["open", "claimed"]).first()
        if task is None:  # the appointment templates wait for the customer's booking
            assert ticket.process_version.key in {"beauty_salon", "medical_clinic"}
            continue
        assert client.get(f"/tasks/{task.id}/").status_code == 200, task.bpmn_id
