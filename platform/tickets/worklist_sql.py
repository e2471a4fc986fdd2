"""A worklist page without text search as written-out statements, prepared on the server.

The ORM built the same page in about as much time as PostgreSQL took to plan and run it:
compiling the tab's rule, the filters, the keyset condition and the row columns cost ~5 ms
a page at 100,000 open tasks, planning ~2 ms more. Here the page's ids come from text put
together from the filters that are set (one text per combination, so that each is prepared
once per connection), then its rows by those ids with the columns and joins of
`worklists._rows`, compiled once per sort, the objects built as the ORM builds them.
`worklists.worklist_tasks` stays the rule's reference: a test holds this page to it for
every tab, filter, sort and cursor.
"""

import datetime as dt
from collections.abc import Callable

from django.db import connections
from django.utils import timezone

from definitions.models import ProcessVersion
from org import queries as org_queries
from tickets.access import DUE_SOON, is_supervisor
from tickets.models import HumanTask, Ticket
from tickets.pages import Sort
from tickets.prepared import SENTINEL, RowShape, execute

# The sort columns of worklists.SORTS as the inner statement names them.
COLUMNS = {
    "priority": "h.priority",
    "due_at": "h.due_at",
    "id": "h.id",
    "ticket_id": "h.ticket_id",
    "ticket__created_at": "t.created_at",
    "ticket__updated_at": "t.updated_at",
}
VERSIONS = ProcessVersion._meta.db_table
BY_GROUP = HumanTask.candidate_groups.through._meta.db_table
BY_USER = HumanTask.candidate_users.through._meta.db_table
_ROWS: dict[tuple, tuple] = {}  # (sort, database) → (RowShape, SELECT … FROM … JOIN …, ORDER BY …)


def page_rows(user, tab: str, filters, sort: Sort, key, count: int, now, rows: Callable):
    """Up to `count` rows of the page after `key` (None: the first page); `rows(tasks,
    sort)` is the ORM path's queryset of the page's columns and order."""
    using = "default"
    connection = connections[using]
    where, params = _conditions(user, tab, filters, now, connection.vendor)
    if key is not None:
        after, after_params = _after(sort, key)
        where.append(after)
        params += after_params
    order = ", ".join(_order(sort))
    quote = connection.ops.quote_name
    inner = (
        f"SELECT h.id FROM {quote(HumanTask._meta.db_table)} h "
        f"JOIN {quote(Ticket._meta.db_table)} t ON t.id = h.ticket_id "
        f"WHERE {' AND '.join(where)} ORDER BY {order} LIMIT %s"
    )
    adapt = connection.ops.adapt_datetimefield_value
    params = [adapt(p) if isinstance(p, dt.datetime) else p for p in params]
    shape, head, outer_order = _rows_statement(rows, sort, using)
    # Two statements, not one with the ids as a subquery: the ids' statement plans in a
    # third of the time of both, and the rows' one (by ids alone) is planned once.
    with connection.cursor() as cursor:
        execute(cursor, inner, [*params, count])
        ids = [task_id for (task_id,) in cursor.fetchall()]
        if not ids:
            return []
        if connection.vendor == "postgresql":
            by_id, id_params = "= ANY(%s)", [ids]
        else:
            by_id, id_params = f"IN ({_in(ids)})", ids
        task_id = f"{quote(HumanTask._meta.db_table)}.id"
        execute(cursor, f"{head} WHERE {task_id} {by_id} ORDER BY {outer_order}", id_params)
        results = cursor.fetchall()
    return shape.objects(results, connection)


def _rows_statement(rows: Callable, sort: Sort, using: str) -> tuple:
    """The row columns, joins and order of the ORM path, compiled once per sort."""
    key = (tuple(sort.columns), using)
    if key not in _ROWS:
        queryset = rows(HumanTask.objects.filter(id=SENTINEL), sort)
        compiler = queryset.query.get_compiler(using=using)
        sql, params = compiler.as_sql()
        if list(params) != [SENTINEL]:
            raise ValueError("the worklist's row statement takes no value but the id")
        head, rest = sql.split(" WHERE ", 1)
        _ROWS[key] = (RowShape(compiler, using), head, rest.split(" ORDER BY ", 1)[1])
    return _ROWS[key]


def _in(values) -> str:
    return ", ".join(["%s"] * len(values))


def _conditions(user, tab: str, f, now, vendor: str) -> tuple[list[str], list]:
    """The rule of `worklists._tab` and the filters of `worklists.worklist_tasks`."""
    states = (HumanTask.State.OPEN, HumanTask.State.CLAIMED)
    where = [f"h.state IN ({_in(states)})", "t.status = %s"]
    params: list = [*states, Ticket.Status.ACTIVE]
    if tab in ("all", "overdue", "due_soon") and is_supervisor(user):
        sla = {"all": "", "overdue": "overdue", "due_soon": "due_soon"}[tab]
    else:
        scope = {"groups": "group"}.get(tab, tab)
        sla = scope if scope in ("overdue", "due_soon") else ""
        queued, queued_params = queued_sql(user, vendor)
        if scope == "mine":
            where.append("h.assignee_id = %s")
            params.append(user.id)
        elif scope == "group":
            where.append(queued)
            params += queued_params
        else:
            where.append(f"(h.assignee_id = %s OR {queued})")
            params += [user.id, *queued_params]
    exact = {
        f"t.process_version_id IN (SELECT id FROM {VERSIONS} WHERE key = %s)": f.process or None,
        "h.state = %s": f.state or None,
        "h.priority = %s": f.priority,
        "t.channel = %s": f.channel or None,
    }
    if f.created_from:
        exact["t.created_at >= %s"] = day_start(f.created_from)
    if f.created_to:
        exact["t.created_at < %s"] = day_start(f.created_to + dt.timedelta(days=1))
    for condition, value in exact.items():
        if value is not None:
            where.append(condition)
            params.append(value)
    if f.assignee is not None:
        where.append("h.assignee_id = %s" if f.assignee else "h.assignee_id IS NULL")
        params += [f.assignee] if f.assignee else []
    for state in (sla, f.sla):
        condition, values = _sla(state, now)
        if condition:
            where.append(condition)
            params += values
    return where, params


def queued_sql(user, vendor: str) -> tuple[str, list]:
    """The task `h` is in the user's queue: unassigned, with the user or one of their
    groups among its candidates (also the tab counts' rule): read from the task row's own
    arrays on PostgreSQL (migration 0019; in the covering index the page
    walks), EXISTS over the through tables elsewhere."""
    groups = list(org_queries.group_ids_of(user))
    if vendor == "postgresql":
        return (
            "(h.assignee_id IS NULL AND (h.candidate_group_ids && %s::integer[] "
            "OR h.candidate_user_ids @> ARRAY[%s]::integer[]))",
            [groups, user.id],
        )
    ways = [f"EXISTS (SELECT 1 FROM {BY_USER} cu WHERE cu.humantask_id = h.id "
            "AND cu.user_id = %s LIMIT 1)"]  # fmt: skip
    params: list = [user.id]
    if groups:
        ways.insert(
            0,
            f"EXISTS (SELECT 1 FROM {BY_GROUP} cg WHERE cg.group_id IN ({_in(groups)}) "
            "AND cg.humantask_id = h.id LIMIT 1)",
        )
        params = [*groups, user.id]
    return f"(h.assignee_id IS NULL AND ({' OR '.join(ways)}))", params


def _sla(state: str, now) -> tuple[str, list]:
    return {
        "overdue": ("h.due_at < %s", [now]),
        "due_soon": ("h.due_at >= %s AND h.due_at < %s", [now, now + DUE_SOON]),
        "on_time": ("h.due_at >= %s", [now + DUE_SOON]),
        "none": ("h.due_at IS NULL", []),
    }.get(state, ("", []))


def day_start(day: dt.date) -> dt.datetime:
    """The first moment of a day in the reader's time zone (date filters include both ends)."""
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def _order(sort: Sort) -> list[str]:
    return [
        f"{COLUMNS[name]} DESC" if descending else
        f"{COLUMNS[name]} ASC{' NULLS LAST' if nullable else ''}"
        for name, descending, nullable in sort.columns
    ]  # fmt: skip


def _after(sort: Sort, key: tuple) -> tuple[str, list]:
    """`Sort.after` written out: for each column, the rows equal on the columns before it
    and beyond it on this one; the first column's bound repeated for the index scan."""
    beyond, same, params = [], [], []
    same_params: list = []
    for (name, descending, nullable), value in zip(sort.columns, key, strict=True):
        column = COLUMNS[name]
        if value is not None:
            step = f"{column} {'<' if descending else '>'} %s"
            if nullable:
                step = f"({step} OR {column} IS NULL)"
            beyond.append(" AND ".join([*same, step]))
            params += [*same_params, value]
        same.append(f"{column} IS NULL" if value is None else f"{column} = %s")
        same_params += [] if value is None else [value]
    condition = "(" + " OR ".join(f"({part})" for part in beyond) + ")" if beyond else "FALSE"
    first, descending, nullable = sort.columns[0]
    if key[0] is not None and not nullable:
        condition = f"{COLUMNS[first]} {'<=' if descending else '>='} %s AND {condition}"
        params = [key[0], *params]
    return condition, params
