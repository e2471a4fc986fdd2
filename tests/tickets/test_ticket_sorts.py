"""The ticket list sorts as the worklist does (newest, recently updated, due time, priority
then due), in the API and on /tickets/, kept in the URL, by keyset pages with no gaps or
repeats for a supervisor and for an agent whose visibility is checked window by window.

A ticket's due time is the earliest of its open tasks' (tickets.triggers), whoever
writes the tasks; the desk tickets of tests/tickets/test_worklists.py:

    A  VIP   overdue (-1 h)   created 1 Nov      C  High  no deadline   created 20 Nov
    B  High  due soon (+1 h)  created 10 Nov     D  Low   on time (+3 d) created 25 Nov
"""

import datetime as dt
import re

import pytest
from django.utils import timezone

from tests.integrations.support import session_client, token_client, token_for
from tests.tickets import test_worklists
from tests.tickets.test_worklists import desk_ticket
from tickets import actions, search
from tickets.models import HumanTask, Ticket
from tickets.search import SORTS, TicketFilters, search_tickets

pytestmark = pytest.mark.django_db
desk = test_worklists.desk  # the four desk tickets of the worklist story

EXPECTED = {
    "created": ["D", "C", "B", "A"],
    "updated": ["D", "C", "B", "A"],
    "due": ["A", "B", "D", "C"],  # no deadline last
    "priority": ["A", "B", "C", "D"],
}


def listed(desk, user, sort, limit=50):
    """Every ticket of the list in `sort` order, page by page."""
    seen, cursor = [], None
    while True:
        page = search_tickets(user, TicketFilters(sort=sort), limit=limit, cursor=cursor)
        seen += [desk["by_id"].get(t.id, t.id) for t in page.items]
        if not page.next_cursor:
            return seen
        cursor = page.next_cursor


def test_a_tickets_due_time_is_the_earliest_of_its_open_tasks(cast, desk):
    due = {name: Ticket.objects.get(id=t.id).due_at for name, t in desk["tickets"].items()}
    tasks = {name: t.tasks.get() for name, t in desk["tickets"].items()}
    assert due == {name: task.due_at for name, task in tasks.items()}
    assert due["C"] is None
    later = desk["now"] + dt.timedelta(days=9)
    HumanTask.objects.filter(id=tasks["C"].id).update(due_at=later)
    assert Ticket.objects.get(id=desk["tickets"]["C"].id).due_at == later
    stale = Ticket.objects.get(id=desk["tickets"]["C"].id)
    HumanTask.objects.filter(id=tasks["C"].id).update(state=HumanTask.State.DONE)
    stale.save()  # a full save of an instance read before: the tasks decide, not it
    assert Ticket.objects.get(id=stale.id).due_at is None
    actions.do_cancel_ticket(cast["bob"], desk["tickets"]["A"].id, "duplicate")
    assert Ticket.objects.get(id=desk["tickets"]["A"].id).due_at is None
    copy = Ticket.objects.create(process_version=stale.process_version, due_at=later)
    assert Ticket.objects.get(id=copy.id).due_at is None  # (a copy's stale value) no task


@pytest.mark.parametrize("sort", list(SORTS))
def test_each_sort_orders_the_list_for_a_supervisor_and_an_agent(cast, desk, sort, monkeypatch):
    monkeypatch.setattr(search, "WINDOWS", (1, 2))  # the agent's page takes several windows
    assert listed(desk, cast["bob"], sort) == EXPECTED[sort]
    assert listed(desk, cast["alice"], sort, limit=1) == EXPECTED[sort]


def test_a_touched_ticket_comes_first_when_sorted_by_update(cast, desk):
    Ticket.objects.filter(id=desk["tickets"]["B"].id).update(updated_at=timezone.now())
    assert listed(desk, cast["bob"], "updated") == ["B", "D", "C", "A"]


@pytest.mark.parametrize("sort", list(SORTS))
def test_keyset_pages_of_tickets_have_no_gaps_or_repeats(cast, desk, sort):
    bob, base = cast["bob"], timezone.now()
    for i in range(13):  # ties on every sort column but the id
        desk_ticket(
            bob,
            title=f"Ticket {i}",
            data={"n": i},
            priority=1 + i % 2,
            due_at=None if i % 3 == 0 else base + dt.timedelta(hours=i % 3),
            created=base - dt.timedelta(days=i % 4),
        )
    everything = listed(desk, bob, sort)
    assert len(everything) == len(set(everything)) == 17
    assert listed(desk, bob, sort, limit=3) == everything
    assert listed(desk, cast["alice"], sort, limit=4) == everything
    keys = [SORTS[sort].key(t) for t in search_tickets(bob, TicketFilters(sort=sort)).items]
    assert keys == sorted(keys, key=_order(sort))


def _order(sort):
    far = dt.datetime.max.replace(tzinfo=dt.UTC)
    if sort == "priority":
        return lambda k: (-k[0], k[1] or far, k[2])
    if sort == "due":
        return lambda k: (k[0] or far, k[1])
    return lambda k: (-k[0].timestamp(), -k[1])


def test_the_api_sorts_and_refuses_an_unknown_sort_or_another_sorts_cursor(cast, desk):
    api = token_client(token_for(cast["alice"], "tickets:read"))
    body = api.get("/api/v1/tickets?sort=due&limit=2").json()
    assert [desk["by_id"][i["id"]] for i in body["items"]] == ["A", "B"]
    assert body["items"][0]["due_at"] is not None and "updated_at" in body["items"][0]
    rest = api.get(f"/api/v1/tickets?sort=due&cursor={body['next_cursor']}").json()
    assert [desk["by_id"][i["id"]] for i in rest["items"]] == ["D", "C"]
    wrong = api.get("/api/v1/tickets?sort=sideways")
    assert wrong.status_code in (400, 422) and "sort" in wrong.content.decode()
    other = api.get(f"/api/v1/tickets?sort=priority&cursor={body['next_cursor']}")
    assert other.status_code == 400 and other.json()["detail"] == "invalid cursor"


def test_the_ticket_list_page_keeps_its_sort_in_the_url(cast, desk, monkeypatch):
    from tickets import worklist_views

    monkeypatch.setattr(worklist_views, "PAGE_ROWS", 2)
    bob = session_client(cast["bob"])
    page = bob.get("/tickets/?sort=priority").content.decode()
    numbers = {t.number: name for name, t in desk["tickets"].items()}
    shown = [numbers[n] for n in re.findall(r">([A-Z]+-\d{4}-\d+)</a>", page) if n in numbers]
    assert shown == ["A", "B"]
    assert '<option value="priority" selected>' in page
    (after,) = re.findall(r'href="(\?sort=priority&amp;after=[^"]+)"', page)
    rest = bob.get("/tickets/" + after.replace("&amp;", "&")).content.decode()
    shown = [numbers[n] for n in re.findall(r">([A-Z]+-\d{4}-\d+)</a>", rest) if n in numbers]
    assert shown == ["C", "D"]
    assert bob.get("/tickets/?sort=sideways").status_code == 200  # shown, newest first


def test_the_ticket_list_shows_the_filters_chosen_and_names_a_bad_one(cast, desk):
    bob = session_client(cast["bob"])
    query = "status=active&priority=0&channel=phone&created_from=2026-11-01&process=nope"
    page = bob.get(f"/tickets/?{query}").content.decode()
    chosen = ('value="active" selected>', 'value="0" selected>', 'value="phone" selected>')
    assert all(option in page for option in chosen) and page.count(" selected>") == 3
    assert 'name="created_from" value="2026-11-01"' in page
    assert 'name="created_to" id="id_created_to">' in page  # no value: none given
    assert 'id="id_process" aria-invalid="true" aria-describedby="id_process_error"' in page
    assert '<p class="fd-error" id="id_process_error">' in page


def test_only_open_tasks_with_a_due_time_move_the_tickets_due_time(cast, desk):
    """The task triggers skip writes that cannot change the result (tickets.triggers):
    these are the edges of that condition."""
    tickets = desk["tickets"]
    b, d = (Ticket.objects.get(id=tickets[name].id) for name in ("B", "D"))
    task_b, task_d = b.tasks.get(), d.tasks.get()

    def due(ticket):
        return Ticket.objects.get(id=ticket.id).due_at

    HumanTask.objects.filter(id=task_b.id).update(state=HumanTask.State.DONE)
    assert due(b) is None  # an open task with a due time closed
    later = desk["now"] + dt.timedelta(days=5)
    HumanTask.objects.filter(id=task_b.id).update(due_at=later)
    assert due(b) is None  # a closed task's due time counts for nothing
    HumanTask.objects.filter(id=task_b.id).update(state=HumanTask.State.OPEN)
    assert due(b) == later  # reopened with a due time
    HumanTask.objects.filter(id=task_b.id).update(ticket_id=d.id)
    assert due(b) is None and due(d) == min(later, task_d.due_at)  # moved to another ticket
    HumanTask.objects.filter(id=task_d.id).delete()
    assert due(d) == later  # an open task with a due time deleted
    HumanTask.objects.filter(id=task_b.id).update(due_at=None)
    assert due(d) is None
