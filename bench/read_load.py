"""Reads at scale: worklists and search over BENCH_OPEN_TICKETS (100,000) open tickets.

The tickets are copies of one real ticket of the quick process (engine state and data
included, so rows weigh what they weigh in production), each with one open worklist row:
ten teams of agents, a third of the tasks claimed by an agent, due times spread over a
week (a tenth without one), priorities 0-4, 2,000 customers, eight channels, and in each
ticket's form data a device serial and a symptom. A non-supervisor agent of one team then
asks, through the Django test client and an API token, for its group queue, its own
queue, the HTML worklist (its page, the tabs with their counts it loads, filters, sorts,
text search, the rows fragment of the live refresh) and text searches (number, title, customer, form values, with
filters); p95 over BENCH_READ_REPEATS requests each. `search.p95_ms` is the worst text
search; the list pages without text (newest first, and by due time, priority, update)
are reported beside it. EXPLAIN ANALYZE of the underlying
queries tells which indexes served them. Pages render as served: the bench's test
environment instruments every template render (a signal and a copy of the context, for
the test client's `response.templates`), which these reads leave out; and the process
sets up as flowdesk.wsgi does for gunicorn (the URLconf loaded, the startup heap frozen
for the garbage collector).
"""

import json
import os
import re
import time
from contextlib import contextmanager
from urllib.parse import urlencode

import bulk
from django.contrib.auth.models import Group, User
from django.db import connection
from django.template.base import Template
from django.test import Client
from django.test.utils import CaptureQueriesContext, _TestState
from timing import percentile

from customers.models import Customer
from tickets.models import Ticket

OPEN_TICKETS = int(os.environ.get("BENCH_OPEN_TICKETS", "100000"))
REPEATS = int(os.environ.get("BENCH_READ_REPEATS", "40"))
TEAMS = 10
AGENTS = 200
CUSTOMERS = 2000
WORDS = (
    "fridge warm", "tv no sound", "washer noisy", "air conditioner leaks", "oven heats slowly",
    "router drops wifi", "heater smells", "dryer stops", "fan rattles", "lamp flickers",
    "boiler pressure low", "dishwasher smells", "freezer ices up", "screen cracked",
    "printer jams", "speaker buzzes", "kettle trips power", "door seal torn", "remote lost",
    "water filter due",
)  # fmt: skip


def _hash(salt: str, column: str) -> str:
    """A deterministic pseudo-random non-negative int per row: attributes drawn with
    different salts are independent (plain id arithmetic would tie them together)."""
    return f"abs(hashtext('{salt}' || {column}))"


def build(template_ticket, quick_task) -> dict:
    """The data set; returns who asks and what they search for."""
    t0 = time.perf_counter()
    teams = Group.objects.bulk_create([Group(name=f"team_{i}") for i in range(TEAMS)])
    team_ids = [g.id for g in teams]
    agents = User.objects.bulk_create(
        [User(username=f"agent_{i}", password="!", is_staff=True) for i in range(AGENTS)]
    )
    User.groups.through.objects.bulk_create(
        [
            User.groups.through(user_id=a.id, group_id=team_ids[i % TEAMS])
            for i, a in enumerate(agents)
        ]
    )
    surnames = ("Wang", "Li", "Zhang", "Liu", "Chen")
    customers = Customer.objects.bulk_create(
        [Customer(name=f"Customer {i} {surnames[i % 5]}") for i in range(CUSTOMERS)]
    )
    first_agent, first_customer = agents[0].id, customers[0].id
    prefix = template_ticket.number.rsplit("-", 1)[0]
    channels = [c for c, _label in Ticket.Channel.choices]
    low, high = bulk.clone_tickets(
        template_ticket,
        OPEN_TICKETS,
        {
            "title": f"(ARRAY{list(WORDS)!r})[1 + {_hash('title', 's.g')} % {len(WORDS)}] || ' #' || s.g",
            "priority": f"{_hash('priority', 's.g')} % 5",
            "created_at": "now() - s.g * interval '1 second'",
            # touched since: up to a day after creation, in no order of their own
            "updated_at": "now() - s.g * interval '1 second' "
            f"+ ({_hash('updated', 's.g')} % 86400) * interval '1 second'",
            "customer_id": f"{first_customer} + {_hash('customer', 's.g')} % {CUSTOMERS}",
            "status": "'active'",
            "channel": f"(ARRAY{channels!r})[1 + {_hash('channel', 's.g')} % {len(channels)}]",
            "data": "tpl.data || jsonb_build_object("
            f"'ticket_number', '{prefix}-' || lpad(s.id::text, 6, '0'), "
            f"'device_serial', 'SN' || lpad(({_hash('serial', 's.g')} % 1000000)::text, 6, '0'), "
            f"'symptom', (ARRAY{list(WORDS)!r})[1 + {_hash('symptom', 's.g')} % {len(WORDS)}])",
        },
    )
    assigned = f"{_hash('assigned', 't.id')} % 3 = 0"
    bulk.clone_tasks(
        quick_task,
        low,
        high,
        {
            "priority": "t.priority",
            "state": f"CASE WHEN {assigned} THEN 'claimed' ELSE 'open' END",
            "assignee_id": f"CASE WHEN {assigned} THEN {first_agent} + {_hash('agent', 't.id')} % {AGENTS} END",
            "due_at": f"CASE WHEN {_hash('undue', 't.id')} % 10 = 0 THEN NULL "
            f"ELSE now() + ({_hash('due', 't.id')} % 10080) * interval '1 minute' END",
            "created_at": "t.created_at",
        },
    )
    bulk.spread_candidate_groups(low, high, team_ids)
    bulk.vacuum_analyze()
    built_s = time.perf_counter() - t0
    agent = User.objects.get(username="agent_0")
    # Search for what an agent would: a ticket of its queue by number, its customer's name.
    from tickets.access import worklist

    task = worklist(agent, "group")[len(range(low, high)) // 40]
    ticket = Ticket.objects.select_related("customer").only("number", "customer__name", "data")
    ticket = ticket.get(id=task.ticket_id)
    return {
        "agent": agent,
        "built_s": built_s,
        "number": ticket.number,
        "customer": ticket.customer.name,
        "serial": ticket.data["device_serial"],
    }


def _client_for(user) -> tuple[Client, Client]:
    from integrations.actions import do_create_token
    from integrations.models import ApiToken

    token, clear = do_create_token(user, "bench reads", ["tickets:read"])
    ApiToken.objects.filter(id=token.id).update(rate_per_min=10_000_000)
    api = Client(HTTP_AUTHORIZATION=f"Bearer {clear}")
    html = Client()
    html.force_login(user)
    return api, html


def _p95(client, url: str, check) -> float:
    try:
        check(client.get(url))  # warm
    except AssertionError as exc:
        raise AssertionError(f"GET {url}: {exc}") from None
    samples = []
    for _ in range(REPEATS):
        t0 = time.perf_counter()
        response = client.get(url)
        samples.append((time.perf_counter() - t0) * 1000)
        check(response)
    return round(percentile(samples, 95), 2)


def _json_ok(response):
    assert response.status_code == 200, response.content[:500]
    return response.json()


def _items_ok(response):
    assert isinstance(_json_ok(response)["items"], list)


def _html_ok(response):
    assert response.status_code == 200 and b'id="worklist-rows"' in response.content


def _rows_ok(response):
    assert response.status_code == 200 and b"<html" not in response.content


def _list_ok(response):
    assert response.status_code == 200 and b"fd-ticket-table" in response.content


# The worklist as agents narrow it: filters, each sort, text search (title, form value).
FILTERED = {
    "filtered_sorted_due": "tab=groups&priority=3&channel=phone&sort=due",
    "filtered_sorted_created": "tab=groups&sla=on_time&state=open&sort=created",
    "sorted_updated": "tab=groups&sort=updated",
    "search_title_sorted": "tab=groups&q=noisy&sort=due",
}


LIST_SORTS = ("due", "priority", "updated")
LISTS = {f"list_{sort}" for sort in LIST_SORTS}


def measure(dataset: dict, sections=("worklist", "search")) -> dict:
    import flowdesk.wsgi  # noqa: F401 (as served: the URLconf loaded, the startup heap frozen)

    api, html = _client_for(dataset["agent"])
    report = {}
    with _templates_as_served():
        if "worklist" in sections:
            report["worklist"] = _worklist(api, html, dataset)
        if "search" in sections:
            report["search"] = _search(api, html, dataset)
    return report


@contextmanager
def _templates_as_served():
    """Template rendering without the test environment's instrumentation (the render
    Django saved when bench/engine.py set the environment up)."""
    instrumented = Template._render
    Template._render = _TestState.saved_data.template_render
    try:
        yield
    finally:
        Template._render = instrumented


def _worklist(api, html, dataset: dict) -> dict:
    group = "/api/v1/tasks?scope=group&limit=50"
    queries = {
        "group_queue": group,
        "own_queue": "/api/v1/tasks?scope=mine&limit=50",
        "all": "/api/v1/tasks?scope=all&limit=50",
    }
    second = api.get(group).headers.get("X-Next-Cursor")
    if second:  # (toy sizes may fit on one page)
        queries["group_queue_page_2"] = f"{group}&cursor={second}"
    figures = {name: _p95(api, url, _json_ok) for name, url in queries.items()}
    figures["html_worklist"] = _p95(html, "/tasks/?tab=groups", _html_ok)
    figures["html_tab_counts"] = _p95(html, "/tasks/tabs/?tab=groups", _rows_ok)
    filtered = {name: _p95(html, f"/tasks/rows/?{q}", _rows_ok) for name, q in FILTERED.items()}
    serial = urlencode({"q": dataset["serial"]})
    filtered["search_field"] = _p95(html, f"/tasks/rows/?tab=groups&{serial}", _rows_ok)
    filtered["html_filtered_page"] = _p95(
        html, f"/tasks/?{FILTERED['filtered_sorted_due']}", _html_ok
    )
    return {
        "p95_ms": max(
            figures["group_queue"],
            figures["own_queue"],
            figures["html_worklist"],
            figures["html_tab_counts"],
            *filtered.values(),
        ),
        "open_tickets": OPEN_TICKETS,
        "build_s": round(dataset["built_s"], 1),
        **{f"{k}_p95_ms": v for k, v in figures.items()},
        **{f"{k}_p95_ms": v for k, v in filtered.items()},
        "plans": plans(dataset["agent"]),
    }


def _search(api, html, dataset: dict) -> dict:
    searches = {
        "newest": "/api/v1/tickets?limit=50",
        "q_title": "/api/v1/tickets?q=noisy&limit=50",
        "q_customer": f"/api/v1/tickets?{urlencode({'q': dataset['customer'], 'limit': 50})}",
        "q_number": f"/api/v1/tickets?q={dataset['number'][-6:]}",
        "q_field": f"/api/v1/tickets?{urlencode({'q': dataset['serial'], 'limit': 50})}",
        "q_filtered": "/api/v1/tickets?q=noisy&status=active&channel=phone&min_priority=2",
    }
    search = {name: _p95(api, url, _items_ok) for name, url in searches.items()}
    search["html_list_q_field"] = _p95(
        html, f"/tickets/?{urlencode({'q': dataset['serial']})}", _list_ok
    )
    # The list in the worklist's other orders (no text: list pages, like "newest").
    for sort in LIST_SORTS:
        search[f"list_{sort}"] = _p95(api, f"/api/v1/tickets?sort={sort}&limit=50", _items_ok)
    found = {name: len(api.get(url).json()["items"]) for name, url in searches.items()}
    return {
        "p95_ms": max(v for k, v in search.items() if k != "newest" and k not in LISTS),
        **{f"{k}_p95_ms": v for k, v in search.items()},
        "found": found,  # tickets on the first page of each search
        "plans": search_plans(dataset["agent"], dataset),
    }


def _plan(sql: str) -> list:
    """`sql` as captured, its values inlined (no parameters: a literal % stays as is)."""
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (ANALYZE, FORMAT JSON) {sql}")
        plan = cursor.fetchone()[0]
    return plan if isinstance(plan, list) else json.loads(plan)


def _summary(plans: list) -> dict:
    """The indexes the plans use, the tables they scan whole, their execution time."""
    text = json.dumps(plans)
    return {
        "statements": len(plans),
        "indexes": sorted(set(re.findall(r'"Index Name": "([^"]+)"', text))),
        "seq_scans": sorted(
            set(re.findall(r'"Node Type": "Seq Scan", [^}]*?"Relation Name": "([^"]+)"', text))
        ),
        "execution_ms": round(sum(p[0]["Execution Time"] for p in plans), 2),
    }


def _explain_calls(call) -> dict:
    """EXPLAIN ANALYZE every SELECT on tickets that `call` runs."""
    with CaptureQueriesContext(connection) as captured:
        call()
    selects = [
        q["sql"]
        for q in captured.captured_queries
        if q["sql"].lstrip("(").startswith("SELECT") and "tickets_" in q["sql"]
    ]
    return _summary([_plan(sql) for sql in selects])


def plans(agent) -> dict:
    from tickets.access import worklist_page
    from tickets.worklists import WorklistFilters
    from tickets.worklists import worklist_page as filtered_page

    found = {
        scope: _explain_calls(lambda scope=scope: worklist_page(agent, scope, limit=50))
        for scope in ("group", "mine", "all")
    }
    for name, filters in {
        "filtered_sorted_due": WorklistFilters(priority=3, channel="phone", sort="due"),
        "sorted_updated": WorklistFilters(sort="updated"),
        "search_title_sorted": WorklistFilters(q="noisy", sort="due"),
    }.items():
        found[name] = _explain_calls(lambda f=filters: filtered_page(agent, "groups", f, limit=50))
    return found


def search_plans(agent, dataset: dict) -> dict:
    from tickets.search import TicketFilters, search_tickets

    def page(**filters):
        return lambda: search_tickets(agent, TicketFilters(**filters), limit=50)

    return {
        "newest": _explain_calls(page()),
        "q_title": _explain_calls(page(q="noisy")),
        "q_number": _explain_calls(page(q=dataset["number"][-6:])),
        "q_customer": _explain_calls(page(q=dataset["customer"])),
        "q_field": _explain_calls(page(q=dataset["serial"])),
        **{f"list_{sort}": _explain_calls(page(sort=sort)) for sort in LIST_SORTS},
    }
