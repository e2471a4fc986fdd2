"""Who gets a new task, and its service-level clock: org.assignment and org.sla applied to
HumanTask rows. Called by tickets.engine inside the transaction that creates the row.

Why a platform-level SLA sweep and not BPMN boundary timers: see org.sla's docstring (the
targets come from a DMN table in business hours, the clock pauses while waiting for the
customer, and every template gets the same warnings without drawing them). Boundary
timers stay for process-specific flow, such as the repair template's diagnosis reminder.
"""

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field

from django.contrib.auth.models import Group, User
from django.db import connection
from django.db.models import Count

from definitions import refdata
from org import queries as org_queries
from org.assignment import AssignmentRequest, choose_assignee
from org.calendar import business_time_between, schedule_of
from org.sla import due_times, next_mark, sla_targets
from tickets.models import HumanTask, Ticket

OPEN = (HumanTask.State.OPEN, HumanTask.State.CLAIMED)


def open_task_counts(user_ids: list[int]) -> dict[int, int]:
    """Open tasks per assignee, one grouped query (served by open_tasks_assignee_idx). Its
    SQL is compiled once: every routed task runs it, and compiling cost more than running."""
    ids = [int(i) for i in user_ids]
    if not ids:
        return {}
    sql = _OPEN_COUNTS.get(connection.alias)
    if sql is None:
        rows = (
            HumanTask.objects.filter(assignee_id__in=[_NO_USER], state__in=OPEN)
            .values("assignee_id")
            .annotate(n=Count("id"))
            .order_by()
        )
        sql, params = rows.query.sql_with_params()
        if [*params] != [_NO_USER, *OPEN]:
            raise RuntimeError(f"open_task_counts: unexpected parameters {params!r}")
        sql = _OPEN_COUNTS[connection.alias] = sql.replace(" IN (%s)", " IN ({ids})", 1)
    with connection.cursor() as cursor:
        cursor.execute(sql.format(ids=", ".join(["%s"] * len(ids))), [*ids, *OPEN])
        return dict(cursor.fetchall())


_NO_USER = -7_304_519_273  # stands for the list of ids in the compiled template
_OPEN_COUNTS: dict[str, str] = {}


@dataclass
class TaskPlan:
    """Everything decided about a new task before its row is written: who holds it, who
    may take it, and its service-level clock."""

    assignee: User | None = None
    groups: list[Group] = field(default_factory=list)
    users: list[User] = field(default_factory=list)
    routed: dict = field(default_factory=dict)  # the "assigned" event
    sla: dict = field(default_factory=dict)  # HumanTask SLA columns
    sla_event: dict | None = None  # the "sla_started" event, when a target applies

    @property
    def owning_group(self) -> Group | None:
        return min(self.groups, key=lambda g: g.name) if self.groups else None


def plan_task(
    ticket: Ticket,
    bpmn_id: str,
    group_names: Sequence[str],
    user_names: Sequence[str],
    data: dict,
    *,
    model_assignee: User | None = None,
    due_at: dt.datetime | None = None,
    now: dt.datetime,
) -> TaskPlan:
    """Apply the assignment decision (unless the model names the handler) and the SLA
    decision to a task about to be created."""
    plan = TaskPlan(groups=_groups(group_names), users=_users(user_names))
    if model_assignee is not None:  # the model names the handler: no assignment decision
        plan.assignee = model_assignee
        plan.routed = {"strategy": "model", "assignee": model_assignee.username}
    else:
        result = choose_assignee(
            AssignmentRequest(
                candidate_groups=list(group_names),
                candidate_users=list(user_names),
                task=bpmn_id,
                process_key=ticket.process_version.key,
                data={**data, "priority": ticket.priority},
                load_of=open_task_counts,
            )
        )
        if result.user is not None:
            plan.assignee = result.user
        elif result.candidates:
            plan.users = list(result.candidates)
        if result.group is not None and not group_names:
            plan.groups = [result.group]
        plan.routed = result.as_event_detail()
    if due_at is None:
        _plan_sla(ticket, plan, data, now)
    return plan


def _groups(names: Sequence[str]) -> list[Group]:
    """The named groups in order; a group a model names that does not exist yet is made."""
    found = org_queries.groups_named(names)
    return [found.get(name) or Group.objects.get_or_create(name=name)[0] for name in names]


def _users(names: Sequence[str]) -> list[User]:
    return list(User.objects.filter(username__in=list(names))) if names else []


def _schedule(calendar):
    if calendar is None:
        return schedule_of(None)
    return refdata.cached(("schedule", calendar.id), lambda: schedule_of(calendar))


def _plan_sla(ticket: Ticket, plan: TaskPlan, data: dict, now: dt.datetime) -> None:
    """due_at and the warning marks from the `sla` decision, in the owning team's hours."""
    targets = sla_targets(ticket.process_version.key, ticket.priority, data.get("customer_tier"))
    if targets is None:
        return
    calendar = org_queries.calendar_for(plan.owning_group, plan.assignee)
    marks = due_times(_schedule(calendar), now, targets)
    plan.sla = {
        "sla_started_at": now,
        "sla_marks": [[m.level, m.at.isoformat()] for m in marks],
        "sla_level": 0,
        "due_at": marks[-1].at,
        "next_sla_at": marks[0].at,
    }
    plan.sla_event = {
        "resolution_hours": targets.resolution.total_seconds() / 3600,
        "due_at": marks[-1].at,
        "decision": {"id": "sla", "version": targets.decision_version, "rule": targets.rule},
    }


def owning_group(row: HumanTask) -> Group | None:
    return row.candidate_groups.order_by("name").first()


def _calendar(row: HumanTask):
    return org_queries.calendar_for(owning_group(row), row.assignee)


def sla_marks_of(row: HumanTask):
    from org.sla import SlaMark

    return [SlaMark(level, dt.datetime.fromisoformat(at)) for level, at in row.sla_marks]


def pause_sla(row: HumanTask, now: dt.datetime) -> None:
    row.sla_paused_at, row.next_sla_at = now, None
    row.save(update_fields=["sla_paused_at", "next_sla_at"])


def resume_sla(ticket: Ticket, row: HumanTask, now: dt.datetime) -> None:
    """Add the business time spent waiting and move every mark later by it."""
    calendar = _calendar(row)
    waited = business_time_between(calendar, row.sla_paused_at, now)
    row.sla_paused += waited
    row.sla_paused_at = None
    fields = ["sla_paused", "sla_paused_at", "next_sla_at"]
    targets = sla_targets(
        ticket.process_version.key, ticket.priority, ticket.data.get("customer_tier")
    )
    if targets is not None and row.sla_started_at is not None:
        marks = due_times(calendar, row.sla_started_at, targets, paused=row.sla_paused)
        row.sla_marks = [[m.level, m.at.isoformat()] for m in marks]
        row.due_at = marks[-1].at
        fields += ["sla_marks", "due_at"]
    upcoming = next_mark(sla_marks_of(row), row.sla_level)
    row.next_sla_at = upcoming.at if upcoming else None
    row.save(update_fields=fields)


def replan_sla(ticket: Ticket, row: HumanTask) -> dt.datetime | None:
    """A priority change re-plans an open task's clock (as Zendesk and Zammad do): the `sla`
    decision's targets for the new priority, measured from when the clock started, less
    the time it stood paused. Warnings already sent are not sent again (sla_level stays).
    Returns the new due time; None when the task has no clock or no rule matches (its
    clock is then left as it was)."""
    if row.sla_started_at is None:
        return None
    targets = sla_targets(
        ticket.process_version.key, ticket.priority, ticket.data.get("customer_tier")
    )
    if targets is None:
        return None
    marks = due_times(_calendar(row), row.sla_started_at, targets, paused=row.sla_paused)
    row.sla_marks = [[m.level, m.at.isoformat()] for m in marks]
    row.due_at = marks[-1].at
    fields = ["sla_marks", "due_at"]
    if row.sla_paused_at is None:  # a paused clock fires nothing until it resumes
        upcoming = next_mark(marks, row.sla_level)
        row.next_sla_at = upcoming.at if upcoming else None
        fields.append("next_sla_at")
    row.save(update_fields=fields)
    return row.due_at
