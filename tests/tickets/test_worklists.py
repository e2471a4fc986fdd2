"""Worklists that scale: tabs, filters, sort and full-text search with known answers, keyset
pages without gaps or repeats under every sort, bulk actions with one outcome per ticket.

Four desk tickets (tests/fixtures/desk.bpmn: one step for the agents' queue, transfer and
close for dispatchers) with what an agent would search for:

    A  "Fridge warm"   Wang Fang  VIP     phone    overdue     unclaimed  "compressor rattles"
    B  "TV no sound"   Li Lei     High    email    due soon    alice      "speaker hum"
    C  "Washer noisy"  Wang Fang  High    phone    no deadline unclaimed  model "WX-900"
    D  "Oven slow"     —          Low     webform  on time     tom        parts ["compressor relay"]
"""

import datetime as dt
import json
import re

import pytest
from django.db import connection, transaction
from django.test import Client
from django.utils import timezone

from customers.models import Customer
from tests.conftest import FIXTURES, deploy_file
from tickets import actions, bulk
from tickets.models import HumanTask, Ticket, TicketEvent
from tickets.search import text_matches
from tickets.worklists import SORTS, WorklistFilters, tab_counts, worklist_page, worklist_tasks

pytestmark = pytest.mark.django_db
SHANGHAI = dt.timezone(dt.timedelta(hours=8))


def _named(cast):
    for username, first, last in (
        ("alice", "Alice", "Chen"),
        ("bob", "Bob", "Zhang"),
        ("tom", "Tom", "Li"),
    ):
        cast[username].first_name, cast[username].last_name = first, last
        cast[username].save(update_fields=["first_name", "last_name"])


def desk_ticket(user, *, title, data, customer=None, channel="phone", priority=1, **task):
    """A desk ticket started as an agent would, then its step placed where the story needs
    it (holder, due time, priority) and its creation moved to a known day."""
    ticket = actions.do_start_ticket(
        user, "desk", data, title=title, channel=channel, priority=priority, customer=customer
    )
    holder = task.pop("assignee", None)
    created = task.pop("created", None)
    HumanTask.objects.filter(ticket=ticket).update(
        assignee=holder,
        state=HumanTask.State.CLAIMED if holder else HumanTask.State.OPEN,
        priority=priority,
        **task,
    )
    if created:
        Ticket.objects.filter(id=ticket.id).update(created_at=created, updated_at=created)
    return ticket


@pytest.fixture
def desk(cast):
    _named(cast)
    deploy_file(FIXTURES / "desk.bpmn")
    now = timezone.now()
    wang = Customer.objects.create(name="Wang Fang", tier="gold")
    li = Customer.objects.create(name="Li Lei")
    bob = cast["bob"]
    tickets = {
        "A": desk_ticket(
            bob,
            title="Fridge warm",
            data={"symptom": "compressor rattles"},
            customer=wang,
            priority=4,
            due_at=now - dt.timedelta(hours=1),
            created=dt.datetime(2026, 11, 1, 9, tzinfo=SHANGHAI),
        ),
        "B": desk_ticket(
            bob,
            title="TV no sound",
            data={"symptom": "speaker hum"},
            customer=li,
            channel="email",
            priority=2,
            assignee=cast["alice"],
            due_at=now + dt.timedelta(hours=1),
            created=dt.datetime(2026, 11, 10, 0, 30, tzinfo=SHANGHAI),
        ),
        "C": desk_ticket(
            bob,
            title="Washer noisy",
            data={"symptom": "drum bangs", "model": "WX-900"},
            customer=wang,
            priority=2,
            due_at=None,
            created=dt.datetime(2026, 11, 20, 23, 30, tzinfo=SHANGHAI),
        ),
        "D": desk_ticket(
            bob,
            title="Oven slow",
            data={"symptom": "heats slowly", "notes": {"parts": ["compressor relay"]}},
            channel="webform",
            priority=0,
            assignee=cast["tom"],
            due_at=now + dt.timedelta(days=3),
            created=dt.datetime(2026, 11, 25, 12, tzinfo=SHANGHAI),
        ),
    }
    return {"now": now, "tickets": tickets, "by_id": {t.id: name for name, t in tickets.items()}}


def names(desk, user, tab="all", **filters):
    tasks = worklist_tasks(user, tab, WorklistFilters(**filters), now=desk["now"])
    return [desk["by_id"][t.ticket_id] for t in tasks]


def task_of(desk, name) -> int:
    return desk["tickets"][name].tasks.get().id


def test_search_finds_number_title_customer_and_form_values_never_keys(cast, desk):
    bob = cast["bob"]
    assert names(desk, bob, q="compressor") == ["A", "D"]  # a value, and one nested in a list
    assert names(desk, bob, q="wang fang") == ["A", "C"]  # the customer, any case
    assert names(desk, bob, q="WX-900") == ["C"]
    assert names(desk, bob, q="noisy") == ["C"]
    assert names(desk, bob, q=desk["tickets"]["B"].number[-6:]) == ["B"]
    assert names(desk, bob, q="symptom") == []  # field names are not content
    assert names(desk, bob, q="nothing like it") == []


def test_filters_combine_with_search_and_each_other(cast, desk):
    bob = cast["bob"]
    assert names(desk, bob, q="compressor", priority=4) == ["A"]
    assert names(desk, bob, channel="phone", sla="none") == ["C"]
    assert names(desk, bob, sla="overdue") == ["A"]
    assert names(desk, bob, sla="due_soon") == ["B"]
    assert names(desk, bob, sla="on_time") == ["D"]
    assert names(desk, bob, assignee=0) == ["A", "C"]
    assert names(desk, bob, assignee=cast["alice"].id) == ["B"]
    assert names(desk, bob, state="claimed") == ["B", "D"]
    assert names(desk, bob, process="desk", channel="webform") == ["D"]
    assert names(desk, bob, process="repair") == []
    # Days in the reader's zone (Asia/Shanghai): 10 Nov 00:30 and 20 Nov 23:30 are inside.
    days = {"created_from": dt.date(2026, 11, 10), "created_to": dt.date(2026, 11, 20)}
    assert names(desk, bob, **days) == ["B", "C"]
    assert names(desk, bob, q="wang", **days) == ["C"]


def test_each_sort_orders_as_people_expect(cast, desk):
    bob = cast["bob"]
    assert names(desk, bob, sort="priority") == ["A", "B", "C", "D"]
    assert names(desk, bob, sort="due") == ["A", "B", "D", "C"]  # no deadline last
    assert names(desk, bob, sort="created") == ["D", "C", "B", "A"]
    Ticket.objects.filter(id=desk["tickets"]["B"].id).update(updated_at=timezone.now())
    assert names(desk, bob, sort="updated") == ["B", "D", "C", "A"]


def test_tabs_hold_whose_work_it_is_with_counts(cast, desk):
    alice, bob, tom = cast["alice"], cast["bob"], cast["tom"]
    assert names(desk, alice, "mine") == ["B"]
    assert names(desk, alice, "groups") == ["A", "C"]
    assert names(desk, alice, "overdue") == ["A"]
    assert names(desk, alice, "due_soon") == ["B"]
    assert names(desk, tom, "mine") == ["D"] and names(desk, tom, "groups") == []
    assert tab_counts(alice, desk["now"]) == {"mine": 1, "groups": 2, "overdue": 1, "due_soon": 1}
    assert tab_counts(bob, desk["now"])["all"] == 4


def test_an_agents_counts_follow_the_worklist_rule_whoever_asks(cast, desk, monkeypatch):
    """Agents' tab counts are one hand-written statement: they must count what each tab
    lists (candidate groups and users, claimed or not, due or not, closed tickets out),
    up to the cap."""
    from tickets import worklists

    HumanTask.candidate_users.through.objects.create(
        humantask=HumanTask.objects.get(ticket=desk["tickets"]["D"]), user=cast["carol"]
    )
    HumanTask.objects.filter(ticket=desk["tickets"]["D"]).update(assignee=None)
    for cap in (99, 0):
        monkeypatch.setattr(worklists, "COUNT_CAP", cap)
        for user in cast.values():
            if worklists.is_supervisor(user):
                continue
            expected = {
                tab: min(worklists._tab(user, tab, desk["now"]).count(), cap + 1)
                for tab in worklists.tabs_for(user)
            }
            assert tab_counts(user, desk["now"]) == expected, (user.username, cap)
    assert tab_counts(cast["carol"], desk["now"])["groups"] == 1  # a candidate by name


PARITY_FILTERS = [
    {},
    {"process": "desk"},
    {"process": "nothing-such"},
    {"state": "open"},
    {"state": "claimed"},
    {"priority": 2},
    {"channel": "phone"},
    {"assignee": 0},
    *({"sla": state} for state in ("overdue", "due_soon", "on_time", "none")),
    {"created_from": dt.date(2026, 11, 10), "created_to": dt.date(2026, 11, 20)},
    {"priority": 2, "channel": "phone", "state": "open", "sla": "none"},
]


def test_pages_without_text_follow_the_orm_rule_for_every_tab_filter_sort_and_cursor(
    cast, desk, django_user_model
):
    """Pages without text search are one written-out statement (tickets.worklist_sql): for
    every reader (a supervisor, agents, a candidate by name, one without groups), tab,
    filter, sort and page they list what the ORM's rule (worklist_tasks) lists."""
    from tickets import worklists

    HumanTask.candidate_users.through.objects.create(
        humantask=HumanTask.objects.get(ticket=desk["tickets"]["A"]),
        user=django_user_model.objects.create_user("solo", is_staff=True),
    )
    HumanTask.objects.filter(ticket=desk["tickets"]["B"]).update(priority=3)
    Ticket.objects.filter(id=desk["tickets"]["D"].id).update(status=Ticket.Status.CANCELLED)
    readers = [*cast.values(), django_user_model.objects.get(username="solo")]
    checked = 0
    for user in readers:
        for tab in worklists.tabs_for(user):
            for filters in PARITY_FILTERS:
                # every sort without filters (and with all of them), the others by due time
                for sort in SORTS if filters in ({}, PARITY_FILTERS[-1]) else ["due"]:
                    f = WorklistFilters(sort=sort, **filters)
                    expected = [t.id for t in worklist_tasks(user, tab, f, now=desk["now"])]
                    walked, cursor = [], None
                    while True:  # page by page (one row a page) without filters
                        limit = 50 if filters else 1
                        page = worklist_page(
                            user, tab, f, limit=limit, cursor=cursor, now=desk["now"]
                        )
                        walked += [t.id for t in page.items]
                        if not page.next_cursor:
                            break
                        cursor = page.next_cursor
                    assert walked == expected, (user.username, tab, filters, sort)
                    checked += bool(expected)
    assert checked > 60  # most combinations list something


def test_the_page_shows_names_and_words_not_codes(cast, desk):
    client = Client()
    client.force_login(cast["bob"])
    page = client.get("/tasks/?tab=all&sort=due").content.decode()
    for shown in ("Alice Chen", "Tom Li", "Wang Fang", "VIP", "Overdue", "Due soon", "On time"):
        assert shown in page, shown
    assert "No deadline" in page and "Phone" in page and "Web form" in page
    assert 'aria-current="page">All' in page
    assert ">alice<" not in page and "webform" not in page.replace('value="webform"', "")
    empty = client.get("/tasks/?tab=all&q=no+such+words").content.decode()
    assert "No tasks match." in empty
    rows = client.get("/tasks/rows/?tab=all&q=compressor").content.decode()
    assert "<html" not in rows and rows.count('name="task"') == 2
    listed = client.get("/tickets/?q=compressor&status=active").content.decode()
    assert desk["tickets"]["A"].number in listed and desk["tickets"]["D"].number in listed
    assert desk["tickets"]["B"].number not in listed


def test_bad_filters_are_shown_and_ignored_not_a_server_error(cast, desk):
    client = Client()
    client.force_login(cast["bob"])
    response = client.get("/tasks/?tab=all&priority=9&created_from=yesterday&sort=sideways")
    assert response.status_code == 200
    assert response.content.decode().count('class="fd-error"') == 3  # priority, day, sort
    assert client.get("/tasks/?tab=all&after=garbage").status_code == 404


@pytest.mark.parametrize("sort", list(SORTS))
def test_keyset_pages_have_no_gaps_or_repeats_under_each_sort(cast, desk, sort):
    bob = cast["bob"]
    base = timezone.now()
    for i in range(19):  # ties on every sort column but the last
        desk_ticket(
            bob,
            title=f"Ticket {i}",
            data={"n": i},
            priority=1 + i % 2,
            due_at=None if i % 3 == 0 else base + dt.timedelta(hours=i % 3),
            created=base - dt.timedelta(days=i % 4),
        )
    filters = WorklistFilters(sort=sort)
    everything = [t.id for t in worklist_tasks(bob, "all", filters)]
    assert len(everything) == 23
    keys = [SORTS[sort].key(t) for t in worklist_tasks(bob, "all", filters)]
    assert keys == sorted(keys, key=_sort_key(sort))
    seen, cursor = [], None
    while True:
        page = worklist_page(bob, "all", filters, limit=4, cursor=cursor)
        seen += [t.id for t in page.items]
        if not page.next_cursor:
            break
        cursor = page.next_cursor
    assert seen == everything


def _sort_key(sort):
    far = dt.datetime.max.replace(tzinfo=dt.UTC)

    def key(values):
        if sort == "priority":
            return (-values[0], values[1] or far, values[2])
        if sort == "due":
            return (values[0] or far, values[1])
        return (-values[0].timestamp(), -values[1], -values[2])

    return key


def test_bulk_assign_gives_one_outcome_per_ticket_including_refusals(cast, desk):
    alice, bob = cast["alice"], cast["bob"]
    wanted = bulk.BulkRequest(
        "assign",
        [task_of(desk, "A"), task_of(desk, "B"), task_of(desk, "D"), 999_999],
        to_user=bob,
    )
    outcomes = bulk.do_bulk(alice, wanted)
    assert [(o.ticket, o.ok, o.reason) for o in outcomes] == [
        (desk["tickets"]["A"].number, True, "done"),
        (desk["tickets"]["B"].number, True, "done"),
        (desk["tickets"]["D"].number, False, "forbidden"),  # tom holds it: not alice's to move
        ("", False, "not_found"),
    ]
    held = dict(HumanTask.objects.values_list("ticket_id", "assignee__username"))
    assert held[desk["tickets"]["A"].id] == "bob" and held[desk["tickets"]["D"].id] == "tom"
    assert TicketEvent.objects.filter(kind="transferred", ticket=desk["tickets"]["A"]).exists()


def test_bulk_claim_priority_and_close_check_like_single_actions(cast, desk):
    alice, tom = cast["alice"], cast["tom"]
    a, c = task_of(desk, "A"), task_of(desk, "C")
    refused = bulk.do_bulk(tom, bulk.BulkRequest("claim", [a, c]))
    assert [o.reason for o in refused] == ["not_found", "not_found"]  # not tom's queue to see
    claimed = bulk.do_bulk(alice, bulk.BulkRequest("claim", [a, a, task_of(desk, "B")]))
    assert [(o.ok, o.reason) for o in claimed] == [(True, "done"), (False, "conflict")]
    raised = bulk.do_bulk(alice, bulk.BulkRequest("priority", [c], priority=3, reason="angry"))
    assert raised[0].ok
    ticket_c = Ticket.objects.get(id=desk["tickets"]["C"].id)
    assert ticket_c.priority == 3 and ticket_c.tasks.get().priority == 3
    event = TicketEvent.objects.get(kind="priority_changed", ticket=ticket_c)
    moved = event.detail.pop("due_at")  # the step's clock re-planned for Urgent
    assert event.detail == {"before": 2, "after": 3, "reason": "angry"} and event.actor == alice
    assert moved.startswith(
        ticket_c.tasks.get().due_at.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M")
    )
    closed = bulk.do_bulk(tom, bulk.BulkRequest("close", [task_of(desk, "D")]))
    assert closed[0].reason == "forbidden"  # close is for dispatchers on this step
    closed = bulk.do_bulk(alice, bulk.BulkRequest("close", [c], reason="duplicate"))
    assert closed[0].ok and Ticket.objects.get(id=ticket_c.id).status == "cancelled"
    with pytest.raises(actions.ActionError):
        bulk.do_bulk(alice, bulk.BulkRequest("assign", [a]))  # nobody named


def test_bulk_from_the_page_tells_each_ticket_its_result(cast, desk):
    client = Client()
    client.force_login(cast["alice"])
    page = client.get("/tasks/?tab=all").content.decode()
    assert f'value="{cast["bob"].id}">Bob Zhang<' in page  # the picker lists people by name
    chinese = client.get("/tasks/?tab=all", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert '<option value="dispatchers">调度员</option>' in chinese  # queues by their names
    assert ">服务台请求<" in chinese and "Service desk request" not in chinese  # the template
    response = client.post(
        "/tasks/bulk/",
        {
            "task": [task_of(desk, "A"), task_of(desk, "D")],
            "action": "assign",
            "to_user": cast["bob"].id,
            "next": "/tasks/?tab=groups",
        },
        follow=True,
    )
    text = response.content.decode()
    assert response.redirect_chain[-1][0] == "/tasks/?tab=groups"
    assert f"{desk['tickets']['A'].number}: assigned to Bob Zhang" in text
    assert f"{desk['tickets']['D'].number}: not allowed" in text
    people = client.get("/tasks/people/?q=zha").json()["people"]
    assert people == [{"id": cast["bob"].id, "username": "bob", "name": "Bob Zhang"}]


def test_bulk_over_the_api_needs_its_scopes_and_answers_per_task(cast, desk):
    from integrations.actions import do_create_token

    _token, read_only = do_create_token(cast["alice"], "reads", ["tickets:read"])
    _token, writer = do_create_token(cast["alice"], "desk", ["tasks:write"])
    body = {"action": "assign", "tasks": [task_of(desk, "A"), task_of(desk, "D")], "to_user": "bob"}

    def post(token, payload):
        return Client().post(
            "/api/v1/tasks/bulk",
            json.dumps(payload),
            content_type="application/json",
            HTTP_AUTHORIZATION=f"Bearer {token}",
        )

    assert post(read_only, body).status_code == 403
    response = post(writer, body)
    assert response.status_code == 200, response.content
    answer = response.json()
    assert (answer["done"], answer["refused"]) == (1, 1)
    assert [(r["ok"], r["status"], r["reason"]) for r in answer["results"]] == [
        (True, 200, "done"),
        (False, 403, "forbidden"),
    ]
    assert post(writer, {**body, "to_user": "tom"}).status_code == 400  # not in alice's groups
    assert post(writer, {"action": "close", "tasks": [task_of(desk, "C")]}).status_code == 403
    assert post(writer, {"action": "explode", "tasks": [1]}).status_code == 400


@pytest.mark.skipif(connection.vendor != "postgresql", reason="trigram indexes: PostgreSQL")
def test_text_search_can_use_the_trigram_index_of_the_search_text(desk):
    """With sequential scans priced out (the table is tiny here), PostgreSQL answers from
    ticket_search_trgm_idx: the words are lowered in SQL and folded into a constant."""
    query = Ticket.objects.order_by().filter(text_matches("WX-900")).values("id")
    sql, params = query.query.sql_with_params()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute(f"EXPLAIN {sql}", params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "ticket_search_trgm_idx" in plan and "'%wx-900%'" in plan, plan
    assert list(query) == [{"id": desk["tickets"]["C"].id}]


def test_the_search_api_finds_tickets_by_customer_and_form_values(cast, desk):
    from integrations.actions import do_create_token

    _token, clear = do_create_token(cast["bob"], "search", ["tickets:read"])
    api = Client(HTTP_AUTHORIZATION=f"Bearer {clear}")

    def found(query):
        response = api.get(f"/api/v1/tickets?{query}")
        assert response.status_code == 200, response.content
        return sorted(desk["by_id"][item["id"]] for item in response.json()["items"])

    assert found("q=WX-900") == ["C"]
    assert found("q=wang+fang") == ["A", "C"]
    assert found("q=compressor&channel=webform") == ["D"]
    assert found("q=symptom") == []


def test_a_long_queue_counts_as_ninety_nine_plus(cast, desk, monkeypatch):
    from tickets import worklists

    monkeypatch.setattr(worklists, "COUNT_CAP", 2)
    assert tab_counts(cast["bob"], desk["now"])["all"] == 3  # the cap + 1: "2+" on the tab
    client = Client()
    client.force_login(cast["bob"])
    page = client.get("/tasks/?tab=all&sort=due").content.decode()
    # The page's tabs come without counts and load them, with its query, once it is there.
    assert 'hx-get="/tasks/tabs/?tab=all&amp;sort=due"' in page and "fd-count" not in page
    tabs = client.get("/tasks/tabs/?tab=all&sort=due").content.decode()
    assert 'All <span class="fd-count">2+</span>' in tabs and "<html" not in tabs
    assert 'href="/tasks/?tab=mine&amp;sort=due"' in tabs and 'hx-trigger="every 15s' in tabs


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_rows_show_step_names_and_times_as_the_template_filters_would(cast, desk, language):
    """The rows work out names and times once a page: the same words and times the
    `local_name` and `date` filters give, in the reader's language."""
    from django.template import Context, Template
    from django.utils import translation

    client = Client()
    client.force_login(cast["bob"])
    rows = client.get("/tasks/rows/?tab=all&sort=due", HTTP_ACCEPT_LANGUAGE=language)
    html = rows.content.decode()
    task = HumanTask.objects.select_related("ticket").exclude(due_at=None).order_by("id")[0]
    with translation.override(language):
        expected = Template(
            "{% load element_names %}{{ t.name|local_name }} "
            "<time datetime=\"{{ t.due_at|date:'c' }}\">{{ t.due_at|date:'SHORT_DATETIME_FORMAT' }}"
            "</time> <time datetime=\"{{ t.ticket.created_at|date:'c' }}\">"
            "{{ t.ticket.created_at|date:'SHORT_DATETIME_FORMAT' }}</time>"
        ).render(Context({"t": task}))
    step, due, created = expected.split(" <time")
    assert f">{step}</a>" in html
    assert f"<time{due}" in html and f"<time{created}" in html
    assert ("答复" in html) == (language == "zh-hans") and "(答复)" not in html


def test_selects_and_rows_keep_the_stock_markup_with_every_value_escaped(cast, desk):
    """The filter and bulk selects and the rows are joined in Python, not through the
    template engine: the same markup as the stock widget, the chosen option selected, and
    names and titles escaped like any template variable."""
    from django import forms
    from django.http import QueryDict

    from tickets.worklist_forms import BulkForm, WorklistFilterForm

    cast["tom"].first_name = "<b>Tom</b>"
    cast["tom"].save(update_fields=["first_name"])
    people = [cast["alice"], cast["tom"]]
    query = QueryDict(f"priority=3&sort=due&assignee={cast['tom'].id}")
    filters = WorklistFilterForm(query, people=people)
    filters.is_valid()
    bulk_form = BulkForm(people=people, groups=[])
    shown = [filters[n] for n in ("process", "state", "priority", "sla", "assignee", "sort")]
    shown += [bulk_form[n] for n in ("to_user", "to_group", "priority")]
    for field in shown:
        stock = field.as_widget(forms.Select(choices=field.field.choices))
        assert _between_tags(str(field)) == _between_tags(stock), field.name
    assert '<option value="3" selected>' in str(filters["priority"])
    assert "&lt;b&gt;Tom&lt;/b&gt;" in str(filters["assignee"])
    Ticket.objects.filter(id=desk["tickets"]["A"].id).update(title="<i>Fridge</i> warm")
    client = Client()
    client.force_login(cast["bob"])
    rows = client.get("/tasks/rows/?tab=all&sort=due").content.decode()
    assert "&lt;i&gt;Fridge&lt;/i&gt; warm" in rows and "<i>" not in rows
    assert "&lt;b&gt;Tom&lt;/b&gt;" in rows and "<b>" not in rows


def _between_tags(html: str) -> str:
    """`html` without the white space between tags (the stock options add blank lines)."""
    return re.sub(r">\s+<", "><", html)
