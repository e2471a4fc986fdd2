"""Long list responses are built without ninja's second validation
(integrations.responses): what they carry must be what validation would have made."""

import pytest
from django.test import RequestFactory

from integrations.responses import built
from tests.conftest import repair_start
from tests.integrations.support import token_client, token_for
from tickets import actions
from tickets.api import TaskOut, TicketPageOut, TicketSummaryOut
from tickets.models import HumanTask
from tickets.search import TicketFilters, search_tickets
from tickets.visibility import reader_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def tickets(cast, repair):
    """Two repair tickets, one accepted: tasks with and without an assignee and due time."""
    first = actions.do_start_ticket(cast["dave"], "repair", repair_start())
    for tier in ("VIP", "standard"):  # waiting in the dispatchers' queue, without a clock
        waiting = actions.do_start_ticket(cast["dave"], "repair", repair_start(customer_tier=tier))
        waiting.tasks.update(assignee=None, due_at=None)
    task = next(t for t in first.open_task_rows if t.bpmn_id == "accept")
    actions.do_complete_task(cast["dave"], task.id, {"accepted": True})
    return cast


def _request(user):
    request = RequestFactory().get("/")
    request.user = user
    return request


@pytest.mark.parametrize("reader", ["alice", "bob", "dave"])
def test_a_built_ticket_page_is_the_validated_one(tickets, reader):
    request = _request(tickets[reader])
    page = search_tickets(request.user, TicketFilters(), limit=50)
    reader_for(request).prime(page.items)
    context = {"request": request}
    expected = TicketPageOut.model_validate(page, context=context).model_dump(mode="json")
    assert expected["items"], "the reader sees no ticket: nothing is compared"
    assert built(TicketPageOut, page, context).model_dump(mode="json") == expected


def test_built_tasks_are_the_validated_ones(tickets):
    request = _request(tickets["dave"])
    tasks = list(HumanTask.objects.select_related("ticket", "assignee").order_by("id"))
    assert {t.assignee_id is None for t in tasks} == {True, False}
    context = {"request": request}
    for task in tasks:
        expected = TaskOut.model_validate(task, context=context).model_dump(mode="json")
        assert built(TaskOut, task, context).model_dump(mode="json") == expected


def test_the_list_endpoints_answer_in_their_declared_schemas(tickets):
    client = token_client(token_for(tickets["dave"], "tickets:read"))
    page = client.get("/api/v1/tickets?limit=1")
    assert page.status_code == 200, page.content
    assert page.headers["Content-Type"].startswith("application/json")
    body = page.json()
    assert set(body) == {"items", "next_cursor"} and body["next_cursor"]
    (ticket,) = body["items"]
    assert set(ticket) == set(TicketSummaryOut.model_fields)
    assert ticket["process"] == "repair" and ticket["created_at"].endswith("Z")

    dispatcher = token_client(token_for(tickets["alice"], "tickets:read"))
    listed = dispatcher.get("/api/v1/tasks?scope=group&limit=1")
    assert listed.status_code == 200, listed.content
    assert listed.headers["Content-Type"].startswith("application/json")
    assert listed.headers["X-Next-Cursor"]  # headers the view set survive
    (task,) = listed.json()
    assert set(task) == set(TaskOut.model_fields)
    assert task["ticket"] in {t.ticket.number for t in HumanTask.objects.select_related("ticket")}
