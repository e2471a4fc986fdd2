"""Who may see a ticket and act on a task: one place for every view and endpoint."""

import datetime

from django.db.models import Q
from django.utils import timezone

from org import queries as org_queries
from tickets.models import HumanTask, Ticket

SUPERVISORS = "supervisors"


def is_supervisor(user) -> bool:
    return user.is_superuser or SUPERVISORS in org_queries.roles_of(user)


def may_act_on_task(user, task: HumanTask) -> bool:
    """Assignee, or (unassigned) a candidate user or member of a candidate group; a task
    with no candidates at all is open to every staff user; supervisors always."""
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
        return user.is_staff
    return user.id in user_ids


def visible_tickets(user):
    if is_supervisor(user):
        return Ticket.objects.all()
    involved = HumanTask.objects.filter(
        Q(assignee=user) | Q(candidate_users=user) | Q(candidate_groups__in=user.groups.all())
    ).values("ticket_id")
    return Ticket.objects.filter(Q(created_by=user) | Q(id__in=involved)).distinct()


def access_ticket(user, ticket_ref: str | int) -> Ticket:
    """The ticket by number or id if this user may see it; raises Ticket.DoesNotExist
    otherwise (a ticket one may not see is reported as absent, not forbidden)."""
    tickets = visible_tickets(user).select_related("process_version")
    ref = str(ticket_ref)
    return tickets.get(id=int(ref)) if ref.isdigit() else tickets.get(number=ref)


DUE_SOON = datetime.timedelta(hours=2)
SCOPES = ("mine", "group", "all", "overdue", "due_soon")


def worklist(
    user, scope: str = "mine", *, process: str = "", customer: int | None = None, now=None
):
    """Open tasks, VIP first, then by due time: "mine" (assigned to me), "group"
    (unclaimed, for my groups or me), "all" (both), "overdue" and "due_soon" (of all).
    Filters: template (process key) and customer. Served from HumanTask rows only."""
    if scope not in SCOPES:
        raise ValueError(f"unknown worklist scope {scope!r} ({', '.join(SCOPES)})")
    now = now or timezone.now()
    tasks = HumanTask.objects.filter(
        state__in=(HumanTask.State.OPEN, HumanTask.State.CLAIMED),
        ticket__status=Ticket.Status.ACTIVE,
    ).select_related("ticket", "assignee")
    queue = Q(assignee=None) & (Q(candidate_groups__in=user.groups.all()) | Q(candidate_users=user))
    if scope == "mine":
        tasks = tasks.filter(assignee=user)
    elif scope == "group":
        tasks = tasks.filter(queue)
    else:
        tasks = tasks.filter(Q(assignee=user) | queue)
    if scope == "overdue":
        tasks = tasks.filter(due_at__lt=now)
    elif scope == "due_soon":
        tasks = tasks.filter(due_at__gte=now, due_at__lt=now + DUE_SOON)
    if process:
        tasks = tasks.filter(ticket__process_version__key=process)
    if customer:
        tasks = tasks.filter(ticket__customer_id=customer)
    return tasks.distinct().order_by("-priority", "due_at", "id")
