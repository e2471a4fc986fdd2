"""Who may see a ticket and act on a task: one place for every view and endpoint."""

import datetime

from django.db.models import Exists, F, Lookup, OuterRef, Q, Subquery
from django.db.models.lookups import IsNull
from django.utils import timezone

from definitions import refdata
from org import queries as org_queries
from tickets.models import HumanTask, Ticket
from tickets.pages import decode_cursor, keyset_page

SUPERVISORS = "supervisors"


def is_supervisor(user) -> bool:
    return user.is_superuser or SUPERVISORS in org_queries.roles_of(user)


def may_act_on_task(user, task: HumanTask) -> bool:
    """Assignee, or (unassigned) a candidate user or member of a candidate group; a task
    with no candidates at all is open to staff users who can see its ticket; supervisors
    always. Nobody acts on a task of a ticket they cannot see."""
    if not user.is_authenticated:
        return False
    if is_supervisor(user) or task.assignee_id == user.id:
        return True
    if task.assignee_id is not None:
        return False
    group_names = set(task.candidate_groups.values_list("name", flat=True))
    if group_names & org_queries.roles_of(user):
        return True
    user_ids = list(task.candidate_users.values_list("id", flat=True))
    if not group_names and not user_ids:
        return user.is_staff and may_see_ticket(user, task.ticket_id)
    return user.id in user_ids


class _CandidateOf(Lookup):
    """The task (lhs: its id) lists one of the groups or the user (rhs: (group ids, user
    id)) among its candidates: the `candidate_group_ids` and `candidate_user_ids` of its own
    row on PostgreSQL (migration 0019: read from the covering index a worklist walks),
    EXISTS over the through tables elsewhere."""

    lookup_name = "candidate_of"
    prepare_rhs = False

    def as_sql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        group_ids, user_id = [int(g) for g in self.rhs[0]], int(self.rhs[1])
        if connection.vendor == "postgresql":
            table = lhs.rsplit(".", 1)[0]  # the task table as this query names it
            return (
                f"({table}.candidate_group_ids && %s::integer[] "
                f"OR {table}.candidate_user_ids @> ARRAY[%s]::integer[])",
                [*lhs_params, group_ids, user_id],
            )
        by_group = HumanTask.candidate_groups.through._meta.db_table
        by_user = HumanTask.candidate_users.through._meta.db_table
        marks = ", ".join(["%s"] * len(group_ids)) or "NULL"
        return (
            f"(EXISTS (SELECT 1 FROM {by_group} WHERE humantask_id = {lhs} "
            f"AND group_id IN ({marks})) OR EXISTS (SELECT 1 FROM {by_user} "
            f"WHERE humantask_id = {lhs} AND user_id = %s))",
            [*lhs_params, *group_ids, *lhs_params, user_id],
        )


def _candidate_of(user) -> Q:
    """The task lists the user or one of their groups as candidates (never a join +
    DISTINCT)."""
    return Q(_CandidateOf(F("id"), (org_queries.group_ids_of(user), user.id)))


def visible_tickets(user):
    """Tickets the user raised or holds (or may pick up) a task of; supervisors see all.
    One EXISTS per way in (no join, no DISTINCT); pages of what a user sees go through
    tickets.search, which checks the same rule (`sees_ticket`) row by row over a window."""
    if is_supervisor(user):
        return Ticket.objects.all()
    my_groups = org_queries.group_ids_of(user)
    held = HumanTask.objects.filter(ticket_id=OuterRef("pk"), assignee_id=user.id)
    for_my_groups = HumanTask.candidate_groups.through.objects.filter(
        humantask__ticket_id=OuterRef("pk"), group_id__in=my_groups
    )
    for_me = HumanTask.candidate_users.through.objects.filter(
        humantask__ticket_id=OuterRef("pk"), user_id=user.id
    )
    return Ticket.objects.filter(
        Q(created_by_id=user.id) | Q(Exists(held)) | Q(Exists(for_my_groups)) | Q(Exists(for_me))
    )


def sees_ticket(user) -> Q:
    """The rule of visible_tickets for the ticket of each row, checked row by row (a
    non-supervisor): the tickets a page walks in its order are probed through the
    indexes, first match wins. The tasks are asked as one scalar subquery, which
    PostgreSQL never turns into a hash of every task of the user's groups (as it may an
    EXISTS when it expects many rows)."""
    task = HumanTask.objects.filter(Q(assignee_id=user.id) | _candidate_of(user))
    task = task.filter(ticket_id=OuterRef("pk")).order_by().values("id")[:1]
    return Q(created_by_id=user.id) | IsNull(Subquery(task), False)


def sees_ticket_sql(user, connection) -> tuple[str, tuple]:
    """`sees_ticket(user)` as SQL on the table `tickets_ticket` by its own name (a query's
    base table), compiled once per user and reference token (their groups are in it):
    building and compiling the rule cost about as much as running a search page."""

    def compiled():
        query = Ticket.objects.filter(sees_ticket(user)).query
        sql, params = query.get_compiler(connection=connection).compile(query.where)
        return sql, tuple(params)

    return refdata.cached(("sees_ticket", user.id, connection.alias), compiled)


class _OneOf(Lookup):
    """`field IN (ids)` as one array parameter on PostgreSQL (`= ANY(%s)`): hundreds of ids
    cost one bind instead of hundreds to compile and plan; a literal IN list elsewhere."""

    lookup_name = "one_of"
    prepare_rhs = False

    def as_sql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        ids = [int(i) for i in self.rhs]
        if connection.vendor == "postgresql":
            return f"{lhs} = ANY(%s)", [*lhs_params, ids]
        return f"{lhs} IN ({', '.join(['%s'] * len(ids))})", [*lhs_params, *ids]


def visible_among(user, ticket_ids, group_ids: list[int] | None = None) -> set[int]:
    """Which of `ticket_ids` (a bounded set) the user may see: the rule of visible_tickets
    as one UNION of index-driven lookups from the ids, so that the planner never collects
    everything the user may see first. A caller checking many sets for one non-supervisor
    passes the user's `group_ids` (and saves two queries a set)."""
    ticket_ids = list(ticket_ids)
    if not ticket_ids or (group_ids is None and is_supervisor(user)):
        return set(ticket_ids)
    if group_ids is None:
        group_ids = list(user.groups.values_list("id", flat=True))
    tasks = HumanTask.objects.filter(_OneOf(F("ticket_id"), ticket_ids))
    ways_in = [
        Ticket.objects.filter(_OneOf(F("id"), ticket_ids), created_by_id=user.id).values_list("id"),
        tasks.filter(assignee_id=user.id).values_list("ticket_id"),
        HumanTask.candidate_groups.through.objects.filter(
            humantask__in=tasks, group_id__in=group_ids
        ).values_list("humantask__ticket_id"),
        HumanTask.candidate_users.through.objects.filter(
            humantask__in=tasks, user_id=user.id
        ).values_list("humantask__ticket_id"),
    ]
    first, *rest = (q.order_by() for q in ways_in)
    return {ticket_id for (ticket_id,) in first.union(*rest)}


def may_see_ticket(user, ticket_id: int) -> bool:
    return user.is_authenticated and visible_tickets(user).filter(id=ticket_id).exists()


def access_ticket(user, ticket_ref: str | int) -> Ticket:
    """The ticket by number or id if this user may see it; raises Ticket.DoesNotExist
    otherwise (a ticket one may not see is reported as absent, not forbidden)."""
    tickets = visible_tickets(user).select_related("process_version")
    ref = str(ticket_ref)
    return tickets.get(id=int(ref)) if ref.isdigit() else tickets.get(number=ref)


DUE_SOON = datetime.timedelta(hours=2)
SCOPES = ("mine", "group", "all", "overdue", "due_soon")


# The columns worklist rows show (never the ticket's workflow data or engine state).
WORKLIST_FIELDS = (
    "id",
    "ticket_id",
    "bpmn_id",
    "name",
    "kind",
    "state",
    "form_schema",
    "priority",
    "due_at",
    "assignee_id",
    "ticket__id",
    "ticket__number",
    "ticket__process_version_id",
    "ticket__title",
    "assignee__id",
    "assignee__username",
)
WORKLIST_ORDER = (F("priority").desc(), F("due_at").asc(nulls_last=True), F("id").asc())


def worklist(
    user, scope: str = "mine", *, process: str = "", customer: int | None = None, now=None
):
    """Open tasks, VIP first, then by due time: "mine" (assigned to me), "group"
    (unclaimed, for my groups or me), "all" (both), "overdue" and "due_soon" (of all).
    Filters: template (process key) and customer. Served from HumanTask rows only, in
    the order of the open-task indexes (priority desc, due_at asc nulls last, id)."""
    if scope not in SCOPES:
        raise ValueError(f"unknown worklist scope {scope!r} ({', '.join(SCOPES)})")
    now = now or timezone.now()
    tasks = HumanTask.objects.filter(
        state__in=(HumanTask.State.OPEN, HumanTask.State.CLAIMED),
        ticket__status=Ticket.Status.ACTIVE,
    )
    mine = Q(assignee_id=user.id)
    if scope == "mine":
        tasks = tasks.filter(mine)
    else:  # the candidate subqueries are built only for the scopes that use them
        queue = Q(assignee_id=None) & _candidate_of(user)
        tasks = tasks.filter(queue if scope == "group" else mine | queue)
    if scope == "overdue":
        tasks = tasks.filter(due_at__lt=now)
    elif scope == "due_soon":
        tasks = tasks.filter(due_at__gte=now, due_at__lt=now + DUE_SOON)
    if process:
        tasks = tasks.filter(ticket__process_version__key=process)
    if customer:
        tasks = tasks.filter(ticket__customer_id=customer)
    return (
        tasks.select_related("ticket", "assignee").only(*WORKLIST_FIELDS).order_by(*WORKLIST_ORDER)
    )


def after_task(tasks, key: tuple[int, datetime.datetime | None, int]):
    """Keyset continuation of a worklist after the row with `key` = (priority, due_at,
    id), in WORKLIST_ORDER. The redundant `priority <= p` lets the index scan start at p."""
    priority, due_at, task_id = key
    if due_at is None:
        same = Q(due_at=None, id__gt=task_id)
    else:
        same = Q(due_at__gt=due_at) | Q(due_at=None) | Q(due_at=due_at, id__gt=task_id)
    return tasks.filter(
        Q(priority__lte=priority), Q(priority__lt=priority) | (Q(priority=priority) & same)
    )


MAX_PAGE = 200


def worklist_page(
    user, scope: str = "mine", *, limit: int = 50, cursor: str | None = None, **filters
):
    """One keyset page of `worklist(user, scope, **filters)`; raises BadCursor."""
    limit = max(1, min(limit, MAX_PAGE))
    tasks = worklist(user, scope, **filters)
    if cursor:
        tasks = after_task(tasks, decode_cursor(cursor, int, datetime.datetime, int))
    # The page's ids from the open-task covering index alone (a task outside the queue
    # costs no row read), then those rows, in one statement.
    rows = tasks.model.objects.filter(id__in=tasks.values("id")[: limit + 1])
    rows = rows.select_related("ticket", "assignee").only(*WORKLIST_FIELDS)
    return keyset_page(
        rows.order_by(*WORKLIST_ORDER), limit, lambda t: (t.priority, t.due_at, t.id)
    )
