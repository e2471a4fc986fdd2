"""Worklists that filter, sort and search: the tabs of the workbench's task list and
their counts, the filters and sorts an agent picks, keyset pages in each sort's order.

Rows are open HumanTask rows (with their ticket's summary columns, never its data or
engine state); the tabs start from `tickets.access.worklist`, which knows whose queue a
task is in. Text search goes through `tickets.search.text_matches` (number, title,
customer, form values), so both lists find the same tickets by the same words.
"""

import datetime as dt
from dataclasses import dataclass

from django.db import connection
from django.utils import timezone

from tickets import access
from tickets.access import DUE_SOON, is_supervisor
from tickets.models import HumanTask, Ticket
from tickets.pages import Page, Sort, decode_cursor, keyset_page
from tickets.prepared import execute
from tickets.search import text_matches
from tickets.worklist_sql import day_start, page_rows, queued_sql

TABS = ("mine", "groups", "all", "overdue", "due_soon")
SLA_STATES = ("overdue", "due_soon", "on_time", "none")
TASK_STATES = (HumanTask.State.OPEN, HumanTask.State.CLAIMED)
MAX_PAGE = 200
COUNT_CAP = 99  # a tab shows "99+" rather than count a long queue to its end

ROW_FIELDS = (
    "id",
    "ticket_id",
    "bpmn_id",
    "name",
    "state",
    "priority",
    "due_at",
    "assignee_id",
    "ticket__id",
    "ticket__number",
    "ticket__title",
    "ticket__status",
    "ticket__channel",
    "ticket__priority",
    "ticket__created_at",
    "ticket__updated_at",
    "ticket__customer_id",
    "ticket__process_version_id",
    "ticket__process_version__id",
    "ticket__process_version__key",
    "ticket__process_version__name",
    "ticket__process_version__content_hash",  # the reader's field access, cached by it
    "ticket__customer__id",
    "ticket__customer__name",
    "ticket__customer__tier",
    "assignee__id",
    "assignee__username",
    "assignee__first_name",
    "assignee__last_name",
)


SORTS = {
    "priority": Sort(
        (("priority", True, False), ("due_at", False, True), ("id", False, False)),
        (int, dt.datetime, int),
    ),
    "due": Sort((("due_at", False, True), ("id", False, False)), (dt.datetime, int)),
    # The ticket's id before the task's: the ticket indexes (time desc, id desc) give the
    # order, the few open tasks of one ticket are sorted among themselves.
    "created": Sort(
        (("ticket__created_at", True, False), ("ticket_id", True, False), ("id", True, False)),
        (dt.datetime, int, int),
    ),
    "updated": Sort(
        (("ticket__updated_at", True, False), ("ticket_id", True, False), ("id", True, False)),
        (dt.datetime, int, int),
    ),
}


@dataclass
class WorklistFilters:
    q: str = ""
    process: str = ""  # template key
    state: str = ""  # "open" (unclaimed) or "claimed"
    priority: int | None = None
    sla: str = ""  # one of SLA_STATES
    assignee: int | None = None  # a user id; 0 = nobody holds it
    channel: str = ""
    created_from: dt.date | None = None  # days in the reader's time zone, both included
    created_to: dt.date | None = None
    sort: str = "priority"


def tabs_for(user) -> tuple[str, ...]:
    """ "all" (every open task) is the supervisors' tab."""
    return TABS if is_supervisor(user) else tuple(t for t in TABS if t != "all")


def sla_state(due_at: dt.datetime | None, now: dt.datetime) -> str:
    if due_at is None:
        return "none"
    if due_at < now:
        return "overdue"
    return "due_soon" if due_at < now + DUE_SOON else "on_time"


def _tab(user, tab: str, now: dt.datetime):
    if tab not in TABS:
        raise ValueError(f"unknown worklist {tab!r} ({', '.join(TABS)})")
    if tab in ("all", "overdue", "due_soon") and is_supervisor(user):
        tasks = HumanTask.objects.filter(state__in=TASK_STATES, ticket__status=Ticket.Status.ACTIVE)
        return _by_sla(tasks, {"all": "", "overdue": "overdue", "due_soon": "due_soon"}[tab], now)
    return access.worklist(user, {"groups": "group"}.get(tab, tab), now=now)


def _by_sla(tasks, state: str, now: dt.datetime):
    if state == "overdue":
        return tasks.filter(due_at__lt=now)
    if state == "due_soon":
        return tasks.filter(due_at__gte=now, due_at__lt=now + DUE_SOON)
    if state == "on_time":
        return tasks.filter(due_at__gte=now + DUE_SOON)
    if state == "none":
        return tasks.filter(due_at=None)
    return tasks


def worklist_tasks(user, tab: str, f: WorklistFilters, now: dt.datetime | None = None):
    """The open tasks of `tab` matching the filters, in the filters' sort order."""
    now = now or timezone.now()
    tasks = _tab(user, tab, now)
    if f.q:
        # One statement: PostgreSQL walks the queue in the sort's index and checks each
        # row's ticket when many tickets match, or starts from the trigram hits when few do.
        tasks = tasks.filter(text_matches(f.q, "ticket__"))
    exact = {
        "ticket__process_version__key": f.process or None,
        "state": f.state or None,
        "priority": f.priority,
        "ticket__channel": f.channel or None,
        "ticket__created_at__gte": day_start(f.created_from) if f.created_from else None,
        "ticket__created_at__lt": (
            day_start(f.created_to + dt.timedelta(days=1)) if f.created_to else None
        ),
    }
    tasks = tasks.filter(**{k: v for k, v in exact.items() if v is not None})
    if f.assignee is not None:
        tasks = tasks.filter(assignee_id=f.assignee or None)
    return _rows(_by_sla(tasks, f.sla, now), SORTS[f.sort])


def _rows(tasks, sort: Sort):
    related = ("ticket__process_version", "ticket__customer", "assignee")
    return tasks.select_related(*related).only(*ROW_FIELDS).order_by(*sort.order())


def worklist_page(
    user,
    tab: str,
    filters: WorklistFilters,
    *,
    limit: int = 50,
    cursor: str | None = None,
    now: dt.datetime | None = None,
) -> Page:
    """One keyset page of `worklist_tasks`; raises BadCursor (a cursor of another sort
    is one too: its values do not fit)."""
    limit = max(1, min(limit, MAX_PAGE))
    sort = SORTS[filters.sort]
    key = decode_cursor(cursor, *sort.kinds) if cursor else None
    if tab not in TABS:
        raise ValueError(f"unknown worklist {tab!r} ({', '.join(TABS)})")
    if not filters.q:  # the same page, as one written-out statement (worklist_sql)
        now = now or timezone.now()
        rows = page_rows(user, tab, filters, sort, key, limit + 1, now, _rows)
        return keyset_page(rows, limit, sort.key)
    tasks = worklist_tasks(user, tab, filters, now)
    if key is not None:
        tasks = tasks.filter(sort.after(key))
    # The page's ids first, from the sort's covering index alone (no task row is read to
    # find that it is not in the queue), then those rows: one statement.
    page = tasks.values("id")[: limit + 1]
    return keyset_page(_rows(HumanTask.objects.filter(id__in=page), sort), limit, sort.key)


def tab_counts(user, now: dt.datetime | None = None) -> dict[str, int]:
    """Open tasks per tab, each counted up to COUNT_CAP + 1 (more shows as "99+"), in
    one statement whatever the queues' lengths."""
    now = now or timezone.now()
    if not is_supervisor(user):
        return _agent_counts(user, now)
    tabs = tabs_for(user)
    parts, params = [], []
    for i, tab in enumerate(tabs):
        sql, tab_params = (
            _tab(user, tab, now).order_by().values("id")[: COUNT_CAP + 1].query.sql_with_params()
        )
        parts.append(f"(SELECT COUNT(*) FROM ({sql}) AS tab_{i})")
        params.extend(tab_params)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {', '.join(parts)}", params)
        return dict(zip(tabs, cursor.fetchone(), strict=True))


def _agent_counts(user, now: dt.datetime) -> dict[str, int]:
    """tab_counts of a user who is no supervisor, written for the planner: the rule of
    access.worklist (open tasks of active tickets, mine, or unassigned with me or one of
    my groups as candidates: `worklist_sql.queued_sql`), each open task's candidates read
    as the task is read. The ORM's form of the rule (an EXISTS per candidate relation,
    OR-ed) let PostgreSQL hash every task its groups ever had (their whole history) before
    it read the first open one, per tab."""
    quote = connection.ops.quote_name
    task, ticket = quote(HumanTask._meta.db_table), quote(Ticket._meta.db_table)
    queued, queued_params = queued_sql(user, connection.vendor)
    mine_or_queued = f"(h.assignee_id = %s OR {queued})"
    tabs = {
        "mine": ("h.assignee_id = %s", [user.id]),
        "groups": (queued, queued_params),
        "overdue": (f"{mine_or_queued} AND h.due_at < %s", [user.id, *queued_params, now]),
        "due_soon": (
            f"{mine_or_queued} AND h.due_at >= %s AND h.due_at < %s",
            [user.id, *queued_params, now, now + DUE_SOON],
        ),
    }
    open_ = ", ".join(["%s"] * len(TASK_STATES))
    parts, params = [], []
    for where, values in tabs.values():
        parts.append(
            f"(SELECT COUNT(*) FROM (SELECT 1 FROM {task} h JOIN {ticket} t ON t.id = h.ticket_id "
            f"WHERE h.state IN ({open_}) AND t.status = %s AND {where} LIMIT %s) AS x)"
        )
        params += [*TASK_STATES, Ticket.Status.ACTIVE, *values, COUNT_CAP + 1]
    with connection.cursor() as cursor:  # prepared: planning it cost a third of its time
        execute(cursor, f"SELECT {', '.join(parts)}", params)
        return dict(zip(tabs, cursor.fetchone(), strict=True))
