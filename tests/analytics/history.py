"""A small ticket history with known answers (times are Asia/Shanghai wall clock).

Calendar "default": Mon-Fri 09:00-18:00. 2026-11-20 is a Friday.
- A (repair, webform, gold customer): created Fri 17:00; task "diagnose" (agents) done by
  alice Mon 10:00 = first response and close. 65 h calendar, 2 h business (Fri 17-18 +
  Mon 9-10: across a night and a weekend). Rated 5 Mon 11:00.
- B (repair, phone, no customer): created Mon 09:00; "diagnose" (technicians, SLA, no
  breach) done by tom Mon 12:00 = first response (3 h); "repair" (technicians, SLA,
  breached: warning 1 Mon 20:00, breach Tue 09:00) done by tom Tue 09:30 = close.
  24.5 h calendar, 9.5 h business. Rated 2 Tue 10:00 (a script in the comment); reopened
  Tue 11:00.
- C (repair, webform, standard customer): created Tue 10:00, open, untouched.
"""

import datetime as dt
from zoneinfo import ZoneInfo

from customers.models import Customer
from org.models import BusinessCalendar
from tickets.models import HumanTask, ProcessInstance, Ticket, TicketEvent

SH = ZoneInfo("Asia/Shanghai")
FIRST, LAST = dt.date(2026, 11, 20), dt.date(2026, 11, 24)
WEEKDAY = [["09:00", "18:00"]]


def at(day: int, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(2026, 11, day, hour, minute, tzinfo=SH)


def _ticket(version, number, channel, created, customer=None, closed=None):
    ticket = Ticket.objects.create(
        process_version=version,
        number=number,
        title=f"Ticket {number}",
        channel=channel,
        customer=customer,
        status=Ticket.Status.COMPLETED if closed else Ticket.Status.ACTIVE,
        closed_at=closed,
    )
    ProcessInstance.objects.create(ticket=ticket)  # every ticket has one (engine calls lock it)
    Ticket.objects.filter(id=ticket.id).update(created_at=created)
    _event(ticket, "created", created)
    return ticket


def _event(ticket, kind, when, task=None, actor=None, **detail):
    event = TicketEvent.objects.create(
        ticket=ticket,
        kind=kind,
        task=task,
        actor=actor,
        bpmn_id=task.bpmn_id if task else "",
        detail=detail,
    )
    TicketEvent.objects.filter(id=event.id).update(at=when)


def _task(ticket, bpmn_id, name, group, created, done, user, sla_level=None):
    task = HumanTask.objects.create(
        ticket=ticket,
        engine_task_id=f"{ticket.number}-{bpmn_id}",
        bpmn_id=bpmn_id,
        name=name,
        state=HumanTask.State.DONE,
        assignee=user,
        completed_by=user,
        completed_at=done,
        sla_started_at=created if sla_level is not None else None,
        sla_level=sla_level or 0,
    )
    HumanTask.objects.filter(id=task.id).update(created_at=created)
    task.candidate_groups.set([group])
    _event(ticket, "task_created", created, task=task)
    _event(ticket, "task_completed", done, task=task, actor=user)
    return task


def build(version, cast):
    from django.contrib.auth.models import Group

    BusinessCalendar.objects.create(
        name="default",
        time_zone="Asia/Shanghai",
        hours={d: WEEKDAY for d in ("mon", "tue", "wed", "thu", "fri")},
    )
    agents, technicians = Group.objects.get(name="agents"), Group.objects.get(name="technicians")
    gold = Customer.objects.create(name="Gold Ltd", tier=Customer.Tier.GOLD)
    standard = Customer.objects.create(name="Plain Ltd", tier=Customer.Tier.STANDARD)
    alice, tom = cast["alice"], cast["tom"]

    a = _ticket(version, "SV-A", "webform", at(20, 17), gold, closed=at(23, 10))
    _task(a, "diagnose", "Diagnose", agents, at(20, 17), at(23, 10), alice)
    _event(a, "completed", at(23, 10))
    _event(a, "rated", at(23, 11), score=5, comment="great")

    b = _ticket(version, "SV-B", "phone", at(23, 9), closed=at(24, 9, 30))
    _task(b, "diagnose", "Diagnose", technicians, at(23, 9), at(23, 12), tom, sla_level=0)
    repair = _task(b, "repair", "Repair", technicians, at(23, 12), at(24, 9, 30), tom, 4)
    _event(b, "sla_warning", at(23, 20), task=repair, level=1)
    _event(b, "sla_breached", at(24, 9), task=repair, level=4)
    _event(b, "escalated", at(24, 9), task=repair)
    _event(b, "completed", at(24, 9, 30))
    _event(b, "rated", at(24, 10), score=2, comment="<script>alert(1)</script> slow")
    _event(b, "reopened", at(24, 11))

    c = _ticket(version, "SV-C", "webform", at(24, 10), standard)
    return {"a": a, "b": b, "c": c}
