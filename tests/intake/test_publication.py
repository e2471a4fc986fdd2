"""Only published templates take anonymous submissions, each within its own hourly limit."""

import io

import pytest
from django.core.management import CommandError, call_command
from django.test import Client

from customers.models import Customer
from intake.actions import do_publish_intake, do_unpublish_intake
from intake.models import PublicForm
from tests.conftest import PROCESSES, deploy_file
from tickets.models import Ticket

pytestmark = pytest.mark.django_db

FORM = {
    "name": "Wang Fang",
    "phone": "138 1234 1234",
    "email": "wang.fang@example.cn",
    "description": "The fridge stopped cooling.",
    "category": "fridge",
    "region": "tier2",
}


def test_an_unpublished_template_is_not_there_for_the_public(db):
    deploy_file(PROCESSES / "repair.bpmn")  # deployed, not published
    assert Client().get("/intake/repair/").status_code == 404
    assert Client().post("/intake/repair/", FORM).status_code == 404
    assert not Ticket.objects.exists() and not Customer.objects.exists()

    out = io.StringIO()
    call_command("publish_intake", "repair", "--rate", "30", stdout=out)
    assert out.getvalue().strip() == "published /intake/repair/ (30 per hour)"
    assert Client().get("/intake/repair/").status_code == 200
    assert Client().post("/intake/repair/", FORM).status_code == 200
    assert Ticket.objects.count() == 1

    call_command("publish_intake", "repair", "--off", stdout=io.StringIO())
    assert Client().post("/intake/repair/", {**FORM, "phone": "13900000000"}).status_code == 404
    assert Ticket.objects.count() == 1
    assert PublicForm.objects.get(process_key="repair").enabled is False


def test_only_deployed_templates_can_be_published(cast):
    with pytest.raises(CommandError, match="no process 'nope' is deployed"):
        call_command("publish_intake", "nope", stdout=io.StringIO())
    with pytest.raises(ValueError, match="at least 1"):
        deploy_file(PROCESSES / "repair.bpmn")
        do_publish_intake(cast["dave"], "repair", rate_limit_per_hour=0)
    assert not PublicForm.objects.exists()
    form = do_publish_intake(cast["dave"], "repair")
    assert form.published_by == cast["dave"] and form.rate_limit_per_hour == 120
    assert do_unpublish_intake(cast["dave"], "repair").enabled is False


def test_each_template_has_an_hourly_limit_over_all_visitors(db, settings):
    settings.FLOWDESK_INTAKE_RATE_PER_MIN = 100
    deploy_file(PROCESSES / "repair.bpmn")
    deploy_file(PROCESSES / "inquiry.bpmn")
    do_publish_intake(None, "repair", rate_limit_per_hour=2)
    do_publish_intake(None, "inquiry")
    visitors = [Client(REMOTE_ADDR=f"10.0.0.{n}") for n in range(1, 4)]
    for n, visitor in enumerate(visitors[:2]):
        assert (
            visitor.post("/intake/repair/", {**FORM, "phone": f"1390000000{n}"}).status_code == 200
        )
    limited = visitors[2].post("/intake/repair/", {**FORM, "phone": "13900000009"})
    assert limited.status_code == 429
    assert 0 < int(limited["Retry-After"]) <= 3600  # until the hour window ends
    html = limited.content.decode()
    wait = int(limited["Retry-After"])  # near the window's end the page counts seconds
    when = f"{-(-wait // 60)} minutes" if wait > 90 else f"{wait} seconds"
    assert "Too many requests" in html and f"try again in {when}" in html
    assert "Traceback" not in html
    assert Ticket.objects.count() == 2
    # Another template has its own budget.
    inquiry = {"name": "Li Lei", "email": "li.lei@example.cn", "description": "Price?"}
    assert visitors[2].post("/intake/inquiry/", inquiry).status_code == 200


def test_the_admin_publishes_through_the_same_checks(cast):
    deploy_file(PROCESSES / "repair.bpmn")
    admin = Client()
    admin.force_login(cast["dave"])
    url = "/admin/intake/publicform/add/"
    refused = admin.post(url, {"process_key": "nope", "enabled": "on", "rate_limit_per_hour": 5})
    assert refused.status_code == 200 and "no process &#x27;nope&#x27; is deployed" in (
        refused.content.decode()
    )
    zero = admin.post(url, {"process_key": "repair", "enabled": "on", "rate_limit_per_hour": 0})
    assert zero.status_code == 200 and "at least 1" in zero.content.decode()
    assert not PublicForm.objects.exists()
    added = admin.post(url, {"process_key": "repair", "enabled": "on", "rate_limit_per_hour": 5})
    assert added.status_code == 302
    form = PublicForm.objects.get()
    assert (form.enabled, form.rate_limit_per_hour, form.published_by) == (True, 5, cast["dave"])
    assert Client().get("/intake/repair/").status_code == 200
