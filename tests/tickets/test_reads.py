"""Reads that stay flat: worklists and search page by keyset, select only what they show
and find what a user may see with EXISTS, never a join made DISTINCT."""

import datetime as dt
import re

import pytest
from django.contrib.auth.models import Group
from django.db import connection
from django.db.models import BooleanField
from django.db.models.expressions import RawSQL
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tests.conftest import FIXTURES, deploy_file
from tests.integrations.support import session_client, token_client, token_for
from tickets import actions, search, worklist_views
from tickets.access import sees_ticket, sees_ticket_sql, visible_among, visible_tickets, worklist
from tickets.models import HumanTask, Ticket

pytestmark = pytest.mark.django_db

NOW = timezone.now()
# (priority, due in hours or None): ties on both, and tasks without a due time.
SHAPES = [(1, 5), (4, None), (1, None), (4, 2), (1, 5), (0, 1), (4, 2), (1, 3)]


@pytest.fixture
def queue(cast):
    """Payment tickets raised by dave, their first task waiting in the agents' queue."""
    deploy_file(FIXTURES / "payment.bpmn")
    agents = Group.objects.get(name="agents")
    tasks = []
    for priority, due_in in SHAPES:
        ticket = actions.do_start_ticket(cast["dave"], "payment", {})
        task = ticket.tasks.get()
        due = NOW + dt.timedelta(hours=due_in) if due_in is not None else None
        HumanTask.objects.filter(id=task.id).update(priority=priority, due_at=due, assignee=None)
        task.candidate_groups.set([agents])
        tasks.append(task.id)
    return tasks


def _expected_order(task_ids):
    rows = HumanTask.objects.filter(id__in=task_ids)
    far = NOW + dt.timedelta(days=3650)
    return [t.id for t in sorted(rows, key=lambda t: (-t.priority, t.due_at or far, t.id))]


def test_the_group_queue_pages_in_worklist_order_without_gaps_or_repeats(cast, queue):
    client = token_client(token_for(cast["alice"], "tickets:read"))
    seen, url, pages = [], "/api/v1/tasks?scope=group&limit=3", 0
    while url:
        response = client.get(url)
        assert response.status_code == 200, response.content
        seen += [task["id"] for task in response.json()]
        pages += 1
        cursor = response.headers.get("X-Next-Cursor")
        if cursor:
            assert f"cursor={cursor}" in response.headers["Link"]
        url = f"/api/v1/tasks?scope=group&limit=3&cursor={cursor}" if cursor else None
    assert pages == 3
    assert seen == _expected_order(queue)
    assert [t.id for t in worklist(cast["alice"], "group")] == seen
    # tom is in no candidate group: his queue is empty; a forged cursor is a 400
    tom = token_client(token_for(cast["tom"], "tickets:read"))
    assert tom.get("/api/v1/tasks?scope=group").json() == []
    assert client.get("/api/v1/tasks?cursor=bm9wZQ").status_code == 400


def test_worklist_queries_use_exists_and_leave_engine_state_and_bpmn_behind(cast, queue):
    client = token_client(token_for(cast["alice"], "tickets:read"))
    with CaptureQueriesContext(connection) as captured:
        assert len(client.get("/api/v1/tasks?scope=all&limit=50").json()) == len(queue)
    with CaptureQueriesContext(connection) as searched:
        assert client.get("/api/v1/tickets?limit=50").status_code == 200
    scrub_loads = []
    for query in captured.captured_queries + searched.captured_queries:
        sql = query["sql"]
        if not sql.startswith("SELECT"):
            continue
        if re.match(r'SELECT "tickets_ticket"\."id"( AS "id")?, "tickets_ticket"\."data"', sql):
            scrub_loads.append(sql)  # the visibility scrub's one load of the page's data
            continue
        assert "DISTINCT" not in sql, sql
        selected = sql.split(" FROM ", 1)[0]
        for blob in ('"tickets_ticket"."state"', '"tickets_ticket"."data"', "bpmn_xml"):
            assert blob not in selected, f"{blob} loaded by: {sql}"
        assert not re.search(r'"definitions_processversion"\."files"', selected), sql
    assert len(scrub_loads) <= 2 and all(" IN (" in sql for sql in scrub_loads), scrub_loads


def test_worklist_query_count_does_not_grow_with_rows(cast, queue):
    client = token_client(token_for(cast["alice"], "tickets:read"))
    counts = []
    client.get("/api/v1/tasks?scope=group&limit=1")  # warm: the reference-data token is cached
    for limit in (2, 8):
        with CaptureQueriesContext(connection) as captured:
            assert len(client.get(f"/api/v1/tasks?scope=group&limit={limit}").json()) == limit
        counts.append(len(captured))
    assert counts[0] == counts[1]


def test_the_html_worklist_and_ticket_list_page_with_next_links(cast, queue, monkeypatch):
    monkeypatch.setattr(worklist_views, "PAGE_ROWS", 5)
    alice = session_client(cast["alice"])
    first = alice.get("/tasks/?tab=groups")
    assert first.status_code == 200
    expected = _expected_order(queue)
    links = re.findall(r'href="(\?tab=groups&amp;after=[^"]+)"', first.content.decode())
    assert len(links) == 1
    second = alice.get("/tasks/" + links[0].replace("&amp;", "&"))
    listed = [int(i) for i in re.findall(r'name="task" value="(\d+)"', second.content.decode())]
    assert listed == expected[5:]

    dave = session_client(cast["dave"])  # the admin sees every ticket, newest first
    page = dave.get("/tickets/").content.decode()
    after = re.findall(r'href="(\?after=[^"]+)"', page)
    assert len(after) == 1 and page.count('class="fd-status') == 5
    rest = dave.get("/tickets/" + after[0]).content.decode()
    assert rest.count('class="fd-status') == len(queue) - 5
    assert alice.get("/tickets/?after=garbage").status_code == 404


def test_search_finds_newest_first_what_a_user_may_see_through_every_window(
    cast, queue, monkeypatch
):
    """Small windows so that one page takes several windows and then the final query."""
    monkeypatch.setattr(search, "WINDOWS", (1, 2))
    alice, tom = cast["alice"], cast["tom"]
    hidden = HumanTask.objects.get(id=queue[2])
    hidden.candidate_groups.clear()  # nobody's queue: alice may not see that ticket
    mine = actions.do_start_ticket(tom, "payment", {})  # tom raised it: he sees it
    visible = list(visible_tickets(alice).order_by("-created_at", "-id"))
    assert hidden.ticket_id not in {t.id for t in visible} and len(visible) == len(queue) - 1
    assert visible_among(alice, [t.id for t in visible] + [hidden.ticket_id, mine.id]) == {
        t.id for t in visible
    }

    client = token_client(token_for(alice, "tickets:read"))
    seen, cursor = [], ""
    while True:
        body = client.get(f"/api/v1/tickets?limit=3{cursor}").json()
        seen += [item["id"] for item in body["items"]]
        if not body["next_cursor"]:
            break
        cursor = f"&cursor={body['next_cursor']}"
    assert seen == [t.id for t in visible]
    tom_sees = token_client(token_for(tom, "tickets:read")).get("/api/v1/tickets").json()
    assert [item["id"] for item in tom_sees["items"]] == [mine.id]


def test_the_search_checks_row_by_row_the_rule_of_visible_tickets(cast, queue):
    """sees_ticket (the search's check, one ticket at a time) lets in exactly the tickets
    visible_tickets does, whichever way in: raised, a task held (even done), a candidate
    group, a candidate user."""
    alice, tom = cast["alice"], cast["tom"]
    hidden, held, named = HumanTask.objects.filter(id__in=queue[:3]).order_by("id")
    for task in (hidden, held, named):
        task.candidate_groups.clear()
    HumanTask.objects.filter(id=held.id).update(assignee=tom, state=HumanTask.State.DONE)
    named.candidate_users.set([tom])
    raised = actions.do_start_ticket(tom, "payment", {})
    for user, expected in (
        (tom, {held.ticket_id, named.ticket_id, raised.id}),
        (alice, {Ticket.objects.get(tasks=t).id for t in queue[3:]}),
    ):
        assert set(visible_tickets(user).values_list("id", flat=True)) == expected
        assert (
            set(Ticket.objects.filter(sees_ticket(user)).values_list("id", flat=True)) == expected
        )
        assert _seen_by_compiled_rule(user) == expected

    # The compiled rule is cached per user: a new group of alice's shows at once.
    reviewers = Group.objects.create(name="reviewers")
    hidden.candidate_groups.set([reviewers])
    alice.groups.add(reviewers)
    assert hidden.ticket_id in _seen_by_compiled_rule(alice)


def _seen_by_compiled_rule(user) -> set[int]:
    sql, params = sees_ticket_sql(user, connection)
    seen = Ticket.objects.alias(seen=RawSQL(sql, params, output_field=BooleanField()))
    return set(seen.filter(seen=True).values_list("id", flat=True))
