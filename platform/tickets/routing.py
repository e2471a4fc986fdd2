"""Who gets a new task, and its service-level clock: org.assignment and org.sla applied to
HumanTask rows. Called by tickets.engine inside the transaction that creates the row.

Why a platform-level SLA sweep and not BPMN boundary timers: see org.sla's docstring (the
targets come from a DMN table in business hours, the clock pauses while waiting for the
customer, and every template gets the same warnings without drawing them). Boundary
timers stay for process-specific flow, such as the repair template's diagnosis reminder.
"""

import datetime as dt

from django.contrib.auth.models import Group
from django.db.models import Count
from django.utils import timezone

from org import queries as org_queries
from org.assignment import AssignmentRequest, choose_assignee
from org.calendar import business_time_between
from org.sla import due_times, next_mark, sla_targets
from tickets.models import HumanTask, Ticket

OPEN = (HumanTask.State.OPEN, HumanTask.State.CLAIMED)


def open_task_counts(user_ids: list[int]) -> dict[int, int]:
    rows = (
        HumanTask.objects.filter(assignee_id__in=user_ids, state__in=OPEN)
        .values("assignee_id")
        .annotate(n=Count("id"))
    )
    return {row["assignee_id"]: row["n"] for row in rows}


def route_task(
    ticket: Ticket, row: HumanTask, groups: list[str], users: list[str], data: dict
) -> dict:
    """Apply the assignment decision to a new, unassigned row; returns the event detail."""
    result = choose_assignee(
        AssignmentRequest(
            candidate_groups=groups,
            candidate_users=users,
            task=row.bpmn_id,
            process_key=ticket.process_version.key,
            data={**data, "priority": ticket.priority},
            load_of=open_task_counts,
        )
    )
    if result.user is not None:
        row.assignee, row.state = result.user, HumanTask.State.CLAIMED
        row.save(update_fields=["assignee", "state"])
    elif result.candidates:
        row.candidate_users.set(result.candidates)
    if result.group is not None and not groups:
        row.candidate_groups.set([result.group])
    return result.as_event_detail()


def owning_group(row: HumanTask) -> Group | None:
    return row.candidate_groups.order_by("name").first()


def _calendar(row: HumanTask):
    return org_queries.calendar_for(owning_group(row), row.assignee)


def sla_marks_of(row: HumanTask):
    from org.sla import SlaMark

    return [SlaMark(level, dt.datetime.fromisoformat(at)) for level, at in row.sla_marks]


def start_sla(
    ticket: Ticket, row: HumanTask, data: dict, now: dt.datetime | None = None
) -> dict | None:
    """Set due_at and the warning marks of a new row from the `sla` decision."""
    targets = sla_targets(ticket.process_version.key, ticket.priority, data.get("customer_tier"))
    if targets is None:
        return None
    now = now or timezone.now()
    marks = due_times(_calendar(row), now, targets)
    row.sla_started_at = now
    row.sla_marks = [[m.level, m.at.isoformat()] for m in marks]
    row.sla_level = 0
    row.due_at = marks[-1].at
    row.next_sla_at = marks[0].at
    row.save(update_fields=["sla_started_at", "sla_marks", "sla_level", "due_at", "next_sla_at"])
    return {
        "resolution_hours": targets.resolution.total_seconds() / 3600,
        "due_at": row.due_at,
        "decision": {"id": "sla", "version": targets.decision_version, "rule": targets.rule},
    }


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
